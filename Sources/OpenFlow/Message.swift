/// One OpenFlow message: the header's xid and version, and a typed body.
public struct OpenFlowMessage: Hashable, Sendable {
    /// Always 1.3 except for HELLO, which advertises what the sender supports.
    public var version: UInt8
    public var xid: UInt32
    public var payload: Payload

    @inlinable
    public init(version: UInt8 = OpenFlow.version13, xid: UInt32, _ payload: Payload) {
        self.version = version
        self.xid = xid
        self.payload = payload
    }

    /// Every OpenFlow 1.3 message, both directions, plus Open vSwitch's 1.3 bundle extension.
    public enum Payload: Hashable, Sendable {
        case hello(Hello)
        case error(ErrorMessage)
        case echoRequest([UInt8])
        case echoReply([UInt8])
        case experimenter(ExperimenterMessage)
        case featuresRequest
        case featuresReply(SwitchFeatures)
        case getConfigRequest
        case getConfigReply(SwitchConfig)
        case setConfig(SwitchConfig)
        case packetIn(PacketIn)
        case flowRemoved(FlowRemoved)
        case portStatus(PortStatus)
        case packetOut(PacketOut)
        case flowMod(FlowMod)
        case groupMod(GroupMod)
        case portMod(PortMod)
        case tableMod(TableMod)
        case multipartRequest(MultipartRequest)
        case multipartReply(MultipartReply)
        case barrierRequest
        case barrierReply
        case queueGetConfigRequest(port: PortNumber)
        case queueGetConfigReply(QueueGetConfigReply)
        case roleRequest(RoleMessage)
        case roleReply(RoleMessage)
        case getAsyncRequest
        case getAsyncReply(AsyncConfig)
        case setAsync(AsyncConfig)
        case meterMod(MeterMod)
        /// ONF experimenter 2300 (`ONFT_BUNDLE_CONTROL`), as Open vSwitch accepts on OpenFlow 1.3.
        case bundleControl(BundleControl)
        /// ONF experimenter 2301 (`ONFT_BUNDLE_ADD_MESSAGE`).
        indirect case bundleAdd(BundleAdd)
    }

    /// The `ofp_type` this payload is sent as.
    public var type: MessageType {
        switch payload {
        case .hello: .hello
        case .error: .error
        case .echoRequest: .echoRequest
        case .echoReply: .echoReply
        case .experimenter, .bundleControl, .bundleAdd: .experimenter
        case .featuresRequest: .featuresRequest
        case .featuresReply: .featuresReply
        case .getConfigRequest: .getConfigRequest
        case .getConfigReply: .getConfigReply
        case .setConfig: .setConfig
        case .packetIn: .packetIn
        case .flowRemoved: .flowRemoved
        case .portStatus: .portStatus
        case .packetOut: .packetOut
        case .flowMod: .flowMod
        case .groupMod: .groupMod
        case .portMod: .portMod
        case .tableMod: .tableMod
        case .multipartRequest: .multipartRequest
        case .multipartReply: .multipartReply
        case .barrierRequest: .barrierRequest
        case .barrierReply: .barrierReply
        case .queueGetConfigRequest: .queueGetConfigRequest
        case .queueGetConfigReply: .queueGetConfigReply
        case .roleRequest: .roleRequest
        case .roleReply: .roleReply
        case .getAsyncRequest: .getAsyncRequest
        case .getAsyncReply: .getAsyncReply
        case .setAsync: .setAsync
        case .meterMod: .meterMod
        }
    }
}
