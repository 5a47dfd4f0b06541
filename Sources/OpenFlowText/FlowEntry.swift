import OpenFlow

/// One flow as a golden file, a log line or the CLI shows it: what a flow-stats
/// reply carries minus the counters, or what an ADD flow-mod installs.
public struct FlowEntry: Hashable, Sendable {
    public var cookie: UInt64
    public var tableID: UInt8
    public var priority: UInt16
    public var idleTimeout: UInt16
    public var hardTimeout: UInt16
    public var flags: FlowMod.Flags
    public var match: Match
    public var instructions: [Instruction]

    public init(cookie: UInt64 = 0, tableID: UInt8 = 0, priority: UInt16 = 0x8000, idleTimeout: UInt16 = 0,
                hardTimeout: UInt16 = 0, flags: FlowMod.Flags = [], match: Match = .all, instructions: [Instruction] = []) {
        self.cookie = cookie
        self.tableID = tableID
        self.priority = priority
        self.idleTimeout = idleTimeout
        self.hardTimeout = hardTimeout
        self.flags = flags
        self.match = match
        self.instructions = instructions
    }

    public init(_ stats: FlowStats) {
        self.init(cookie: stats.cookie, tableID: stats.tableID, priority: stats.priority, idleTimeout: stats.idleTimeout,
                  hardTimeout: stats.hardTimeout, flags: stats.flags, match: stats.match, instructions: stats.instructions)
    }

    public init(_ mod: FlowMod) {
        self.init(cookie: mod.cookie, tableID: mod.tableID, priority: mod.priority, idleTimeout: mod.idleTimeout,
                  hardTimeout: mod.hardTimeout, flags: mod.flags, match: mod.match, instructions: mod.instructions)
    }

    /// A flow-mod for this entry, with the defaults `ovs-ofctl` uses (no buffer, any out port and group).
    public func flowMod(command: FlowMod.Command = .add) -> FlowMod {
        FlowMod(cookie: cookie, tableID: tableID, command: command, idleTimeout: idleTimeout, hardTimeout: hardTimeout,
                priority: priority, flags: flags, match: match, instructions: instructions)
    }

    /// The entry as its text reads back: match fields in Open vSwitch's OpenFlow 1.3 encoding
    /// order, instructions in canonical order, masks of all ones dropped, and so on.
    /// `FlowText.parse(FlowText.render(x)) == x.canonical` for every entry.
    public var canonical: FlowEntry {
        (try? FlowText.parse(FlowText.render(self))) ?? self
    }
}
