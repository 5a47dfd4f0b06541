import NIOCore

/// `ofp_port` (§7.2.1): a port's description, in PORT_STATUS and PORT_DESC replies.
public struct PortDescription: Hashable, Sendable {
    public var portNumber: PortNumber
    public var hardwareAddress: EthernetAddress
    public var name: String
    /// `OFPPC_*`: port down 1, no recv 4, no fwd 32, no packet-in 64.
    public var config: UInt32
    /// `OFPPS_*`: link down 1, blocked 2, live 4.
    public var state: UInt32
    public var current: UInt32
    public var advertised: UInt32
    public var supported: UInt32
    public var peer: UInt32
    /// kbps.
    public var currentSpeed: UInt32
    public var maxSpeed: UInt32

    public static let wireLength = 64

    public init(portNumber: PortNumber, hardwareAddress: EthernetAddress, name: String, config: UInt32 = 0,
                state: UInt32 = 0, current: UInt32 = 0, advertised: UInt32 = 0, supported: UInt32 = 0,
                peer: UInt32 = 0, currentSpeed: UInt32 = 0, maxSpeed: UInt32 = 0) {
        self.portNumber = portNumber
        self.hardwareAddress = hardwareAddress
        self.name = name
        self.config = config
        self.state = state
        self.current = current
        self.advertised = advertised
        self.supported = supported
        self.peer = peer
        self.currentSpeed = currentSpeed
        self.maxSpeed = maxSpeed
    }

    public var isLinkDown: Bool { state & 1 != 0 }
    public var isAdministrativelyDown: Bool { config & 1 != 0 }

    static func read(from b: inout ByteBuffer, error e: ErrorCode = .badRequestBadLen) throws(ParseError) -> PortDescription {
        let no: UInt32 = try b.read(or: e)
        try b.skip(4, or: e)
        let hi: UInt16 = try b.read(or: e)
        let lo: UInt32 = try b.read(or: e)
        try b.skip(2, or: e)
        let name = try b.fixedString(16, or: e)
        return PortDescription(
            portNumber: PortNumber(no), hardwareAddress: EthernetAddress(rawValue: UInt64(hi) << 32 | UInt64(lo)), name: name,
            config: try b.read(or: e), state: try b.read(or: e), current: try b.read(or: e), advertised: try b.read(or: e),
            supported: try b.read(or: e), peer: try b.read(or: e), currentSpeed: try b.read(or: e), maxSpeed: try b.read(or: e))
    }

    func write(to b: inout ByteBuffer) -> Int {
        var n = b.writeInteger(portNumber.rawValue) + b.writeZeros(4)
        n += b.writeInteger(UInt16(truncatingIfNeeded: hardwareAddress.rawValue >> 32))
        n += b.writeInteger(UInt32(truncatingIfNeeded: hardwareAddress.rawValue)) + b.writeZeros(2)
        n += b.writeFixedString(name, 16)
        for v in [config, state, current, advertised, supported, peer, currentSpeed, maxSpeed] { n += b.writeInteger(v) }
        return n
    }
}

/// `OFPT_PORT_STATUS` (§7.4.3).
public struct PortStatus: Hashable, Sendable {
    public struct Reason: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let add = Reason(rawValue: 0)
        public static let delete = Reason(rawValue: 1)
        public static let modify = Reason(rawValue: 2)
    }

    public var reason: Reason
    public var port: PortDescription

    public init(reason: Reason, port: PortDescription) {
        self.reason = reason
        self.port = port
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> PortStatus {
        let r: UInt8 = try b.read(or: .badRequestBadLen)
        try b.skip(7, or: .badRequestBadLen)
        return PortStatus(reason: Reason(rawValue: r), port: try .read(from: &b))
    }

    func write(to b: inout ByteBuffer) -> Int { b.writeInteger(reason.rawValue) + b.writeZeros(7) + port.write(to: &b) }
}

/// `OFPT_PORT_MOD` (§7.3.4.3).
public struct PortMod: Hashable, Sendable {
    public var portNumber: PortNumber
    public var hardwareAddress: EthernetAddress
    public var config: UInt32
    public var mask: UInt32
    public var advertise: UInt32

    public init(portNumber: PortNumber, hardwareAddress: EthernetAddress, config: UInt32, mask: UInt32, advertise: UInt32 = 0) {
        self.portNumber = portNumber
        self.hardwareAddress = hardwareAddress
        self.config = config
        self.mask = mask
        self.advertise = advertise
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> PortMod {
        let e = ErrorCode.badRequestBadLen
        let no: UInt32 = try b.read(or: e)
        try b.skip(4, or: e)
        let hi: UInt16 = try b.read(or: e)
        let lo: UInt32 = try b.read(or: e)
        try b.skip(2, or: e)
        let config: UInt32 = try b.read(or: e)
        let mask: UInt32 = try b.read(or: e)
        let adv: UInt32 = try b.read(or: e)
        try b.skip(4, or: e)
        return PortMod(portNumber: PortNumber(no), hardwareAddress: EthernetAddress(rawValue: UInt64(hi) << 32 | UInt64(lo)),
                       config: config, mask: mask, advertise: adv)
    }

    func write(to b: inout ByteBuffer) -> Int {
        b.writeInteger(portNumber.rawValue) + b.writeZeros(4)
            + b.writeInteger(UInt16(truncatingIfNeeded: hardwareAddress.rawValue >> 32))
            + b.writeInteger(UInt32(truncatingIfNeeded: hardwareAddress.rawValue)) + b.writeZeros(2)
            + b.writeInteger(config) + b.writeInteger(mask) + b.writeInteger(advertise) + b.writeZeros(4)
    }
}
