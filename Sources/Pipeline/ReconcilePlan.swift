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
        // Find what differs first; only that is put in order (ordering renders text).
        var changed: [FlowKey] = []
        for (key, want) in desired.flows {
            if let have = installed.removeValue(forKey: key) {
                if have.instructions == want.instructions && have.cookie == want.cookie { continue }
            }
            changed.append(key)
        }
        var stale: [FlowKey: FlowEntry] = [:]
        for key in Self.ordered(changed) {
            guard let want = desired.flows[key] else { continue }
            if let have = installedByKey[key] {
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
        stale = installed
        for key in Self.ordered(stale.keys) {
            guard let have = stale[key] else { continue }
            flowMods.append(.flowMod(Self.delete(have)))
            flowsDeleted += 1
        }
        for id in haveGroups.keys.sorted() where desired.groups[id] == nil {
            groupLast.append(.groupMod(GroupMod(command: .delete, type: .all, groupID: id)))
            groupsDeleted += 1
        }
        messages = groupFirst + flowMods + groupLast
    }

    /// Deletes exactly this flow, and only if it is still ours.
    static func delete(_ f: FlowEntry) -> FlowMod {
        FlowMod(cookie: f.cookie, cookieMask: UInt64.max, tableID: f.tableID, command: .deleteStrict, priority: f.priority, match: f.match)
    }

    /// Table, then priority from high to low, then the match's fields (by header, then value):
    /// the order flows are sent in. Deterministic without rendering text, which cost more than
    /// everything else in a plan.
    static func ordered(_ keys: some Collection<FlowKey>) -> [FlowKey] {
        // Positions are sorted, not the keys: moving a key retains and releases its match.
        let all = Array(keys)
        return all.withUnsafeBufferPointer { k in
            Array(k.indices).sorted { i, j in
                if k[i].table != k[j].table { return k[i].table < k[j].table }
                if k[i].priority != k[j].priority { return k[i].priority > k[j].priority }
                return precedes(k[i].match.fields, k[j].match.fields)
            }.map { k[$0] }
        }
    }

    static func precedes(_ a: [OXMField], _ b: [OXMField]) -> Bool {
        for (x, y) in zip(a, b) {
            if Match.precedes(x, y) { return true }
            if Match.precedes(y, x) { return false }
            if x.mask != y.mask {
                guard let xm = x.mask else { return true }
                guard let ym = y.mask else { return false }
                return xm.precedes(ym)
            }
        }
        return a.count < b.count
    }
}
