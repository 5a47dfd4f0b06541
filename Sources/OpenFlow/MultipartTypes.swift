import NIOCore

/// `ofp_multipart_type` (§7.3.5).
public struct MultipartType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let desc = MultipartType(rawValue: 0)
    public static let flow = MultipartType(rawValue: 1)
    public static let aggregate = MultipartType(rawValue: 2)
    public static let table = MultipartType(rawValue: 3)
    public static let portStats = MultipartType(rawValue: 4)
    public static let queue = MultipartType(rawValue: 5)
    public static let group = MultipartType(rawValue: 6)
    public static let groupDesc = MultipartType(rawValue: 7)
    public static let groupFeatures = MultipartType(rawValue: 8)
    public static let meter = MultipartType(rawValue: 9)
    public static let meterConfig = MultipartType(rawValue: 10)
    public static let meterFeatures = MultipartType(rawValue: 11)
    public static let tableFeatures = MultipartType(rawValue: 12)
    public static let portDesc = MultipartType(rawValue: 13)
    public static let experimenter = MultipartType(rawValue: 0xffff)
}

/// `ofp_flow_stats_request` / `ofp_aggregate_stats_request`.
public struct FlowStatsRequest: Hashable, Sendable {
    public var tableID: UInt8
    public var outPort: PortNumber
    public var outGroup: UInt32
    public var cookie: UInt64
    public var cookieMask: UInt64
    public var match: Match

    public init(tableID: UInt8 = Reserved.tableAll, outPort: PortNumber = .any, outGroup: UInt32 = Reserved.groupAny,
                cookie: UInt64 = 0, cookieMask: UInt64 = 0, match: Match = .all) {
        self.tableID = tableID
        self.outPort = outPort
        self.outGroup = outGroup
        self.cookie = cookie
        self.cookieMask = cookieMask
        self.match = match
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> FlowStatsRequest {
        let e = ErrorCode.badRequestBadLen
        let table: UInt8 = try b.read(or: e)
        try b.skip(3, or: e)
        let port: UInt32 = try b.read(or: e)
        let group: UInt32 = try b.read(or: e)
        try b.skip(4, or: e)
        let cookie: UInt64 = try b.read(or: e)
        let mask: UInt64 = try b.read(or: e)
        return FlowStatsRequest(tableID: table, outPort: PortNumber(port), outGroup: group, cookie: cookie, cookieMask: mask,
                                match: try b.readMatch())
    }

    func write(to b: inout ByteBuffer) -> Int {
        b.writeInteger(tableID) + b.writeZeros(3) + b.writeInteger(outPort.rawValue) + b.writeInteger(outGroup) + b.writeZeros(4)
            + b.writeInteger(cookie) + b.writeInteger(cookieMask) + b.writeMatch(match)
    }
}

/// `ofp_flow_stats`: one installed flow.
public struct FlowStats: Hashable, Sendable {
    public var tableID: UInt8
    public var durationSec: UInt32
    public var durationNsec: UInt32
    public var priority: UInt16
    public var idleTimeout: UInt16
    public var hardTimeout: UInt16
    public var flags: FlowMod.Flags
    public var cookie: UInt64
    public var packetCount: UInt64
    public var byteCount: UInt64
    public var match: Match
    public var instructions: [Instruction]

    public init(tableID: UInt8, durationSec: UInt32 = 0, durationNsec: UInt32 = 0, priority: UInt16, idleTimeout: UInt16 = 0,
                hardTimeout: UInt16 = 0, flags: FlowMod.Flags = [], cookie: UInt64, packetCount: UInt64 = 0,
                byteCount: UInt64 = 0, match: Match, instructions: [Instruction]) {
        self.tableID = tableID
        self.durationSec = durationSec
        self.durationNsec = durationNsec
        self.priority = priority
        self.idleTimeout = idleTimeout
        self.hardTimeout = hardTimeout
        self.flags = flags
        self.cookie = cookie
        self.packetCount = packetCount
        self.byteCount = byteCount
        self.match = match
        self.instructions = instructions
    }

    static func read(from body: inout ByteBuffer) throws(ParseError) -> FlowStats {
        let e = ErrorCode.badRequestBadLen
        let len = Int(try body.read(UInt16.self, or: e))
        guard len >= 56 else { throw ParseError(e, "flow stats length below 56") }
        var b = try body.slice(len - 2, or: e)
        var s = try b.readRaw { (r) throws(ParseError) in try r.flowStatsFixedPart() }
        s.match = try b.readMatch()
        s.instructions = try b.readInstructions(length: b.readableBytes)
        return s
    }

    var wireLength: Int { 48 + match.wireLength + instructions.reduce(0) { $0 + $1.wireLength } }

    func write(to b: inout ByteBuffer) -> Int {
        var n = b.writeInteger(UInt16(truncatingIfNeeded: wireLength)) + b.writeInteger(tableID) + b.writeZeros(1)
        n += b.writeInteger(durationSec) + b.writeInteger(durationNsec) + b.writeInteger(priority) + b.writeInteger(idleTimeout)
        n += b.writeInteger(hardTimeout) + b.writeInteger(flags.rawValue) + b.writeZeros(4) + b.writeInteger(cookie)
        n += b.writeInteger(packetCount) + b.writeInteger(byteCount) + b.writeMatch(match) + b.writeInstructions(instructions)
        return n
    }
}

/// `ofp_aggregate_stats_reply`.
public struct AggregateStats: Hashable, Sendable {
    public var packetCount: UInt64
    public var byteCount: UInt64
    public var flowCount: UInt32
    public init(packetCount: UInt64, byteCount: UInt64, flowCount: UInt32) {
        self.packetCount = packetCount
        self.byteCount = byteCount
        self.flowCount = flowCount
    }
}

/// `ofp_desc`.
public struct SwitchDescription: Hashable, Sendable {
    public var manufacturer: String
    public var hardware: String
    public var software: String
    public var serialNumber: String
    public var datapath: String
    public init(manufacturer: String = "", hardware: String = "", software: String = "", serialNumber: String = "", datapath: String = "") {
        self.manufacturer = manufacturer
        self.hardware = hardware
        self.software = software
        self.serialNumber = serialNumber
        self.datapath = datapath
    }
}

/// `ofp_table_stats`.
public struct TableStats: Hashable, Sendable {
    public var tableID: UInt8
    public var activeCount: UInt32
    public var lookupCount: UInt64
    public var matchedCount: UInt64
    public init(tableID: UInt8, activeCount: UInt32, lookupCount: UInt64, matchedCount: UInt64) {
        self.tableID = tableID
        self.activeCount = activeCount
        self.lookupCount = lookupCount
        self.matchedCount = matchedCount
    }
}

/// `ofp_port_stats`: the twelve counters in spec order, then the duration.
public struct PortStats: Hashable, Sendable {
    public var portNumber: PortNumber
    public var rxPackets: UInt64, txPackets: UInt64, rxBytes: UInt64, txBytes: UInt64
    public var rxDropped: UInt64, txDropped: UInt64, rxErrors: UInt64, txErrors: UInt64
    public var rxFrameErrors: UInt64, rxOverErrors: UInt64, rxCRCErrors: UInt64, collisions: UInt64
    public var durationSec: UInt32, durationNsec: UInt32

    public init(portNumber: PortNumber, rxPackets: UInt64 = 0, txPackets: UInt64 = 0, rxBytes: UInt64 = 0, txBytes: UInt64 = 0,
                rxDropped: UInt64 = 0, txDropped: UInt64 = 0, rxErrors: UInt64 = 0, txErrors: UInt64 = 0,
                rxFrameErrors: UInt64 = 0, rxOverErrors: UInt64 = 0, rxCRCErrors: UInt64 = 0, collisions: UInt64 = 0,
                durationSec: UInt32 = 0, durationNsec: UInt32 = 0) {
        self.portNumber = portNumber
        self.rxPackets = rxPackets; self.txPackets = txPackets; self.rxBytes = rxBytes; self.txBytes = txBytes
        self.rxDropped = rxDropped; self.txDropped = txDropped; self.rxErrors = rxErrors; self.txErrors = txErrors
        self.rxFrameErrors = rxFrameErrors; self.rxOverErrors = rxOverErrors; self.rxCRCErrors = rxCRCErrors
        self.collisions = collisions; self.durationSec = durationSec; self.durationNsec = durationNsec
    }

    var counters: [UInt64] {
        [rxPackets, txPackets, rxBytes, txBytes, rxDropped, txDropped, rxErrors, txErrors, rxFrameErrors, rxOverErrors,
         rxCRCErrors, collisions]
    }
}

/// `ofp_queue_stats`.
public struct QueueStats: Hashable, Sendable {
    public var portNumber: PortNumber
    public var queueID: UInt32
    public var txBytes: UInt64, txPackets: UInt64, txErrors: UInt64
    public var durationSec: UInt32, durationNsec: UInt32
    public init(portNumber: PortNumber, queueID: UInt32, txBytes: UInt64 = 0, txPackets: UInt64 = 0, txErrors: UInt64 = 0,
                durationSec: UInt32 = 0, durationNsec: UInt32 = 0) {
        self.portNumber = portNumber; self.queueID = queueID
        self.txBytes = txBytes; self.txPackets = txPackets; self.txErrors = txErrors
        self.durationSec = durationSec; self.durationNsec = durationNsec
    }
}

/// `ofp_group_stats`.
public struct GroupStats: Hashable, Sendable {
    public var groupID: UInt32
    public var refCount: UInt32
    public var packetCount: UInt64, byteCount: UInt64
    public var durationSec: UInt32, durationNsec: UInt32
    /// Per bucket: packets and bytes.
    public var buckets: [BucketCounter]

    public struct BucketCounter: Hashable, Sendable {
        public var packetCount: UInt64, byteCount: UInt64
        public init(packetCount: UInt64, byteCount: UInt64) { self.packetCount = packetCount; self.byteCount = byteCount }
    }

    public init(groupID: UInt32, refCount: UInt32 = 0, packetCount: UInt64 = 0, byteCount: UInt64 = 0, durationSec: UInt32 = 0,
                durationNsec: UInt32 = 0, buckets: [BucketCounter] = []) {
        self.groupID = groupID; self.refCount = refCount; self.packetCount = packetCount; self.byteCount = byteCount
        self.durationSec = durationSec; self.durationNsec = durationNsec; self.buckets = buckets
    }
}

/// `ofp_group_desc`.
public struct GroupDescription: Hashable, Sendable {
    public var type: GroupType
    public var groupID: UInt32
    public var buckets: [Bucket]
    public init(type: GroupType, groupID: UInt32, buckets: [Bucket]) {
        self.type = type; self.groupID = groupID; self.buckets = buckets
    }
}

/// `ofp_group_features`.
public struct GroupFeatures: Hashable, Sendable {
    public var types: UInt32
    public var capabilities: UInt32
    /// Indexed by group type (all, select, indirect, fast failover).
    public var maxGroups: [UInt32]
    public var actions: [UInt32]
    public init(types: UInt32, capabilities: UInt32, maxGroups: [UInt32], actions: [UInt32]) {
        self.types = types; self.capabilities = capabilities; self.maxGroups = maxGroups; self.actions = actions
    }
}

/// `ofp_meter_stats`.
public struct MeterStats: Hashable, Sendable {
    public var meterID: UInt32
    public var flowCount: UInt32
    public var packetInCount: UInt64, byteInCount: UInt64
    public var durationSec: UInt32, durationNsec: UInt32
    /// Per band: packets and bytes.
    public var bands: [GroupStats.BucketCounter]
    public init(meterID: UInt32, flowCount: UInt32 = 0, packetInCount: UInt64 = 0, byteInCount: UInt64 = 0,
                durationSec: UInt32 = 0, durationNsec: UInt32 = 0, bands: [GroupStats.BucketCounter] = []) {
        self.meterID = meterID; self.flowCount = flowCount; self.packetInCount = packetInCount; self.byteInCount = byteInCount
        self.durationSec = durationSec; self.durationNsec = durationNsec; self.bands = bands
    }
}

/// `ofp_meter_config`.
public struct MeterConfig: Hashable, Sendable {
    public var flags: MeterMod.Flags
    public var meterID: UInt32
    public var bands: [MeterBand]
    public init(flags: MeterMod.Flags, meterID: UInt32, bands: [MeterBand]) {
        self.flags = flags; self.meterID = meterID; self.bands = bands
    }
}

/// `ofp_meter_features`.
public struct MeterFeatures: Hashable, Sendable {
    public var maxMeter: UInt32
    public var bandTypes: UInt32
    public var capabilities: UInt32
    public var maxBands: UInt8
    public var maxColor: UInt8
    public init(maxMeter: UInt32, bandTypes: UInt32, capabilities: UInt32, maxBands: UInt8, maxColor: UInt8) {
        self.maxMeter = maxMeter; self.bandTypes = bandTypes; self.capabilities = capabilities
        self.maxBands = maxBands; self.maxColor = maxColor
    }
}
