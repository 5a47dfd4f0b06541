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
    /// Declared nodes, as views or, from a file, as the file's node with its OpenFlow ports
    /// (its view is built when it is needed: a hundred thousand declared ports as views would
    /// cost more than everything else the topology keeps).
    private var declared: [String: Declared] = [:]
    private var file: StaticTopology?
    private var openflow: Set<UInt64> = []
    /// The ids of the ports each node reports, and the rank of its view.
    private var portsOf: [String: (rank: Int, ports: Set<String>)] = [:]
    /// Ports that more than one node reports: every node's version of them (rare: a port
    /// mid-migration). Otherwise the one version is the topology's own.
    private var contested: [String: [String: Topology.Port]] = [:]
    /// Datapath id → nodes with that datapath (to rebuild on OpenFlow changes).
    private var byDatapath: [UInt64: Set<String>] = [:]

    enum Declared: Sendable {
        case view(NodeView)
        case file(StaticTopology.Node, [String: StaticTopology.OpenFlowPort])
    }

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

    /// A node declared as a view (nil: no longer declared).
    public mutating func declare(_ id: String, _ view: NodeView?) -> [TopologyEvent] {
        declared[id] = view.map { .view($0) }
        return rebuild(id)
    }

    /// A node of a declared topology file, numbered from its datapath's OpenFlow ports (port name → port).
    public mutating func declare(_ node: StaticTopology.Node, of file: StaticTopology, openflow ports: [String: StaticTopology.OpenFlowPort])
        -> [TopologyEvent] {
        self.file = file
        declared[node.id] = .file(node, ports)
        return rebuild(node.id)
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
    /// Costs that datapath's nodes, not the whole set (10,000 sessions connect one by one).
    public mutating func setOpenFlow(_ dpid: UInt64, connected: Bool) -> [TopologyEvent] {
        let changed = connected ? openflow.insert(dpid).inserted : openflow.remove(dpid) != nil
        guard changed else { return [] }
        return (byDatapath[dpid] ?? []).sorted().flatMap { rebuild($0) }
    }

    /// Nodes whose bridge has this datapath id.
    public func nodes(datapathID: UInt64) -> Set<String> { byDatapath[datapathID] ?? [] }

    /// The node a session's view stands for, and the view.
    public func node(ofSession s: String) -> String? { sessionNode[s] }
    public func view(session s: String) -> NodeView? { connected[s] }

    /// The session whose view stands for a node, if it is connected.
    public func session(of node: String) -> String? { sessionsOf[node]?.max() }

    // MARK: Rebuilding one node

    private func declaredView(_ id: String) -> NodeView? {
        switch declared[id] {
        case .view(let v): v
        case .file(let n, let ports): file?.view(of: n, bridge: bridge, openflow: ports)
        case nil: nil
        }
    }

    private mutating func rebuild(_ id: String) -> [TopologyEvent] {
        let source: (view: NodeView, rank: Int, connected: Bool, reachable: Bool)?
        if let s = sessionsOf[id]?.max(), let v = connected[s] {
            source = (v, 2, true, true)
        } else if let v = stale[id] {
            source = (v, 1, false, false)
        } else if let v = declaredView(id) {
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

        // Ports: this node's replaced, then each port placed again.
        let rank = source?.rank ?? 0
        let before = portsOf[id]?.ports ?? []
        var after: [String: Topology.Port] = [:]
        for p in c?.ports ?? [] { after[p.id] = p }
        portsOf[id] = after.isEmpty ? nil : (rank, Set(after.keys))
        for p in before.union(after.keys).sorted() {
            // Every node's version of it now: the others' (from the contest, or the holder's,
            // which is the topology's), and this node's.
            var versions = contested[p] ?? [:]
            if let held = topology.ports[p], held.node != id { versions[held.node] = versions[held.node] ?? held }
            versions[id] = after[p]
            contested[p] = versions.count > 1 ? versions : nil
            let winner = versions.max { a, b in (portsOf[a.key]?.rank ?? 0, a.key) < (portsOf[b.key]?.rank ?? 0, b.key) }?.value
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
