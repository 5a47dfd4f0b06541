import OVSDB
import SeededRandom
import Testing
import Topology

/// The topology kept one node at a time equals the topology joined from all its sources at
/// once, and the events it returns, applied in order, lead from each state to the next.
@Suite struct TopologyJoinTests {
    struct Sources {
        var connected: [String: NodeView] = [:]
        var stale: [String: NodeView] = [:]
        var declared: [String: NodeView] = [:]
        var openflow: Set<UInt64> = []
    }

    /// The documented rules, written out plainly: a node's view is a connected session's (the
    /// greatest session name), else its last one, else its declaration; a port several nodes
    /// report goes to the highest ranked view, then the greatest node id.
    static func reference(_ s: Sources) -> Topology {
        var views: [String: (NodeView, Int, Bool, Bool)] = [:]
        for (id, v) in s.declared { views[id] = (v, 0, false, true) }
        for (id, v) in s.stale { views[id] = (v, 1, false, false) }
        for (session, v) in s.connected.sorted(by: { $0.key < $1.key }) { views[Topology.nodeID(v, session: session)] = (v, 2, true, true) }
        var t = Topology()
        var claims: [String: [(rank: Int, node: String, port: Topology.Port)]] = [:]
        for (id, (view, rank, connected, reachable)) in views {
            guard let c = Topology.contribution(of: view, id: id, connected: connected, reachable: reachable, openflow: s.openflow,
                                                bridge: "br-int") else { continue }
            t.nodes[id] = c.node
            for p in c.ports { claims[p.id, default: []].append((rank, id, p)) }
        }
        for (id, cs) in claims { t.ports[id] = cs.max { ($0.rank, $0.node) < ($1.rank, $1.node) }?.port }
        return t
    }

    /// Applies events to a topology as a consumer would.
    static func apply(_ events: [TopologyEvent], to t: inout Topology) {
        for e in events {
            switch e {
            case .nodeAppeared(let n), .nodeChanged(_, let n): t.nodes[n.id] = n
            case .nodeGone(let n): t.nodes[n.id] = nil
            case .portAppeared(let p), .portMoved(_, let p), .portChanged(_, let p): t.ports[p.id] = p
            case .portGone(let p): t.ports[p.id] = nil
            }
        }
    }

    static func view(_ g: inout SplitMix, node: String) -> NodeView {
        var ports: [NodeView.Port] = []
        for i in 1...6 where Int.random(in: 0..<3, using: &g) > 0 {
            let id = "p\(i)"
            let ofport: Int64? = Int.random(in: 0..<5, using: &g) == 0 ? nil : Int64.random(in: 1...9, using: &g)
            ports.append(NodeView.Port(uuid: "\(node)-\(id)", name: id, tag: [nil, 10, 20][Int.random(in: 0..<3, using: &g)], interfaces: [
                NodeView.Interface(uuid: "\(node)-i\(i)", name: id, type: "", ofport: ofport,
                                   externalIDs: ["iface-id": id, "attached-mac": "02:00:00:00:00:0\(i)"],
                                   linkState: Bool.random(using: &g) ? "up" : "down"),
            ]))
        }
        if Bool.random(using: &g) {
            ports.append(NodeView.Port(uuid: "\(node)-t", name: "taas-tun", externalIDs: [ManagedPort.marker: "true"],
                                       interfaces: [NodeView.Interface(uuid: "\(node)-ti", name: "taas-tun", type: "vxlan", ofport: 100, externalIDs: [:])]))
        }
        let dpid = UInt64(node.dropFirst()) ?? 0
        return NodeView(systemID: node, hostname: node, encapIP: Bool.random(using: &g) ? "192.0.2.\(dpid)" : nil,
                        bridges: [NodeView.Bridge(uuid: "br-\(node)", name: "br-int", datapathID: dpid, ports: ports)])
    }

    /// MACs come out in lower case; one already in lower case is the same string, not a copy.
    @Test func macsInLowerCase() throws {
        let lower = String(repeating: "02:00:5e:00:53:01", count: 1)
        let interfaces = [("a", "02:00:5E:00:53:0A"), ("b", lower)].map { id, mac in
            NodeView.Port(uuid: id, name: id, interfaces: [NodeView.Interface(uuid: "i" + id, name: id, type: "", ofport: 1,
                                                                             externalIDs: ["iface-id": id, "attached-mac": mac])])
        }
        let view = NodeView(systemID: "n1", hostname: "n1", encapIP: nil,
                            bridges: [NodeView.Bridge(uuid: "br", name: "br-int", datapathID: 1, ports: interfaces)])
        let t = Topology(connected: ["s": view], openflow: [1], bridge: "br-int")
        #expect(t.ports["a"]?.mac == "02:00:5e:00:53:0a")
        func address(_ x: String?) -> UnsafeRawPointer? {
            var x = x ?? ""
            return x.withUTF8 { UnsafeRawPointer($0.baseAddress) }
        }
        #expect(t.ports["b"]?.mac == lower && address(t.ports["b"]?.mac) == address(lower), "kept, not copied")
    }

    @Test(arguments: 0..<4)
    func oneNodeAtATimeEqualsTheWholeJoin(batch: Int) {
        for seed in 0..<50 {
            var g = SplitMix(state: UInt64(batch * 100 + seed))
            var s = Sources()
            var join = TopologyJoin(bridge: "br-int")
            var replayed = Topology()
            for step in 0..<40 {
                let node = "n\(Int.random(in: 1...4, using: &g))"
                let session = "s\(Int.random(in: 1...5, using: &g))"
                let events: [TopologyEvent]
                switch Int.random(in: 0..<6, using: &g) {
                case 0, 1:
                    let v = Self.view(&g, node: node)
                    // The session's old view, if any, no longer stands for its node.
                    s.connected[session] = v
                    s.stale[node] = nil
                    events = join.setConnected(session, v)
                case 2:
                    if let last = s.connected.removeValue(forKey: session) {
                        s.stale[Topology.nodeID(last, session: session)] = last
                    }
                    events = join.setConnected(session, nil)
                case 3:
                    let v: NodeView? = Bool.random(using: &g) ? Self.view(&g, node: node) : nil
                    s.declared[node] = v
                    events = join.declare(node, v)
                default:
                    let dpid = UInt64(Int.random(in: 1...4, using: &g))
                    let on = Bool.random(using: &g)
                    if on { s.openflow.insert(dpid) } else { s.openflow.remove(dpid) }
                    events = join.setOpenFlow(dpid, connected: on)
                }
                let want = Self.reference(s)
                Self.apply(events, to: &replayed)
                #expect(join.topology == want, "seed \(batch * 100 + seed) step \(step): the join differs from the whole join")
                #expect(replayed == want, "seed \(batch * 100 + seed) step \(step): its events do not lead to it")
                if join.topology != want || replayed != want { return }
            }
        }
    }
}
