import Dispatch
import OpenFlow
import OpenFlowText

/// What must be sent to make a bridge hold its program, given what it holds now: only the
/// difference, nothing at all when it already matches. Flows and groups not taasd's are never
/// named. Pure.
public struct ReconcilePlan: Hashable, Sendable {
    /// In the order they must be applied: groups added or changed, then flows, then groups no
    /// longer referenced deleted.
    public var messages: [OpenFlowMessage.Payload] = []
    public var flowsAdded = 0, flowsModified = 0, flowsDeleted = 0
    public var groupsAdded = 0, groupsModified = 0, groupsDeleted = 0

    public var isEmpty: Bool { messages.isEmpty }

    /// How much a plan changes, without its messages (what is logged and counted once it is sent).
    public struct Counts: Hashable, Sendable {
        public var messages: Int
        public var flowsAdded, flowsModified, flowsDeleted: Int
        public var groupsAdded, groupsModified, groupsDeleted: Int
    }

    public var counts: Counts {
        Counts(messages: messages.count, flowsAdded: flowsAdded, flowsModified: flowsModified, flowsDeleted: flowsDeleted,
               groupsAdded: groupsAdded, groupsModified: groupsModified, groupsDeleted: groupsDeleted)
    }

    public init(desired: BridgeProgram, installedFlows: [FlowEntry], installedGroups: [GroupDescription]) {
        var groupFirst: [OpenFlowMessage.Payload] = [], flowMods: [OpenFlowMessage.Payload] = [], groupLast: [OpenFlowMessage.Payload] = []
        var installed: [FlowKey: FlowEntry] = [:]
        for f in installedFlows where Cookie.isOurs(f.cookie) {
            let key = FlowKey(table: f.tableID, priority: f.priority, match: f.match)
            if installed[key] != nil {
                // Two of ours with one key cannot happen on a switch; keep the first.
                continue
            }
            installed[key] = f
        }
        let installedByKey = installed
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
        // Find what differs first; only that is put in order.
        var changed: [FlowKey] = [], wanted: [FlowEntry] = []
        if installed.isEmpty {
            // A bridge programmed from empty: everything is new.
            changed = Array(desired.flows.keys)
            wanted = Array(desired.flows.values)
        } else {
            for (key, want) in desired.flows {
                if let have = installed.removeValue(forKey: key) {
                    if have.instructions == want.instructions && have.cookie == want.cookie { continue }
                }
                changed.append(key)
                wanted.append(want)
            }
        }
        flowMods.reserveCapacity(changed.count + installed.count)
        for i in Self.order(changed) {
            let key = changed[i], want = wanted[i]
            if !installedByKey.isEmpty, let have = installedByKey[key] {
                if have.cookie == want.cookie {
                    // In place: the flow keeps its counters.
                    flowMods.append(.flowMod(want.flowMod(command: .modifyStrict)))
                } else {
                    // OpenFlow 1.3 cannot change a cookie in place.
                    flowMods.append(.flowMod(Self.delete(have)))
                    flowMods.append(.flowMod(want.flowMod(command: .add)))
                }
                flowsModified += 1
            } else {
                flowMods.append(.flowMod(want.flowMod(command: .add)))
                flowsAdded += 1
            }
        }
        let stale = Array(installed)
        for i in Self.order(stale.map(\.key)) {
            flowMods.append(.flowMod(Self.delete(stale[i].value)))
            flowsDeleted += 1
        }
        for id in haveGroups.keys.sorted() where desired.groups[id] == nil {
            groupLast.append(.groupMod(GroupMod(command: .delete, type: .all, groupID: id)))
            groupsDeleted += 1
        }
        if groupFirst.isEmpty && groupLast.isEmpty {
            messages = flowMods
        } else {
            messages = groupFirst + flowMods + groupLast
        }
    }

    /// Deletes exactly this flow, and only if it is still ours.
    static func delete(_ f: FlowEntry) -> FlowMod {
        FlowMod(cookie: f.cookie, cookieMask: UInt64.max, tableID: f.tableID, command: .deleteStrict, priority: f.priority, match: f.match)
    }

    /// The positions of `all` in the order flows are sent: table, then priority from high to
    /// low, then the match's fields (by header, then value, then mask). Deterministic without
    /// rendering text.
    static func order(_ all: [FlowKey]) -> [Int] {
        // Each key's order is worked out once, as words compared as integers: comparing fields
        // afresh in every one of a sort's n log n comparisons cost more than the rest of a plan.
        var words: [UInt64] = []
        words.reserveCapacity(all.count * 6)
        var spans: [(lead: UInt32, start: Int, end: Int)] = []
        spans.reserveCapacity(all.count)
        for k in all {
            let start = words.count
            for f in k.match.fields {
                words.append(UInt64(f.header))
                f.value.appendWords(to: &words)
                f.mask?.appendWords(to: &words)
            }
            spans.append((UInt32(k.table) << 16 | UInt32(0xffff - k.priority), start, words.count))
        }
        return words.withUnsafeBufferPointer { w in
            spans.withUnsafeBufferPointer { s in
                nonisolated(unsafe) let less = { (i: Int, j: Int) -> Bool in
                    let a = s[i], b = s[j]
                    if a.lead != b.lead { return a.lead < b.lead }
                    var x = a.start, y = b.start
                    while x < a.end && y < b.end {
                        if w[x] != w[y] { return w[x] < w[y] }
                        x += 1
                        y += 1
                    }
                    return a.end - a.start < b.end - b.start
                }
                guard s.count >= 16_384 else { return Array(s.indices).sorted(by: less) }
                // A bridge programmed from empty: two halves sorted side by side, then merged.
                // The switch has nothing to do until the plan is ready, so its core is free.
                let halves = SortedHalves(count: s.count)
                DispatchQueue.concurrentPerform(iterations: 2) { h in halves.sort(h, by: less) }
                return halves.merged(by: less)
            }
        }
    }
}

/// Positions 0..<count in two halves, each sorted by its own iteration of `concurrentPerform`
/// (each touches only its half, read after both finished: no lock needed), then merged.
private final class SortedHalves: @unchecked Sendable {
    private var halves: [[Int]]

    init(count: Int) { halves = [Array(0..<count / 2), Array(count / 2..<count)] }

    func sort(_ h: Int, by less: (Int, Int) -> Bool) {
        halves.withUnsafeMutableBufferPointer { $0[h].sort(by: less) }
    }

    func merged(by less: (Int, Int) -> Bool) -> [Int] {
        let a = halves[0], b = halves[1]
        var out: [Int] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if less(b[j], a[i]) {
                out.append(b[j])
                j += 1
            } else {
                out.append(a[i])
                i += 1
            }
        }
        out += a[i...]
        out += b[j...]
        return out
    }
}
