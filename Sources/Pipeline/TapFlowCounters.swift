import OpenFlow
import TaaSPolicy
import Topology

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
    public static func attribute(_ stats: [FlowStats], node: String, flows: [TapFlow], services: [ResourceID: TapService],
                                 topology: Topology) -> [ResourceID: CopyCounts] {
        var byCookie: [UInt64: [FlowStats]] = [:]
        for s in stats where Cookie.isOurs(s.cookie) { byCookie[s.cookie, default: []].append(s) }
        var out: [ResourceID: CopyCounts] = [:]
        for f in flows {
            guard topology.ports[f.sourcePort]?.node == node, let service = services[f.tapServiceID],
                  let servicePort = topology.ports[service.portID] else { continue }
            let delivery: Action = servicePort.node == node
                ? .output(PortNumber(servicePort.ofport ?? 0))
                : .group(GroupIDs.service(key: service.tunnelKey))
            var counts = CopyCounts()
            for s in byCookie[Cookie.make(.source, f.sourcePort)] ?? [] {
                let counted = (s.tableID == Table.outTaps && f.direction != .in)
                    || (s.tableID == Table.inTaps && s.priority == 50 && f.direction != .out)
                guard counted, delivers(s.instructions, delivery) else { continue }
                counts.packets &+= s.packetCount
                counts.bytes &+= s.byteCount
            }
            out[f.id] = counts
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
