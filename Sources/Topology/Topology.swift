@_exported import TaaSCollections
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

        public init(id: String, hostname: String? = nil, bridge: String = "br-int", datapathID: UInt64?, encapIP: String?, failMode: String? = nil,
                    ovsdbConnected: Bool = true, openflowConnected: Bool = true, tunnelPorts: [String: UInt32] = [:], portTags: [UInt32: UInt16?] = [:]) {
            self.id = id; self.hostname = hostname; self.bridge = bridge; self.datapathID = datapathID; self.encapIP = encapIP
            self.failMode = failMode; self.ovsdbConnected = ovsdbConnected; self.openflowConnected = openflowConnected
            self.tunnelPorts = tunnelPorts; self.portTags = portTags
        }
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

        public init(id: String, name: String, node: String, datapathID: UInt64?, ofport: UInt32?, mac: String, vlan: UInt16?,
                    projectID: String = "", up: Bool = true) {
            self.id = id; self.name = name; self.node = node; self.datapathID = datapathID; self.ofport = ofport; self.mac = mac
            self.vlan = vlan; self.projectID = projectID; self.up = up
        }
    }

    public var nodes: [String: Node] = [:]
    /// Kept dense: a cloud has a port per VM (see `DenseMap`).
    public var ports = DenseMap<String, Port>()

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
        var join = TopologyJoin(bridge: bridge)
        _ = join.update(openflow: openflow)
        for (id, view) in declared { _ = join.declare(id, view) }
        for (id, view) in stale { _ = join.setStale(id, view) }
        for (session, view) in connected { _ = join.setConnected(session, view) }
        self = join.topology
    }

    /// One node's part of the topology, from its view: the node and the VM ports of `bridge`
    /// (nil when the view has no such bridge). `connected`: its OVSDB session is up;
    /// `reachable`: its ports can be up (false for the last view of a node whose session is down).
    public static func contribution(of view: NodeView, id: String, connected: Bool, reachable: Bool, openflow: Set<UInt64>,
                                    bridge: String) -> (node: Node, ports: [Port])? {
        guard let br = view.bridge(bridge) else { return nil }
        var tunnels: [String: UInt32] = [:]
        var tags: [UInt32: UInt16?] = [:]
        var ports: [Port] = []
        for p in br.ports {
            let managed = p.externalIDs[ManagedPort.marker] == "true"
            if managed {
                if let n = p.interfaces.first?.ofport, n > 0, let number = UInt32(exactly: n) { tunnels[p.name] = number }
            } else {
                for i in p.interfaces {
                    if let n = i.ofport, n > 0, let number = UInt32(exactly: n) { tags[number] = p.tag }
                }
            }
            for i in p.interfaces {
                guard let ifaceID = i.externalIDs["iface-id"], !ifaceID.isEmpty else { continue }
                let ofport = i.ofport.flatMap { $0 > 0 ? UInt32(exactly: $0) : nil }
                let mac = i.externalIDs["attached-mac"] ?? i.macInUse ?? ""
                let project = i.externalIDs["project-id"] ?? p.externalIDs["project-id"] ?? ""
                let up = reachable && ofport != nil && i.linkState != "down"
                ports.append(Port(id: ifaceID, name: i.name, node: id, datapathID: br.datapathID, ofport: ofport, mac: lowercased(mac),
                                  vlan: p.tag, projectID: project, up: up))
            }
        }
        let ofConnected = br.datapathID.map { openflow.contains($0) } ?? false
        let node = Node(id: id, hostname: view.hostname, bridge: br.name, datapathID: br.datapathID, encapIP: view.encapIP,
                        failMode: br.failMode, ovsdbConnected: connected, openflowConnected: ofConnected, tunnelPorts: tunnels,
                        portTags: tags)
        return (node, ports)
    }

    /// `s` in lower case; `s` itself when it has no upper case letter. A MAC address is longer
    /// than a string holds inline: lowercasing each anew would keep a copy of every port's MAC
    /// per topology (tens of MiB at a hundred thousand ports).
    static func lowercased(_ s: String) -> String {
        s.utf8.allSatisfy { $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) } ? s : s.lowercased()
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
        // With its state: a port can appear already up (OpenFlow saw it before OVSDB named it).
        case .portAppeared(let p): "port \(p.id) appeared on \(p.node) as OpenFlow port \(p.ofport.map(String.init) ?? "-"), \(p.up ? "up" : "down")"
        case .portMoved(let o, let p): "port \(p.id) moved from \(o.node) to \(p.node)"
        case .portChanged(_, let p): "port \(p.id) changed (OpenFlow port \(p.ofport.map(String.init) ?? "-"), \(p.up ? "up" : "down"))"
        case .portGone(let p): "port \(p.id) went away from \(p.node)"
        }
    }
}
