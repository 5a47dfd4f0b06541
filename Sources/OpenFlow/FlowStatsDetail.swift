/// How much of each `ofp_flow_stats` entry a reader decodes. A statistics read that only sums
/// counters has no use for matches and instructions, which are most of the bytes and all of
/// the allocations of a large reply.
public enum FlowStatsDetail: Sendable {
    /// Every field.
    case full
    /// Table, priority, cookie and counters; the entries come with an empty match and no
    /// instructions. Lengths are still checked.
    case countersOnly
}

extension RawReader {
    /// The length of an `ofp_flow_stats` entry, checked, and a reader over the rest of it.
    mutating func flowStatsEntry() throws(ParseError) -> RawReader {
        let e = ErrorCode.badRequestBadLen
        let len = Int(try read(UInt16.self, or: e))
        guard len >= 56 else { throw ParseError(e, "flow stats length below 56") }
        return try sub(len - 2, or: e)
    }

    /// The fixed part of an `ofp_flow_stats` after its length (table to byte count), with an
    /// empty match and no instructions: what both readers share.
    mutating func flowStatsFixedPart() throws(ParseError) -> FlowStats {
        let e = ErrorCode.badRequestBadLen
        let table: UInt8 = try read(or: e)
        try skip(1, or: e)
        let ds: UInt32 = try read(or: e)
        let dn: UInt32 = try read(or: e)
        let prio: UInt16 = try read(or: e)
        let idle: UInt16 = try read(or: e)
        let hard: UInt16 = try read(or: e)
        let flags: UInt16 = try read(or: e)
        try skip(4, or: e)
        return FlowStats(tableID: table, durationSec: ds, durationNsec: dn, priority: prio, idleTimeout: idle, hardTimeout: hard,
                         flags: FlowMod.Flags(rawValue: flags), cookie: try read(or: e), packetCount: try read(or: e),
                         byteCount: try read(or: e), match: .all, instructions: [])
    }

    /// One `ofp_flow_stats` without its match and instructions.
    mutating func flowStatsCounters() throws(ParseError) -> FlowStats {
        var b = try flowStatsEntry()
        return try b.flowStatsFixedPart()
    }

    /// The body of a flow multipart reply read counters-only; nil when it is another kind.
    mutating func flowCountersReply() throws(ParseError) -> MultipartReply? {
        let e = ErrorCode.badRequestBadLen
        guard peek(UInt16.self) == MultipartType.flow.rawValue else { return nil }
        try skip(2, or: e)
        let flags: UInt16 = try read(or: e)
        try skip(4, or: e)
        var entries: [FlowStats] = []
        while remaining > 0 { entries.append(try flowStatsCounters()) }
        return MultipartReply(flags: flags, .flow(entries))
    }
}
