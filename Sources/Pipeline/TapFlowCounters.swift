import OpenFlow
import TaaSPolicy

extension TapFlowCounters.Sums.Counts {
    mutating func add(_ isOut: Bool, _ s: FlowStats) {
        if isOut {
            out.packets &+= s.packetCount
            out.bytes &+= s.byteCount
        } else {
            self.in.packets &+= s.packetCount
            self.in.bytes &+= s.byteCount
        }
    }
}

extension CopyCounts {
    fileprivate mutating func add(_ found: TapFlowCounters.Sums.Counts?, out: Bool, in: Bool) {
        guard let found else { return }
        if out {
            packets &+= found.out.packets
            bytes &+= found.out.bytes
        }
        if `in` {
            packets &+= found.in.packets
            bytes &+= found.in.bytes
        }
    }
}

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
/// copies, in table 3 at priority 50 its unicast IN copies, and under a traffic filter the table 5
/// flows those lead to (priority 100 for OUT, 90 for IN). Such a flow counts for the tap flow
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
        /// How its copies leave the bridge.
        public var delivery: Delivery

        public init(tapFlow: ResourceID, cookie: UInt64, out: Bool, in: Bool, delivery: Delivery) {
            self.tapFlow = tapFlow
            self.cookie = cookie
            self.out = out
            self.in = `in`
            self.delivery = delivery
        }
    }

    /// Output to the service's port, or to the service's group (its port is on another node);
    /// with a snap length, a truncating output to its port, or a clone toward its tunnel key.
    public enum Delivery: Hashable, Sendable {
        case port(UInt32)
        case group(UInt32)
        case cutPort(UInt16)
        case cutTunnel(key: UInt64)
        /// Through a meter (rate limit): what counts is the copies offered to the meter; the
        /// switch's meter statistics say how many it dropped.
        case metered(UInt32)

        public init?(_ action: Action) {
            switch action {
            case .output(let p, _): self = .port(p.rawValue)
            case .group(let g): self = .group(g)
            case .outputTruncated(let p, _): self = .cutPort(p)
            case .clone:
                if let meter = action.meteredCopyMeter {
                    self = .metered(meter)
                    return
                }
                guard let key = action.cloneTunnelKey else { return nil }
                self = .cutTunnel(key: key)
            default: return nil
            }
        }

        /// Whether a switch can select the flows that make these copies itself (`out_port`,
        /// `out_group`). Open vSwitch's selection sees neither truncating outputs nor outputs
        /// inside a clone: those flows are read by their source's cookie and picked here.
        public var switchSelects: Bool {
            switch self {
            case .port, .group: true
            case .cutPort, .cutTunnel, .metered: false
            }
        }

        /// Whether a flow's actions make these copies.
        public func isMade(by instructions: [Instruction]) -> Bool {
            for i in instructions {
                guard case .applyActions(let actions) = i else { continue }
                for a in actions where Delivery(a) == self { return true }
            }
            return false
        }
    }

    /// What each source cookie's OUT flows (table 1) and unicast IN flows (table 3, priority
    /// 50) counted, from a read of the flows that deliver to one destination (the request named
    /// its port or group, so only cookies, tables and priorities are compared here).
    public struct Sums: Sendable {
        struct Counts { var out = CopyCounts(), `in` = CopyCounts() }
        private var byCookie: [UInt64: Counts] = [:]

        public init() {}

        /// Adds one reply part's flows; with `delivery`, only those whose actions make its copies
        /// (for a read by cookie, which returns all of a source's flows).
        public mutating func add(_ stats: [FlowStats], delivering delivery: Delivery? = nil) {
            for s in stats where Cookie.isOurs(s.cookie) {
                if let delivery, !delivery.isMade(by: s.instructions) { continue }
                // Filtered copies are made in table 5, at the priority of their side.
                let filtered = s.tableID == Table.filters
                let isOut = s.tableID == Table.outTaps || (filtered && s.priority == CopySide.out.rawValue)
                guard isOut || (s.tableID == Table.inTaps && s.priority == 50) || (filtered && s.priority == CopySide.in.rawValue) else {
                    continue
                }
                byCookie[s.cookie, default: Counts()].add(isOut, s)
            }
        }

        /// Adds the share of each of these entries (of this read's destination) to `counts`,
        /// which is indexed like `entries`.
        public func attribute(_ entries: [Entry], at indices: [Int], into counts: inout [CopyCounts]) {
            for i in indices {
                let e = entries[i]
                counts[i].add(byCookie[e.cookie], out: e.out, in: e.in)
            }
        }
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
                guard case .service = dests[dest].kind, let action = deliver(n, dest),
                      let delivery = TapFlowCounters.Delivery(action) else { continue }
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
