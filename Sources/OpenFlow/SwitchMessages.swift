import NIOCore

/// `OFPT_FEATURES_REPLY` (§7.3.1).
public struct SwitchFeatures: Hashable, Sendable {
    public var datapathID: UInt64
    public var nBuffers: UInt32
    public var nTables: UInt8
    public var auxiliaryID: UInt8
    /// `OFPC_*` bits: flow stats 1, table stats 2, port stats 4, group stats 8, IP reasm 32, queue stats 64, port blocked 256.
    public var capabilities: UInt32
    public var reserved: UInt32

    public init(datapathID: UInt64, nBuffers: UInt32 = 0, nTables: UInt8 = 254, auxiliaryID: UInt8 = 0,
                capabilities: UInt32 = 0, reserved: UInt32 = 0) {
        self.datapathID = datapathID
        self.nBuffers = nBuffers
        self.nTables = nTables
        self.auxiliaryID = auxiliaryID
        self.capabilities = capabilities
        self.reserved = reserved
    }

    static let wireLength = 24

    static func read(from b: inout ByteBuffer) throws(ParseError) -> SwitchFeatures {
        let dpid: UInt64 = try b.read(or: .badRequestBadLen)
        let nb: UInt32 = try b.read(or: .badRequestBadLen)
        let nt: UInt8 = try b.read(or: .badRequestBadLen)
        let aux: UInt8 = try b.read(or: .badRequestBadLen)
        try b.skip(2, or: .badRequestBadLen)
        let caps: UInt32 = try b.read(or: .badRequestBadLen)
        let res: UInt32 = try b.read(or: .badRequestBadLen)
        return SwitchFeatures(datapathID: dpid, nBuffers: nb, nTables: nt, auxiliaryID: aux, capabilities: caps, reserved: res)
    }

    func write(to b: inout ByteBuffer) -> Int {
        b.writeInteger(datapathID) + b.writeInteger(nBuffers) + b.writeInteger(nTables) + b.writeInteger(auxiliaryID)
            + b.writeZeros(2) + b.writeInteger(capabilities) + b.writeInteger(reserved)
    }
}

/// `OFPT_GET_CONFIG_REPLY` / `OFPT_SET_CONFIG` (§7.3.2).
public struct SwitchConfig: Hashable, Sendable {
    /// `OFPC_FRAG_*`: normal 0, drop 1, reasm 2.
    public var flags: UInt16
    /// Bytes of a table-miss packet sent to the controller.
    public var missSendLength: UInt16

    public init(flags: UInt16 = 0, missSendLength: UInt16 = 128) {
        self.flags = flags
        self.missSendLength = missSendLength
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> SwitchConfig {
        SwitchConfig(flags: try b.read(or: .badRequestBadLen), missSendLength: try b.read(or: .badRequestBadLen))
    }

    func write(to b: inout ByteBuffer) -> Int { b.writeInteger(flags) + b.writeInteger(missSendLength) }
}

/// `OFPT_TABLE_MOD` (§7.3.3).
public struct TableMod: Hashable, Sendable {
    public var tableID: UInt8
    public var config: UInt32

    public init(tableID: UInt8, config: UInt32 = 0) {
        self.tableID = tableID
        self.config = config
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> TableMod {
        let t: UInt8 = try b.read(or: .badRequestBadLen)
        try b.skip(3, or: .badRequestBadLen)
        return TableMod(tableID: t, config: try b.read(or: .badRequestBadLen))
    }

    func write(to b: inout ByteBuffer) -> Int { b.writeInteger(tableID) + b.writeZeros(3) + b.writeInteger(config) }
}

/// `OFPT_ROLE_REQUEST` / `OFPT_ROLE_REPLY` (§7.3.9).
public struct RoleMessage: Hashable, Sendable {
    public struct Role: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let noChange = Role(rawValue: 0)
        public static let equal = Role(rawValue: 1)
        public static let master = Role(rawValue: 2)
        public static let slave = Role(rawValue: 3)
    }

    public var role: Role
    public var generationID: UInt64

    public init(role: Role, generationID: UInt64 = 0) {
        self.role = role
        self.generationID = generationID
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> RoleMessage {
        let r: UInt32 = try b.read(or: .badRequestBadLen)
        try b.skip(4, or: .badRequestBadLen)
        return RoleMessage(role: Role(rawValue: r), generationID: try b.read(or: .badRequestBadLen))
    }

    func write(to b: inout ByteBuffer) -> Int { b.writeInteger(role.rawValue) + b.writeZeros(4) + b.writeInteger(generationID) }
}

/// `OFPT_GET_ASYNC_REPLY` / `OFPT_SET_ASYNC` (§7.3.10): index 0 is the master/equal mask, 1 the slave mask.
public struct AsyncConfig: Hashable, Sendable {
    public var packetInMask: [UInt32]
    public var portStatusMask: [UInt32]
    public var flowRemovedMask: [UInt32]

    public init(packetInMask: [UInt32] = [0, 0], portStatusMask: [UInt32] = [0, 0], flowRemovedMask: [UInt32] = [0, 0]) {
        self.packetInMask = packetInMask
        self.portStatusMask = portStatusMask
        self.flowRemovedMask = flowRemovedMask
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> AsyncConfig {
        func pair(_ b: inout ByteBuffer) throws(ParseError) -> [UInt32] {
            [try b.read(or: .badRequestBadLen), try b.read(or: .badRequestBadLen)]
        }
        return AsyncConfig(packetInMask: try pair(&b), portStatusMask: try pair(&b), flowRemovedMask: try pair(&b))
    }

    func write(to b: inout ByteBuffer) -> Int {
        var n = 0
        for mask in [packetInMask, portStatusMask, flowRemovedMask] {
            n += b.writeInteger(mask.count > 0 ? mask[0] : 0) + b.writeInteger(mask.count > 1 ? mask[1] : 0)
        }
        return n
    }
}

/// `OFPT_PACKET_IN` (§7.4.1).
public struct PacketIn: Hashable, Sendable {
    public var bufferID: UInt32
    public var totalLength: UInt16
    /// `OFPR_*`: no match 0, action 1, invalid TTL 2.
    public var reason: UInt8
    public var tableID: UInt8
    public var cookie: UInt64
    public var match: Match
    public var data: [UInt8]

    public init(bufferID: UInt32 = Reserved.noBuffer, totalLength: UInt16, reason: UInt8, tableID: UInt8,
                cookie: UInt64, match: Match, data: [UInt8]) {
        self.bufferID = bufferID
        self.totalLength = totalLength
        self.reason = reason
        self.tableID = tableID
        self.cookie = cookie
        self.match = match
        self.data = data
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> PacketIn {
        let buf: UInt32 = try b.read(or: .badRequestBadLen)
        let total: UInt16 = try b.read(or: .badRequestBadLen)
        let reason: UInt8 = try b.read(or: .badRequestBadLen)
        let table: UInt8 = try b.read(or: .badRequestBadLen)
        let cookie: UInt64 = try b.read(or: .badRequestBadLen)
        let match = try b.readMatch()
        try b.skip(2, or: .badRequestBadLen)
        return PacketIn(bufferID: buf, totalLength: total, reason: reason, tableID: table, cookie: cookie, match: match,
                        data: b.readBytes(length: b.readableBytes) ?? [])
    }

    func write(to b: inout ByteBuffer) -> Int {
        b.writeInteger(bufferID) + b.writeInteger(totalLength) + b.writeInteger(reason) + b.writeInteger(tableID)
            + b.writeInteger(cookie) + b.writeMatch(match) + b.writeZeros(2) + b.writeBytes(data)
    }
}

/// `OFPT_FLOW_REMOVED` (§7.4.2).
public struct FlowRemoved: Hashable, Sendable {
    public var cookie: UInt64
    public var priority: UInt16
    /// `OFPRR_*`: idle timeout 0, hard timeout 1, delete 2, group delete 3.
    public var reason: UInt8
    public var tableID: UInt8
    public var durationSec: UInt32
    public var durationNsec: UInt32
    public var idleTimeout: UInt16
    public var hardTimeout: UInt16
    public var packetCount: UInt64
    public var byteCount: UInt64
    public var match: Match

    public init(cookie: UInt64, priority: UInt16, reason: UInt8, tableID: UInt8, durationSec: UInt32 = 0,
                durationNsec: UInt32 = 0, idleTimeout: UInt16 = 0, hardTimeout: UInt16 = 0, packetCount: UInt64 = 0,
                byteCount: UInt64 = 0, match: Match) {
        self.cookie = cookie
        self.priority = priority
        self.reason = reason
        self.tableID = tableID
        self.durationSec = durationSec
        self.durationNsec = durationNsec
        self.idleTimeout = idleTimeout
        self.hardTimeout = hardTimeout
        self.packetCount = packetCount
        self.byteCount = byteCount
        self.match = match
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> FlowRemoved {
        let e = ErrorCode.badRequestBadLen
        return FlowRemoved(
            cookie: try b.read(or: e), priority: try b.read(or: e), reason: try b.read(or: e), tableID: try b.read(or: e),
            durationSec: try b.read(or: e), durationNsec: try b.read(or: e), idleTimeout: try b.read(or: e),
            hardTimeout: try b.read(or: e), packetCount: try b.read(or: e), byteCount: try b.read(or: e),
            match: try b.readMatch())
    }

    func write(to b: inout ByteBuffer) -> Int {
        b.writeInteger(cookie) + b.writeInteger(priority) + b.writeInteger(reason) + b.writeInteger(tableID)
            + b.writeInteger(durationSec) + b.writeInteger(durationNsec) + b.writeInteger(idleTimeout)
            + b.writeInteger(hardTimeout) + b.writeInteger(packetCount) + b.writeInteger(byteCount) + b.writeMatch(match)
    }
}

/// `OFPT_PACKET_OUT` (§7.3.7).
public struct PacketOut: Hashable, Sendable {
    public var bufferID: UInt32
    public var inPort: PortNumber
    public var actions: [Action]
    public var data: [UInt8]

    public init(bufferID: UInt32 = Reserved.noBuffer, inPort: PortNumber = .controller, actions: [Action], data: [UInt8]) {
        self.bufferID = bufferID
        self.inPort = inPort
        self.actions = actions
        self.data = data
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> PacketOut {
        let buf: UInt32 = try b.read(or: .badRequestBadLen)
        let port: UInt32 = try b.read(or: .badRequestBadLen)
        let alen = Int(try b.read(UInt16.self, or: .badRequestBadLen))
        try b.skip(6, or: .badRequestBadLen)
        let actions = try b.readActions(length: alen)
        return PacketOut(bufferID: buf, inPort: PortNumber(port), actions: actions, data: b.readBytes(length: b.readableBytes) ?? [])
    }

    func write(to b: inout ByteBuffer) -> Int {
        let alen = actions.reduce(0) { $0 + $1.wireLength }
        return b.writeInteger(bufferID) + b.writeInteger(inPort.rawValue) + b.writeInteger(UInt16(truncatingIfNeeded: alen))
            + b.writeZeros(6) + b.writeActions(actions) + b.writeBytes(data)
    }
}
