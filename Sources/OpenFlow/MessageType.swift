/// `ofp_type` for OpenFlow 1.3 (§7.1).
public struct MessageType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let hello = MessageType(rawValue: 0)
    public static let error = MessageType(rawValue: 1)
    public static let echoRequest = MessageType(rawValue: 2)
    public static let echoReply = MessageType(rawValue: 3)
    public static let experimenter = MessageType(rawValue: 4)
    public static let featuresRequest = MessageType(rawValue: 5)
    public static let featuresReply = MessageType(rawValue: 6)
    public static let getConfigRequest = MessageType(rawValue: 7)
    public static let getConfigReply = MessageType(rawValue: 8)
    public static let setConfig = MessageType(rawValue: 9)
    public static let packetIn = MessageType(rawValue: 10)
    public static let flowRemoved = MessageType(rawValue: 11)
    public static let portStatus = MessageType(rawValue: 12)
    public static let packetOut = MessageType(rawValue: 13)
    public static let flowMod = MessageType(rawValue: 14)
    public static let groupMod = MessageType(rawValue: 15)
    public static let portMod = MessageType(rawValue: 16)
    public static let tableMod = MessageType(rawValue: 17)
    public static let multipartRequest = MessageType(rawValue: 18)
    public static let multipartReply = MessageType(rawValue: 19)
    public static let barrierRequest = MessageType(rawValue: 20)
    public static let barrierReply = MessageType(rawValue: 21)
    public static let queueGetConfigRequest = MessageType(rawValue: 22)
    public static let queueGetConfigReply = MessageType(rawValue: 23)
    public static let roleRequest = MessageType(rawValue: 24)
    public static let roleReply = MessageType(rawValue: 25)
    public static let getAsyncRequest = MessageType(rawValue: 26)
    public static let getAsyncReply = MessageType(rawValue: 27)
    public static let setAsync = MessageType(rawValue: 28)
    public static let meterMod = MessageType(rawValue: 29)

    /// The spec's name without `OFPT_`, lower case (`flow_mod`); `type_N` for unknown values.
    public var name: String {
        Int(rawValue) < Self.names.count ? Self.names[Int(rawValue)] : "type_\(rawValue)"
    }

    static let names = [
        "hello", "error", "echo_request", "echo_reply", "experimenter", "features_request", "features_reply",
        "get_config_request", "get_config_reply", "set_config", "packet_in", "flow_removed", "port_status", "packet_out",
        "flow_mod", "group_mod", "port_mod", "table_mod", "multipart_request", "multipart_reply", "barrier_request",
        "barrier_reply", "queue_get_config_request", "queue_get_config_reply", "role_request", "role_reply",
        "get_async_request", "get_async_reply", "set_async", "meter_mod",
    ]
}

/// Protocol constants.
public enum OpenFlow {
    /// `OFP_VERSION` for OpenFlow 1.3.
    public static let version13: UInt8 = 0x04
    /// IANA's OpenFlow port.
    public static let port = 6653
    /// Every message starts with an 8-byte `ofp_header`.
    public static let headerLength = 8
    /// Number of bytes of an offending request echoed in an OFPT_ERROR (§7.4.4: at least 64).
    public static let errorDataLength = 64
}
