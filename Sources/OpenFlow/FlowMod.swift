import NIOCore

/// `OFPT_FLOW_MOD` (§7.3.4.2).
public struct FlowMod: Hashable, Sendable {
    public struct Command: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let add = Command(rawValue: 0)
        public static let modify = Command(rawValue: 1)
        public static let modifyStrict = Command(rawValue: 2)
        public static let delete = Command(rawValue: 3)
        public static let deleteStrict = Command(rawValue: 4)
    }

    /// `ofp_flow_mod_flags`.
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let sendFlowRemoved = Flags(rawValue: 1)
        public static let checkOverlap = Flags(rawValue: 2)
        public static let resetCounts = Flags(rawValue: 4)
        public static let noPacketCounts = Flags(rawValue: 8)
        public static let noByteCounts = Flags(rawValue: 16)
    }

    public var cookie: UInt64
    public var cookieMask: UInt64
    public var tableID: UInt8
    public var command: Command
    public var idleTimeout: UInt16
    public var hardTimeout: UInt16
    public var priority: UInt16
    public var bufferID: UInt32
    public var outPort: PortNumber
    public var outGroup: UInt32
    public var flags: Flags
    public var match: Match
    public var instructions: [Instruction]

    public init(cookie: UInt64 = 0, cookieMask: UInt64 = 0, tableID: UInt8 = 0, command: Command = .add,
                idleTimeout: UInt16 = 0, hardTimeout: UInt16 = 0, priority: UInt16 = 0x8000,
                bufferID: UInt32 = Reserved.noBuffer, outPort: PortNumber = .any, outGroup: UInt32 = Reserved.groupAny,
                flags: Flags = [], match: Match = .all, instructions: [Instruction] = []) {
        self.cookie = cookie
        self.cookieMask = cookieMask
        self.tableID = tableID
        self.command = command
        self.idleTimeout = idleTimeout
        self.hardTimeout = hardTimeout
        self.priority = priority
        self.bufferID = bufferID
        self.outPort = outPort
        self.outGroup = outGroup
        self.flags = flags
        self.match = match
        self.instructions = instructions
    }

    @inlinable
    static func read(from b: inout ByteBuffer) throws(ParseError) -> FlowMod {
        try b.readRaw { (r) throws(ParseError) in try read(from: &r) }
    }

    @inlinable
    static func read(from r: inout RawReader) throws(ParseError) -> FlowMod {
        let e = ErrorCode.badRequestBadLen
        let cookie: UInt64 = try r.read(or: e)
        let cookieMask: UInt64 = try r.read(or: e)
        let table: UInt8 = try r.read(or: e)
        let command: UInt8 = try r.read(or: e)
        let idle: UInt16 = try r.read(or: e)
        let hard: UInt16 = try r.read(or: e)
        let priority: UInt16 = try r.read(or: e)
        let buffer: UInt32 = try r.read(or: e)
        let outPort: UInt32 = try r.read(or: e)
        let outGroup: UInt32 = try r.read(or: e)
        let flags: UInt16 = try r.read(or: e)
        try r.skip(2, or: e)
        let match = try r.match()
        let instructions = try r.instructions(length: r.remaining)
        return FlowMod(cookie: cookie, cookieMask: cookieMask, tableID: table, command: Command(rawValue: command),
                       idleTimeout: idle, hardTimeout: hard, priority: priority, bufferID: buffer,
                       outPort: PortNumber(outPort), outGroup: outGroup, flags: Flags(rawValue: flags), match: match,
                       instructions: instructions)
    }

    /// Bytes of the body after the 8-byte header.
    @inlinable
    var bodyLength: Int { 40 + match.wireLength + instructions.reduce(0) { $0 + $1.wireLength } }

    @inlinable
    func write(to b: inout ByteBuffer) -> Int {
        b.writeRaw(bodyLength) { write(to: &$0) }
    }

    @inlinable
    func write(to w: inout RawWriter) {
        w.write(cookie); w.write(cookieMask); w.write(tableID); w.write(command.rawValue)
        w.write(idleTimeout); w.write(hardTimeout); w.write(priority); w.write(bufferID)
        w.write(outPort.rawValue); w.write(outGroup); w.write(flags.rawValue); w.zeros(2)
        w.match(match)
        w.instructions(instructions)
    }
}
