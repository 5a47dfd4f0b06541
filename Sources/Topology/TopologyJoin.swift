import OVSDB

/// The topology kept as its sources change, one node at a time: each OVSDB session's view,
/// the last view of nodes whose session is down, nodes declared in a file, and which datapaths
/// have an OpenFlow session. A change rebuilds only the node it concerns and returns what
/// changed (`TopologyEvent`s: the node's, then its ports'), so its cost is that node's size,
/// never the whole topology's. Pure.
///
/// Which view stands for a node: a connected session's (the greatest session name if several
/// name one node), else its last view, else its declaration. A port id that several nodes
/// report is placed on the one whose view ranks highest, then by node id.
public struct TopologyJoin: Sendable {
    public private(set) var topology = Topology()
    public let bridge: String

    private var connected: [String: NodeView] = [:]
    private var sessionNode: [String: String] = [:]
    private var sessionsOf: [String: Set<String>] = [:]
    private var stale: [String: NodeView] = [:]
    private var declared: [String: NodeView] = [:]
    private var openflow: Set<UInt64> = []
    /// Port id → the nodes reporting it, with that node's rank and its version of the port.
    private var claims: [String: [String: (rank: Int, port: Topology.Port)]] = [:]
    /// Node id → the port ids it reports.
    private var portsOf: [String: Set<String>] = [:]
    /// Datapath id → nodes with that datapath (to rebuild on OpenFlow changes).
    private var byDatapath: [UInt64: Set<String>] = [:]

    public init(bridge: String) { self.bridge = bridge }

    // MARK: Sources

    /// A session's view (nil: the session is down; its view becomes the node's last view).
    public mutating func setConnected(_ session: String, _ view: NodeView?) -> [TopologyEvent] {
        var nodes: Set<String> = []
        if let old = sessionNode[session] {
            nodes.insert(old)
            sessionsOf[old]?.remove(session)
            if sessionsOf[old]?.isEmpty == true { sessionsOf[old] = nil }
            if view == nil, let last = connected[session] { stale[old] = last }
        }
        connected[session] = view
        if let view {
            let id = Topology.nodeID(view, session: session)
            sessionNode[session] = id
            sessionsOf[id, default: []].insert(session)
            stale[id] = nil
            nodes.insert(id)
        } else {
            sessionNode[session] = nil
        }
        return nodes.sorted().flatMap { rebuild($0) }
    }

    /// The last view of a node whose session is down (tests and start-up).
    public mutating func setStale(_ id: String, _ view: NodeView?) -> [TopologyEvent] {
        stale[id] = view
        return rebuild(id)
    }

    /// A node declared in a file (nil: no longer declared).
    public mutating func declare(_ id: String, _ view: NodeView?) -> [TopologyEvent] {
        declared[id] = view
        return rebuild(id)
    }

    /// The datapaths with an OpenFlow session now.
    public mutating func update(openflow now: Set<UInt64>) -> [TopologyEvent] {
        let changed = now.symmetricDifference(openflow)
        openflow = now
        var nodes: Set<String> = []
        for dpid in changed { nodes.formUnion(byDatapath[dpid] ?? []) }
        return nodes.sorted().flatMap { rebuild($0) }
    }

    /// One datapath's OpenFlow session came or went.
    public mutating func setOpenFlow(_ dpid: UInt64, connected: Bool) -> [TopologyEvent] {
        var now = openflow
        if connected { now.insert(dpid) } else { now.remove(dpid) }
        return update(openflow: now)
    }

    /// Nodes whose bridge has this datapath id.
    public func nodes(datapathID: UInt64) -> Set<String> { byDatapath[datapathID] ?? [] }

    /// The node a session's view stands for, and the view.
    public func node(ofSession s: String) -> String? { sessionNode[s] }
    public func view(session s: String) -> NodeView? { connected[s] }

    /// The session whose view stands for a node, if it is connected.
    public func session(of node: String) -> String? { sessionsOf[node]?.max() }

    // MARK: Rebuilding one node

    private mutating func rebuild(_ id: String) -> [TopologyEvent] {
        let source: (view: NodeView, rank: Int, connected: Bool, reachable: Bool)?
        if let s = sessionsOf[id]?.max(), let v = connected[s] {
            source = (v, 2, true, true)
        } else if let v = stale[id] {
            source = (v, 1, false, false)
        } else if let v = declared[id] {
            source = (v, 0, false, true)
        } else {
            source = nil
        }
        let c = source.flatMap { Topology.contribution(of: $0.view, id: id, connected: $0.connected, reachable: $0.reachable,
                                                       openflow: openflow, bridge: bridge) }
        var events: [TopologyEvent] = []
        let old = topology.nodes[id]
        switch (old, c?.node) {
        case (nil, let n?): events.append(.nodeAppeared(n))
        case (let o?, nil): events.append(.nodeGone(o))
        case (let o?, let n?) where o != n: events.append(.nodeChanged(old: o, new: n))
        default: break
        }
        if let o = old?.datapathID {
            byDatapath[o]?.remove(id)
            if byDatapath[o]?.isEmpty == true { byDatapath[o] = nil }
        }
        topology.nodes[id] = c?.node
        if let d = c?.node.datapathID { byDatapath[d, default: []].insert(id) }

        // Ports: this node's claims replaced, then each port placed again.
        let rank = source?.rank ?? 0
        let before = portsOf[id] ?? []
        var after: Set<String> = []
        for p in c?.ports ?? [] {
            after.insert(p.id)
            claims[p.id, default: [:]][id] = (rank, p)
        }
        for p in before.subtracting(after) {
            claims[p]?[id] = nil
            if claims[p]?.isEmpty == true { claims[p] = nil }
        }
        portsOf[id] = after.isEmpty ? nil : after
        // Claims of other nodes keep their rank; placing each port again is what can move it.
        for p in before.union(after).sorted() {
            let winner = claims[p]?.max { ($0.value.rank, $0.key) < ($1.value.rank, $1.key) }?.value.port
            let was = topology.ports[p]
            topology.ports[p] = winner
            switch (was, winner) {
            case (nil, let n?): events.append(.portAppeared(n))
            case (let o?, nil): events.append(.portGone(o))
            case (let o?, let n?) where o.node != n.node || o.datapathID != n.datapathID: events.append(.portMoved(old: o, new: n))
            case (let o?, let n?) where o != n: events.append(.portChanged(old: o, new: n))
            default: break
            }
        }
        return events
    }
}
