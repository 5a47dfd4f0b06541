import OpenFlow
import TaaSPolicy

/// Packets and bytes copied for one tap flow, as the switches counted them.
public struct CopyCounts: Hashable, Sendable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public init(packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
    }
}

/// Which of a bridge's flow counters belong to which tap flow. Pure.
///
/// A tap flow's copies are made by flows its source port owns (by cookie): in table 1 its OUT
/// copies, in table 3 at priority 50 its unicast IN copies. Such a flow counts for the tap flow
/// when its actions deliver to the tap flow's service (the service port, or the service's group).
/// A flow shared by several tap flows into different services counts for each: each got those
/// copies. Broadcast and multicast IN copies are made by flows a network or a sender set owns,
/// shared between receivers; they are not attributed to a tap flow.
public enum TapFlowCounters {
    /// One tap flow whose source is on the bridge read: what counts for it.
    public struct Entry: Hashable, Sendable {
        public var tapFlow: ResourceID
        /// The source port's cookie.
        public var cookie: UInt64
        public var out: Bool
        public var `in`: Bool
        /// How its copies leave the bridge: output to the service's port, or its group.
        public var delivery: Action
    }

    public static func attribute(_ stats: [FlowStats], _ entries: [Entry]) -> [ResourceID: CopyCounts] {
        var out: [ResourceID: CopyCounts] = [:]
        attribute(stats, entries, filtered: false, into: &out)
        return out
    }

    /// Adds each entry's counts to `totals`. `filtered`: every flow in `stats` delivers to the
    /// entries' destination already (the request named its port or group), so only cookies,
    /// tables and priorities are compared.
    public static func attribute(_ stats: [FlowStats], _ entries: [Entry], filtered: Bool, into totals: inout [ResourceID: CopyCounts]) {
        // Per source cookie: what its OUT flows (table 1) and unicast IN flows (table 3,
        // priority 50) counted, for each delivery they make.
        struct Sums { var out = CopyCounts(), `in` = CopyCounts() }
        var byCookie: [UInt64: [(delivery: Action?, sums: Sums)]] = [:]
        let deliveries = filtered ? [] : Set(entries.map(\.delivery))
        for s in stats where Cookie.isOurs(s.cookie) {
            let isOut = s.tableID == Table.outTaps, isIn = s.tableID == Table.inTaps && s.priority == 50
            guard isOut || isIn else { continue }
            let targets: [Action?] = filtered ? [nil] : deliveries.filter { delivers(s.instructions, $0) }.map { $0 }
            for target in targets {
                var list = byCookie[s.cookie] ?? []
                var i = list.firstIndex { $0.delivery == target } ?? -1
                if i < 0 {
                    list.append((target, Sums()))
                    i = list.count - 1
                }
                if isOut {
                    list[i].sums.out.packets &+= s.packetCount
                    list[i].sums.out.bytes &+= s.byteCount
                } else {
                    list[i].sums.in.packets &+= s.packetCount
                    list[i].sums.in.bytes &+= s.byteCount
                }
                byCookie[s.cookie] = list
            }
        }
        for e in entries {
            var counts = totals[e.tapFlow] ?? CopyCounts()
            for (delivery, sums) in byCookie[e.cookie] ?? [] where filtered || delivery == e.delivery {
                if e.out {
                    counts.packets &+= sums.out.packets
                    counts.bytes &+= sums.out.bytes
                }
                if e.in {
                    counts.packets &+= sums.in.packets
                    counts.bytes &+= sums.in.bytes
                }
            }
            totals[e.tapFlow] = counts
        }
    }

    static func delivers(_ instructions: [Instruction], _ delivery: Action) -> Bool {
        for i in instructions {
            guard case .applyActions(let actions) = i else { continue }
            for a in actions {
                switch (a, delivery) {
                case (.output(let p, _), .output(let q, _)) where p == q: return true
                case (.group(let g), .group(let h)) where g == h: return true
                default: continue
                }
            }
        }
        return false
    }
}

extension PipelineEngine {
    /// What to count for each tap flow whose source is on a node: walks only that node's
    /// source ports and their rules.
    public func counterEntries(node id: String) -> [TapFlowCounters.Entry] {
        guard let n = nodes.find(id), nodes[n].present else { return [] }
        var out: [TapFlowCounters.Entry] = []
        func add(_ p: PortRef) {
            // A tap flow's rules sit next to each other on its source port.
            let rules = ports[p].rules
            var i = 0
            while i < rules.count {
                let owner = rules[i].owner, dest = rules[i].dest
                var isOut = false, isIn = false
                while i < rules.count && rules[i].owner == owner {
                    if rules[i].out { isOut = true } else { isIn = true }
                    i += 1
                }
                guard case .service = dests[dest].kind, let delivery = deliver(n, dest) else { continue }
                out.append(.init(tapFlow: owner, cookie: ports[p].cookie, out: isOut, in: isIn, delivery: delivery))
            }
        }
        for p in nodes[n].outSources { add(p) }
        // Receivers that are not also OUT sources here (those were just done).
        for (_, net) in nodes[n].networks {
            for p in net.receivers where !nodes[n].outSources.contains(p) { add(p) }
        }
        return out
    }
}
