import OpenFlow

/// How a simulated switch answers a controller or `ovs-ofctl`: the replies a client waits for
/// (features, echo, barrier, bundle control, role, the multipart dumps), from fixed tables.
public struct SwitchResponder: Sendable {
    public var datapathID: UInt64
    public var description: SwitchDescription
    public var ports: [PortDescription]
    public var flows: [FlowStats] = []
    public var groups: [GroupDescription] = []
    public var meters: [MeterConfig] = []

    public init(datapathID: UInt64, description: SwitchDescription = SwitchDescription(manufacturer: "taas", hardware: "simulated switch", software: "0"),
                ports: [PortDescription]? = nil) {
        self.datapathID = datapathID
        self.description = description
        self.ports = ports ?? [PortDescription(portNumber: .local, hardwareAddress: EthernetAddress(rawValue: datapathID), name: "br-int")]
    }

    /// The replies to one message (none for messages without replies, such as FLOW_MOD).
    public func answer(_ m: OpenFlowMessage) -> [OpenFlowMessage] {
        func reply(_ p: OpenFlowMessage.Payload) -> [OpenFlowMessage] { [OpenFlowMessage(xid: m.xid, p)] }
        switch m.payload {
        case .featuresRequest: return reply(.featuresReply(SwitchFeatures(datapathID: datapathID, nTables: 254)))
        case .echoRequest(let d): return reply(.echoReply(d))
        case .barrierRequest: return reply(.barrierReply)
        // One controller at a time: every role asked for is granted.
        case .roleRequest(let r): return reply(.roleReply(r))
        case .bundleControl(let c): return reply(.bundleControl(BundleControl(bundleID: c.bundleID, type: c.type.reply, flags: [])))
        case .multipartRequest(let r):
            switch r.body {
            case .desc: return reply(.multipartReply(MultipartReply(.desc(description))))
            case .portDesc: return reply(.multipartReply(MultipartReply(.portDesc(ports))))
            case .flow(let request):
                return Self.split(flows.filter(request.selects), xid: m.xid, body: MultipartReply.Body.flow)
            case .groupDesc: return Self.split(groups, xid: m.xid, body: MultipartReply.Body.groupDesc)
            case .meterConfig: return reply(.multipartReply(MultipartReply(.meterConfig(meters))))
            case .tableFeatures:
                // The eight properties ovs-ofctl requires before it accepts a table.
                let props = [0, 2, 4, 6, 8, 10, 12, 14].map { TableFeatureProperty(type: UInt16($0), content: .raw([])) }
                return reply(.multipartReply(MultipartReply(.tableFeatures([TableFeatures(tableID: 0, name: "", properties: props)]))))
            default:
                return reply(.error(ErrorMessage(code: .badRequestBadMultipart)))
            }
        default:
            return []
        }
    }

    /// A dump as as many replies as it takes to keep each under OpenFlow's 64 KB message limit,
    /// all but the last flagged "more".
    static func split<T>(_ items: [T], xid: UInt32, body: ([T]) -> MultipartReply.Body) -> [OpenFlowMessage] {
        func fits(_ part: ArraySlice<T>) -> Bool {
            OpenFlowMessage(xid: xid, .multipartReply(MultipartReply(body(Array(part))))).encoded().readableBytes <= Int(UInt16.max)
        }
        var parts: [ArraySlice<T>] = []
        var rest = items[...]
        while !rest.isEmpty || parts.isEmpty {
            var n = min(rest.count, 256)
            while n > 1 && !fits(rest.prefix(n)) { n /= 2 }
            parts.append(rest.prefix(n))
            rest = rest.dropFirst(n)
        }
        return parts.enumerated().map { i, part in
            OpenFlowMessage(xid: xid, .multipartReply(MultipartReply(flags: i < parts.count - 1 ? 1 : 0, body(Array(part)))))
        }
    }
}
