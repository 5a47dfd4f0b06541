import OpenFlow
import OpenFlowText

/// What must be sent to make a bridge hold its program, given what it holds now: only the
/// difference, nothing at all when it already matches. Flows, groups and meters not taasd's are
/// never named. Pure.
///
/// Open vSwitch cannot take meter changes in a bundle (`OFPBFC_MSG_UNSUP`), and refuses a flow
/// that names a meter it lacks: meters added or changed go before the bundle (`metersFirst`),
/// meters deleted after it (`metersLast`).
///
/// Making the plan finds the difference; its messages are made in order, a piece at a time
/// (`pieces`), so that a large plan can be sent while it is still being put in order.
public struct ReconcilePlan: Sendable {
    public private(set) var flowsAdded = 0, flowsModified = 0, flowsDeleted = 0
    public private(set) var groupsAdded = 0, groupsModified = 0, groupsDeleted = 0
    public private(set) var metersAdded = 0, metersModified = 0, metersDeleted = 0
    /// How many messages the plan's bundle holds.
    public private(set) var count = 0
    /// Meter changes sent before the bundle (with a barrier) and after it commits.
    public private(set) var metersFirst: [OpenFlowMessage.Payload] = [], metersLast: [OpenFlowMessage.Payload] = []

    private var groupFirst: [OpenFlowMessage.Payload] = [], groupLast: [OpenFlowMessage.Payload] = []
    /// Flows to send, with what the bridge holds under each one's key (empty when it holds
    /// none of them).
    private var wanted: [FlowEntry] = [], holding: [FlowEntry?] = []
    /// Flows of ours the program no longer has.
    private var stale: [FlowEntry] = []
    /// The same from the engine's packed delta (`init(delta: PackedDelta)`), made into
    /// `FlowEntry`s as they are sent, a piece at a time when there are more than a few thousand:
    /// a bulk change's plans, dozens at once, never hold all their entries (about a kilobyte
    /// each) together.
    private var packedWanted: [PackedStep] = [], packedStale: [(key: PackedKey, value: PackedValue)] = []

    private struct PackedStep: Sendable {
        var key: PackedKey
        var old: PackedValue?
        var new: PackedValue
    }

    public var isEmpty: Bool { count == 0 && metersFirst.isEmpty && metersLast.isEmpty }

    /// How much a plan changes, without its messages (what is logged and counted once it is sent).
    public struct Counts: Hashable, Sendable {
        public var messages: Int
        public var flowsAdded, flowsModified, flowsDeleted: Int
        public var groupsAdded, groupsModified, groupsDeleted: Int
        public var metersAdded = 0, metersModified = 0, metersDeleted = 0

        public init(messages: Int, flowsAdded: Int, flowsModified: Int, flowsDeleted: Int, groupsAdded: Int, groupsModified: Int,
                    groupsDeleted: Int) {
            self.messages = messages
            self.flowsAdded = flowsAdded; self.flowsModified = flowsModified; self.flowsDeleted = flowsDeleted
            self.groupsAdded = groupsAdded; self.groupsModified = groupsModified; self.groupsDeleted = groupsDeleted
        }
    }

    public var counts: Counts {
        var c = Counts(messages: count + metersFirst.count + metersLast.count, flowsAdded: flowsAdded, flowsModified: flowsModified,
                       flowsDeleted: flowsDeleted, groupsAdded: groupsAdded, groupsModified: groupsModified, groupsDeleted: groupsDeleted)
        c.metersAdded = metersAdded; c.metersModified = metersModified; c.metersDeleted = metersDeleted
        return c
    }

    /// Group messages for a delta's group steps.
    private mutating func planGroups(_ groups: [UInt32: ProgramDelta.Step<GroupDescription>]) {
        for (id, step) in groups.sorted(by: { $0.key < $1.key }) {
            switch (step.old, step.new) {
            case (nil, let want?):
                groupFirst.append(.groupMod(GroupMod(command: .add, type: want.type, groupID: id, buckets: want.buckets)))
                groupsAdded += 1
            case (_?, let want?):
                groupFirst.append(.groupMod(GroupMod(command: .modify, type: want.type, groupID: id, buckets: want.buckets)))
                groupsModified += 1
            case (_?, nil):
                groupLast.append(.groupMod(GroupMod(command: .delete, type: .all, groupID: id)))
                groupsDeleted += 1
            case (nil, nil):
                break
            }
        }
    }

    /// Meter messages for the difference between what a bridge holds and what it should.
    private mutating func planMeters(_ steps: [(id: UInt32, old: MeterConfig?, new: MeterConfig?)]) {
        for (id, old, new) in steps.sorted(by: { $0.id < $1.id }) {
            switch (old, new) {
            case (nil, let m?):
                metersFirst.append(.meterMod(MeterMod(command: .add, flags: m.flags, meterID: id, bands: m.bands)))
                metersAdded += 1
            case (let o?, let m?) where o != m:
                metersFirst.append(.meterMod(MeterMod(command: .modify, flags: m.flags, meterID: id, bands: m.bands)))
                metersModified += 1
            case (_?, nil):
                metersLast.append(.meterMod(MeterMod(command: .delete, flags: [], meterID: id, bands: [])))
                metersDeleted += 1
            default:
                break
            }
        }
    }

    public init(desired: BridgeProgram, installedFlows: [FlowEntry], installedGroups: [GroupDescription], installedMeters: [MeterConfig] = []) {
        let haveMeters = Dictionary(installedMeters.filter { MeterIDs.isOurs($0.meterID) }.map { ($0.meterID, $0) }, uniquingKeysWith: { a, _ in a })
        planMeters(Set(haveMeters.keys).union(desired.meters.keys).map { ($0, haveMeters[$0], desired.meters[$0]) })
        var installed: [FlowKey: FlowEntry] = [:]
        for f in installedFlows where Cookie.isOurs(f.cookie) {
            let key = FlowKey(table: f.tableID, priority: f.priority, match: f.match)
            if installed[key] != nil {
                // Two of ours with one key cannot happen on a switch; keep the first.
                continue
            }
            installed[key] = f
        }
        let haveGroups = Dictionary(installedGroups.filter { GroupIDs.isOurs($0.groupID) }.map { ($0.groupID, $0) }, uniquingKeysWith: { a, _ in a })

        for id in desired.groups.keys.sorted() {
            guard let want = desired.groups[id] else { continue }
            if let have = haveGroups[id] {
                if have.type != want.type || have.buckets != want.buckets {
                    groupFirst.append(.groupMod(GroupMod(command: .modify, type: want.type, groupID: id, buckets: want.buckets)))
                    groupsModified += 1
                }
            } else {
                groupFirst.append(.groupMod(GroupMod(command: .add, type: want.type, groupID: id, buckets: want.buckets)))
                groupsAdded += 1
            }
        }
        var flowMessages = 0
        if installed.isEmpty {
            // A bridge programmed from empty: everything is new.
            wanted = Array(desired.flows.values)
            flowsAdded = wanted.count
            flowMessages = wanted.count
        } else {
            for (key, want) in desired.flows {
                let have = installed.removeValue(forKey: key)
                if let have, have.instructions == want.instructions && have.cookie == want.cookie { continue }
                flowMessages += countPut(over: have?.cookie, with: want.cookie)
                wanted.append(want)
                holding.append(have)
            }
            stale = Array(installed.values)
            flowsDeleted = stale.count
        }
        for id in haveGroups.keys.sorted() where desired.groups[id] == nil {
            groupLast.append(.groupMod(GroupMod(command: .delete, type: .all, groupID: id)))
            groupsDeleted += 1
        }
        count = groupFirst.count + flowMessages + flowsDeleted + groupLast.count
    }

    /// The messages that carry a program's delta to a bridge that holds the program before it:
    /// what the reconciler sends once a bridge is in step, without reading it back.
    public init(delta: ProgramDelta) {
        self.init(groups: delta.groups, flows: delta.flows.values.map { ($0.old, $0.new) })
        planMeters(delta.meters.map { ($0.key, $0.value.old, $0.value.new) })
    }

    /// The same from the engine's packed delta; its flows stay packed until `pieces`.
    public init(delta: PackedDelta) {
        planGroups(delta.groups)
        var flowMessages = 0
        packedWanted.reserveCapacity(delta.flows.count)
        for (key, step) in delta.flows {
            if let new = step.new {
                flowMessages += countPut(over: step.old?.cookie, with: new.cookie)
                packedWanted.append(PackedStep(key: key, old: step.old, new: new))
            } else if let old = step.old {
                packedStale.append((key, old))
            }
        }
        flowsDeleted = packedStale.count
        count = groupFirst.count + flowMessages + flowsDeleted + groupLast.count
        planMeters(delta.meters.map { ($0.key, $0.value.old, $0.value.new) })
    }

    private init(groups: [UInt32: ProgramDelta.Step<GroupDescription>], flows: [(old: FlowEntry?, new: FlowEntry?)]) {
        planGroups(groups)
        var flowMessages = 0
        wanted.reserveCapacity(flows.count)
        holding.reserveCapacity(flows.count)
        for (have, want) in flows {
            if let want {
                flowMessages += countPut(over: have?.cookie, with: want.cookie)
                wanted.append(want)
                holding.append(have)
            } else if let have {
                stale.append(have)
            }
        }
        flowsDeleted = stale.count
        count = groupFirst.count + flowMessages + flowsDeleted + groupLast.count
    }

    /// Calls `body` with the plan's messages in the order they must be applied, a piece at a
    /// time: groups added or changed, then flows (each set in `PlanOrder`), then groups no longer
    /// referenced deleted. `count` messages in all.
    public func pieces(_ body: ([OpenFlowMessage.Payload]) throws -> Void) rethrows {
        if !groupFirst.isEmpty { try body(groupFirst) }
        try PlanOrder(wanted).forEachPiece { positions in
            var out: [OpenFlowMessage.Payload] = []
            out.reserveCapacity(positions.count)
            for i in positions { Self.put(wanted[i], over: holding.isEmpty ? nil : holding[i], into: &out) }
            try body(out)
        }
        try Self.inOrder(count: packedWanted.count, key: { packedWanted[$0].key }, entry: { packedWanted[$0].new.entry(packedWanted[$0].key) }) { piece in
            var out: [OpenFlowMessage.Payload] = []
            out.reserveCapacity(piece.count)
            for (i, want) in piece { Self.put(want, over: packedWanted[i].old?.entry(packedWanted[i].key), into: &out) }
            try body(out)
        }
        try PlanOrder(stale).forEachPiece { positions in
            try body(positions.map { .flowMod(Self.delete(stale[$0])) })
        }
        try packedDeletes(body)
        if !groupLast.isEmpty { try body(groupLast) }
    }

    /// Packed flows' entries (with their positions) in plan order, a piece at a time. A set
    /// large enough to be cut has its entries made as each piece goes; a smaller one (a bridge's
    /// usual delta) has each made once and ordered as it is, not made again to be ordered.
    private static func inOrder(count: Int, key: (Int) -> PackedKey, entry: (Int) -> FlowEntry,
                                _ body: ([(position: Int, entry: FlowEntry)]) throws -> Void) rethrows {
        if PlanOrder.isCut(count) {
            try PlanOrder(count: count) { let k = key($0); return (k.table, k.priority, k.match) }
                .forEachPiece { positions in try body(positions.map { ($0, entry($0)) }) }
        } else if count > 0 {
            let entries = (0..<count).map(entry)
            try PlanOrder(entries).forEachPiece { positions in try body(positions.map { ($0, entries[$0]) }) }
        }
    }

    /// The packed flows to delete, in plan order. A delete names a flow by its key and cookie
    /// alone: its instructions are never made (most of the cost of a whole `FlowEntry`).
    private func packedDeletes(_ body: ([OpenFlowMessage.Payload]) throws -> Void) rethrows {
        let n = packedStale.count
        func mod(_ i: Int, _ match: Match) -> OpenFlowMessage.Payload {
            let k = packedStale[i].key
            return .flowMod(FlowMod(cookie: packedStale[i].value.cookie, cookieMask: UInt64.max, tableID: k.table, command: .deleteStrict,
                                    priority: k.priority, match: match))
        }
        if PlanOrder.isCut(n) {
            try PlanOrder(count: n) { let k = packedStale[$0].key; return (k.table, k.priority, k.match) }
                .forEachPiece { positions in try body(positions.map { mod($0, packedStale[$0].key.normalizedMatch) }) }
        } else if n > 0 {
            let matches = packedStale.map(\.key.normalizedMatch)
            try PlanOrder(count: n) { (packedStale[$0].key.table, packedStale[$0].key.priority, matches[$0]) }
                .forEachPiece { positions in try body(positions.map { mod($0, matches[$0]) }) }
        }
    }

    /// Every message, in order (what `pieces` hands out, gathered).
    public var messages: [OpenFlowMessage.Payload] {
        var all: [OpenFlowMessage.Payload] = []
        all.reserveCapacity(count)
        pieces { all += $0 }
        return all
    }

    /// The message at `index` in the plan's order, made again (to name the one a switch refused).
    public func message(at index: Int) -> OpenFlowMessage.Payload? {
        guard index >= 0 && index < count else { return nil }
        var seen = 0
        var found: OpenFlowMessage.Payload?
        pieces { piece in
            if found == nil, index < seen + piece.count { found = piece[index - seen] }
            seen += piece.count
        }
        return found
    }

    /// Counts a flow to add (nothing held: `have` nil) or modify; returns its messages.
    /// OpenFlow 1.3 cannot change a cookie in place: then a delete and an add.
    private mutating func countPut(over have: UInt64?, with want: UInt64) -> Int {
        guard let have else {
            flowsAdded += 1
            return 1
        }
        flowsModified += 1
        return have == want ? 1 : 2
    }

    /// The messages that make the bridge hold `want` where it holds `have` (nil: nothing).
    private static func put(_ want: FlowEntry, over have: FlowEntry?, into out: inout [OpenFlowMessage.Payload]) {
        guard let have else { return out.append(.flowMod(want.flowMod(command: .add))) }
        if have.cookie == want.cookie {
            // In place: the flow keeps its counters.
            out.append(.flowMod(want.flowMod(command: .modifyStrict)))
        } else {
            out.append(.flowMod(Self.delete(have)))
            out.append(.flowMod(want.flowMod(command: .add)))
        }
    }

    /// Deletes exactly this flow, and only if it is still ours.
    static func delete(_ f: FlowEntry) -> FlowMod {
        FlowMod(cookie: f.cookie, cookieMask: UInt64.max, tableID: f.tableID, command: .deleteStrict, priority: f.priority, match: f.match)
    }
}
