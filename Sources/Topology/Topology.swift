import OVSDB

/// Where everything is: nodes (one per managed integration bridge) and the VM ports on them,
/// joined from each node's OVSDB view and the OpenFlow sessions by datapath id. Pure.
public struct Topology: Hashable, Sendable {
    public struct Node: Hashable, Sendable {
        /// The node's system-id (or, when it has none, the OVSDB session's name).
        public var id: String
        public var hostname: String?
        public var bridge: String
        public var datapathID: UInt64?
        public var encapIP: String?
        public var failMode: String?
        public var ovsdbConnected: Bool
        public var openflowConnected: Bool
        /// Managed port name → OpenFlow port number (the tunnel port and tap mirror ports).
        public var tunnelPorts: [String: UInt32]
        /// Every other port with an OpenFlow number → its access VLAN (nil = untagged), so that
        /// the pipeline can tell which network a frame came from.
        public var portTags: [UInt32: UInt16?] = [:]
    }

    public struct Port: Hashable, Sendable {
        /// The interface's `external_ids:iface-id`.
        public var id: String
        public var name: String
        public var node: String
        public var datapathID: UInt64?
        public var ofport: UInt32?
        public var mac: String
        /// The port's network: its access VLAN tag (nil = untagged).
        public var vlan: UInt16?
        public var projectID: String
        public var up: Bool
    }

    public var nodes: [String: Node] = [:]
    public var ports: [String: Port] = [:]

    public init() {}

    /// The node id a view stands for: its system-id, or the session's name when it has none.
    public static func nodeID(_ view: NodeView, session: String) -> String { view.systemID ?? session }

    /// Joins the OVSDB views of connected sessions (session name → view) and the last views of
    /// nodes whose session is down (node id → view) with the datapaths whose OpenFlow session is
    /// up. Only ports on `bridge` count. A connected view wins over a stale one of the same node.
    ///
    /// Nodes declared statically (node id → view) come first; a node OVSDB knows overrides them.
    public init(connected: [String: NodeView], stale: [String: NodeView] = [:], declared: [String: NodeView] = [:],
                openflow: Set<UInt64>, bridge: String) {
        let live = Set(connected.map { Self.nodeID($0.value, session: $0.key) })
        let fromOVSDB = live.union(stale.keys)
        let all = declared.filter { !fromOVSDB.contains($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value, false, true) }
            + stale.filter { !live.contains($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value, false, false) }
            + connected.sorted { $0.key < $1.key }.map { ($0.key, $0.value, true, true) }
        for (key, view, connected, reachable) in all {
            guard let br = view.bridge(bridge) else { continue }
            let id = connected ? Self.nodeID(view, session: key) : key
            var tunnels: [String: UInt32] = [:]
            for p in br.ports where p.externalIDs[ManagedPort.marker] == "true" {
                if let n = p.interfaces.first?.ofport, n > 0, let number = UInt32(exactly: n) { tunnels[p.name] = number }
            }
            var tags: [UInt32: UInt16?] = [:]
            for p in br.ports where p.externalIDs[ManagedPort.marker] != "true" {
                for i in p.interfaces {
                    if let n = i.ofport, n > 0, let number = UInt32(exactly: n) { tags[number] = p.tag }
                }
            }
            let ofConnected = br.datapathID.map { openflow.contains($0) } ?? false
            nodes[id] = Node(id: id, hostname: view.hostname, bridge: br.name, datapathID: br.datapathID, encapIP: view.encapIP,
                             failMode: br.failMode, ovsdbConnected: connected, openflowConnected: ofConnected, tunnelPorts: tunnels,
                             portTags: tags)
            for p in br.ports {
                for i in p.interfaces {
                    guard let ifaceID = i.externalIDs["iface-id"], !ifaceID.isEmpty else { continue }
                    let ofport = i.ofport.flatMap { $0 > 0 ? UInt32(exactly: $0) : nil }
                    let mac = i.externalIDs["attached-mac"] ?? i.macInUse ?? ""
                    let project = i.externalIDs["project-id"] ?? p.externalIDs["project-id"] ?? ""
                    let up = reachable && ofport != nil && i.linkState != "down"
                    ports[ifaceID] = Port(id: ifaceID, name: i.name, node: id, datapathID: br.datapathID, ofport: ofport, mac: mac.lowercased(),
                                          vlan: p.tag, projectID: project, up: up)
                }
            }
        }
    }

    /// What changed between two topologies, in a stable order.
    public static func events(from old: Topology, to new: Topology) -> [TopologyEvent] {
        var out: [TopologyEvent] = []
        for id in Set(old.nodes.keys).union(new.nodes.keys).sorted() {
            switch (old.nodes[id], new.nodes[id]) {
            case (nil, let n?): out.append(.nodeAppeared(n))
            case (let o?, nil): out.append(.nodeGone(o))
            case (let o?, let n?) where o != n: out.append(.nodeChanged(old: o, new: n))
            default: break
            }
        }
        for id in Set(old.ports.keys).union(new.ports.keys).sorted() {
            switch (old.ports[id], new.ports[id]) {
            case (nil, let n?): out.append(.portAppeared(n))
            case (let o?, nil): out.append(.portGone(o))
            case (let o?, let n?) where o.node != n.node || o.datapathID != n.datapathID: out.append(.portMoved(old: o, new: n))
            case (let o?, let n?) where o != n: out.append(.portChanged(old: o, new: n))
            default: break
            }
        }
        return out
    }
}

/// A change the pipeline reacts to.
public enum TopologyEvent: Hashable, Sendable, CustomStringConvertible {
    case nodeAppeared(Topology.Node)
    case nodeChanged(old: Topology.Node, new: Topology.Node)
    case nodeGone(Topology.Node)
    case portAppeared(Topology.Port)
    /// On another node or bridge than before.
    case portMoved(old: Topology.Port, new: Topology.Port)
    /// Same place; number, MAC, VLAN, project or state changed.
    case portChanged(old: Topology.Port, new: Topology.Port)
    case portGone(Topology.Port)

    public var description: String {
        switch self {
        case .nodeAppeared(let n): "node \(n.id) appeared"
        case .nodeChanged(_, let n): "node \(n.id) changed"
        case .nodeGone(let n): "node \(n.id) went away"
        case .portAppeared(let p): "port \(p.id) appeared on \(p.node) as OpenFlow port \(p.ofport.map(String.init) ?? "-")"
        case .portMoved(let o, let p): "port \(p.id) moved from \(o.node) to \(p.node)"
        case .portChanged(_, let p): "port \(p.id) changed (OpenFlow port \(p.ofport.map(String.init) ?? "-"), \(p.up ? "up" : "down"))"
        case .portGone(let p): "port \(p.id) went away from \(p.node)"
        }
    }
}
