import TaaSPolicy

/// Where a copy goes: a tap service, or one direction port of a tap mirror.
struct Destination: Hashable, Comparable, Sendable {
    enum Kind: Int, Sendable { case service, mirror }
    let kind: Kind
    /// The tap service's id, or the mirror port's name.
    let id: String
    /// Hashed once: the compiler puts destinations in sets and dictionaries for every flow.
    private let hashCode: Int

    init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
        var h = Hasher()
        h.combine(kind)
        h.combine(id)
        hashCode = h.finalize()
    }

    func hash(into h: inout Hasher) { h.combine(hashCode) }
    static func == (a: Self, b: Self) -> Bool { a.hashCode == b.hashCode && a.kind == b.kind && a.id == b.id }
    static func < (a: Self, b: Self) -> Bool { (a.kind.rawValue, a.id) < (b.kind.rawValue, b.id) }
}

/// One direction of one tap flow (or tap mirror key): copy what `source` sends (`out`) or what
/// it is delivered (`!out`), restricted to `filter`, to `destination`.
struct Rule: Hashable, Sendable {
    var source: String
    var out: Bool
    var filter: VLANFilter?
    var destination: Destination
}

/// The policy as rules, indexed the ways the compiler looks them up.
struct RuleIndex: Sendable {
    var bySource: [String: [Rule]] = [:]
    /// (Destination, the source's network) → sources with OUT rules into it (for copies that
    /// would be made twice). By network, so that compiling one network does not walk every
    /// sender of a destination that spans thousands of nodes.
    var outSources: [SenderKey: Set<String>] = [:]
    struct SenderKey: Hashable, Sendable {
        var destination: Destination
        var vlan: UInt16?
    }

    /// `networkOf` gives a port's network (nil when the port is unknown: its OUT rules label nothing).
    init(flows: [TapFlow], mirrors: [TapMirror], networkOf: (String) -> UInt16??) {
        bySource.reserveCapacity(flows.count + mirrors.count)
        // One destination value per service: its hash is worked out once.
        var destinations: [ResourceID: Destination] = [:]
        for f in flows {
            let d: Destination
            if let known = destinations[f.tapServiceID] {
                d = known
            } else {
                d = Destination(kind: .service, id: f.tapServiceID.rawValue)
                destinations[f.tapServiceID] = d
            }
            if f.direction != .in { add(networkOf, Rule(source: f.sourcePort, out: true, filter: f.vlanFilter, destination: d)) }
            if f.direction != .out { add(networkOf, Rule(source: f.sourcePort, out: false, filter: f.vlanFilter, destination: d)) }
        }
        for m in mirrors {
            for (direction, _) in m.directions {
                let d = Destination(kind: .mirror, id: MirrorPortName.make(m.id, direction))
                if direction != .in { add(networkOf, Rule(source: m.portID, out: true, filter: nil, destination: d)) }
                if direction != .out { add(networkOf, Rule(source: m.portID, out: false, filter: nil, destination: d)) }
            }
        }
    }

    mutating func add(_ networkOf: (String) -> UInt16??, _ r: Rule) {
        bySource[r.source, default: []].append(r)
        if r.out, let vlan = networkOf(r.source) { outSources[SenderKey(destination: r.destination, vlan: vlan), default: []].insert(r.source) }
    }
}

/// The name of a tap mirror's port for one direction key: `tm` + the mirror id's first 8 hex
/// digits + i, o or b.
public enum MirrorPortName {
    public static func make(_ id: ResourceID, _ direction: Direction) -> String {
        let suffix = switch direction {
        case .in: "i"
        case .out: "o"
        case .both: "b"
        }
        return "tm\(id.rawValue.prefix(8))-\(suffix)"
    }
}
