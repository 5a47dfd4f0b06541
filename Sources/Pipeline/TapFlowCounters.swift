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
        var byCookie: [UInt64: [FlowStats]] = [:]
        for s in stats where Cookie.isOurs(s.cookie) { byCookie[s.cookie, default: []].append(s) }
        var out: [ResourceID: CopyCounts] = [:]
        for e in entries {
            var counts = out[e.tapFlow] ?? CopyCounts()
            for s in byCookie[e.cookie] ?? [] {
                let counted = (s.tableID == Table.outTaps && e.out) || (s.tableID == Table.inTaps && s.priority == 50 && e.in)
                guard counted, delivers(s.instructions, e.delivery) else { continue }
                counts.packets &+= s.packetCount
                counts.bytes &+= s.byteCount
            }
            out[e.tapFlow] = counts
        }
        return out
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
        var sources = nodes[n].outSources
        for (_, net) in nodes[n].networks { sources.formUnion(net.receivers) }
        var out: [TapFlowCounters.Entry] = []
        for p in sources {
            var byOwner: [ResourceID: (out: Bool, in: Bool, dest: DestRef)] = [:]
            for r in ports[p].rules {
                guard case .service = dests[r.dest].kind else { continue }
                var e = byOwner[r.owner] ?? (false, false, r.dest)
                if r.out { e.out = true } else { e.in = true }
                byOwner[r.owner] = e
            }
            for (owner, e) in byOwner {
                guard let delivery = deliver(n, e.dest) else { continue }
                out.append(.init(tapFlow: owner, cookie: ports[p].cookie, out: e.out, in: e.in, delivery: delivery))
            }
        }
        return out
    }
}
