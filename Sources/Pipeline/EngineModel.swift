import OpenFlow
import TaaSPolicy

/// Handles into the engine's tables (see `Interned`).
typealias PortRef = Int32
typealias NodeRef = Int32
typealias DestRef = Int32
typealias LabelRef = Int32

/// A port's network on its node: its access VLAN, or untagged (0xffff, never a VLAN id).
struct VLANCode: Hashable, Comparable, Sendable {
    let raw: UInt16
    static let untagged = VLANCode(nil)
    init(_ tag: UInt16?) { raw = tag ?? 0xffff }
    var tag: UInt16? { raw == 0xffff ? nil : raw }
    static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}

/// One network of one node: where IN copies are made.
struct NetKey: Hashable, Sendable {
    var node: NodeRef
    var vlan: VLANCode
}

/// A destination and the network of the senders into it: the senders whose OUT copies the
/// IN copies of that network must not repeat.
struct SenderKey: Hashable, Sendable {
    var dest: DestRef
    var vlan: VLANCode
}

/// One IN rule as a network counts it: where it copies to, which VLANs and which traffic it keeps.
struct InKey: Hashable, Sendable {
    var dest: DestRef
    var filter: VLANFilter?
    var traffic: TrafficMatch?

    var copy: Copy { Copy(dest: dest, traffic: traffic) }
}

/// A copy to one destination, of every frame or only of those a traffic filter matches. Sets of
/// copies become actions per destination: one copy when any of its filters matches.
struct Copy: Hashable, Sendable, Comparable {
    var dest: DestRef
    var traffic: TrafficMatch?

    static func < (a: Self, b: Self) -> Bool {
        a.dest != b.dest ? a.dest < b.dest : (a.traffic?.text ?? "") < (b.traffic?.text ?? "")
    }
}

/// One direction of one tap flow (or tap mirror key) on its source port: copy what the port
/// sends (`out`) or is delivered (`!out`), restricted to `filter`, to `dest`.
struct Rule: Hashable, Sendable {
    var owner: ResourceID
    var out: Bool
    var filter: VLANFilter?
    var dest: DestRef
    var traffic: TrafficMatch?

    var copy: Copy { Copy(dest: dest, traffic: traffic) }
}

/// What the compiler reads of a port from the topology.
struct PortTopo: Hashable, Sendable {
    var node: NodeRef
    var ofport: UInt32?
    var mac: EthernetAddress?
    var vlan: VLANCode
    /// Link up (and its node reachable): only a load-balanced service's tools depend on it.
    var up = true
}

struct PortSlot: Sendable {
    var id = ""
    /// `Cookie.make(.source, id)`, worked out once.
    var cookie: UInt64 = 0
    var topo: PortTopo?
    /// Rules with this port as their source.
    var rules: [Rule] = []
    /// Tap services whose destination this port is.
    var services: [DestRef] = []

    var isUnused: Bool { topo == nil && rules.isEmpty && services.isEmpty }
}

/// Where a copy goes: a tap service (its port, its tunnel key) or a tap mirror's port.
struct DestSlot: Sendable {
    enum Kind: Hashable, Sendable {
        case service(id: ResourceID, port: PortRef, key: UInt32)
        case mirror(port: String)
        case none
    }

    var kind: Kind = .none
    /// The destination's name on the wire, for sender labels: `key:N` or `port:NAME`.
    var wireName = ""
    /// Rules into it, and one for a live tap service.
    var uses = 0
    /// Copies are cut to this many bytes (nil: whole frames).
    var snaplen: UInt16?
    /// Copies are policed to this rate on the node that makes them (nil: no limit).
    var rate: RateLimit?
    /// A tap service's tools when it has more than one (the first is `kind`'s port and key);
    /// empty otherwise.
    var legs: [Leg] = []

    struct Leg: Hashable, Sendable {
        var port: PortRef
        var key: UInt32
    }

    /// A load-balanced service's selector (nil: one tool, or not a service).
    var balanceSelector: UInt32? {
        guard legs.count > 1, case .service(_, _, let key) = kind else { return nil }
        return Balance.selector(key: key)
    }

    /// Every tool of a service (its one port, or its legs).
    var tools: [Leg] {
        guard case .service(_, let port, let key) = kind else { return [] }
        return legs.isEmpty ? [Leg(port: port, key: key)] : legs
    }

    /// The groups that tunnel copies to its tools on other nodes, one per tool.
    var groupIDs: [UInt32] { tools.map { GroupIDs.service(key: $0.key) } }
}

/// A set of copies that a sender's OUT copies went to, and its 31-bit label.
struct LabelSlot: Sendable {
    var copies: [Copy] = []
    /// Their destinations, each once.
    var dests: [DestRef] = []
    var value: UInt32 = 0
    /// Networks whose sender units use it.
    var uses = 0
}


struct NodeSlot: Sendable {
    var id = ""
    /// In the topology now; only present nodes have programs.
    var present = false
    var tunnel: UInt32?
    /// Managed port name → OpenFlow port (the tunnel port and tap mirrors' ports).
    var managedPorts: [String: UInt32] = [:]
    var encap: IPv4Address?
    /// Every other port's OpenFlow number → its access VLAN (nil: untagged).
    var portTags: [UInt32: UInt16?] = [:]
    /// OpenFlow ports of tap services here, counted.
    var servicePorts: [UInt32: Int] = [:]
    /// Tap services whose port is on this node.
    var services: Set<DestRef> = []
    /// Ports with OUT copies made here.
    var outSources: Set<PortRef> = []
    /// Ports whose topology names this node.
    var ports = 0
    var networks: [VLANCode: NetworkState] = [:]
    var store = NodeStore()
}
