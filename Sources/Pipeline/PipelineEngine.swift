import OpenFlow
import OpenFlowText
import TaaSPolicy
import Topology

/// The compiler, kept: the policy and topology it last saw, interned, with the indexes a
/// change needs, and every node's program as units of a few flows each. A change set in
/// (policy and topology deltas), program deltas out: a change recompiles the units it can
/// alter and nothing else, so its cost follows the change, not the size of the cloud. Pure.
///
/// A change goes through three steps:
/// 1. the inputs are updated, and each port they touch is marked;
/// 2. each touched port's facts (`PortFacts`) are worked out again and compared with the old:
///    the difference updates the indexes and the networks' counts and marks the units it
///    alters (`dirty`); a destination's delivery, a node's tunnel port, and so on, mark theirs;
/// 3. senders' units are recompiled first (they decide the labels), then every other marked
///    unit; each node's store merges the units' flows and records what changed.
///
/// `recomputeAll` recompiles every unit of every node from the inputs alone: a from-scratch
/// compile, which the incremental one must always equal (the model-based tests hold it to that).
public struct PipelineEngine: Sendable {
    enum DestKey: Hashable, Sendable {
        case service(ResourceID)
        case mirror(String)
    }

    var ports = Interned<String, PortSlot>(empty: PortSlot())
    var nodes = Interned<String, NodeSlot>(empty: NodeSlot())
    var dests = Interned<DestKey, DestSlot>(empty: DestSlot())
    var labels = Interned<[Copy], LabelSlot>(empty: LabelSlot())
    /// The source port of each tap flow's and tap mirror's rules, to take them back out.
    var owners: [ResourceID: PortRef] = [:]
    /// What each port with rules contributes to the indexes, as last worked out (`PortFacts`).
    var portFacts: [PortRef: PortFacts] = [:]
    /// Group id → the tap service it delivers to.
    var groupService: [UInt32: DestRef] = [:]
    /// Bit-rate meter id → the rate-limited destination it polices (checked against the
    /// destination's name when used: a released handle may have been reused).
    var meterDest: [UInt32: DestRef] = [:]
    /// Load-balanced service's selector → its destination.
    var balanceDest: [UInt32: DestRef] = [:]

    // Indexes across nodes.
    /// Ports known to the topology with OUT rules into a destination, by their network.
    var outSources: [SenderKey: Set<PortRef>] = [:]
    /// Nodes whose network has IN copies into a destination.
    var networksWithIn: [SenderKey: Set<NodeRef>] = [:]
    /// Per destination: nodes and their local sources with OUT copies into it.
    var destOut: [DestRef: [NodeRef: Set<PortRef>]] = [:]
    /// Per destination: networks with IN copies into it.
    var destIn: [DestRef: Set<NetKey>] = [:]

    // What the change being applied has marked.
    var touched: Set<PortRef> = []
    var dirty: [NodeRef: Set<UnitKey>] = [:]
    var fullNodes: Set<NodeRef> = []
    var deliveryChanged: Set<DestRef> = []
    var changedNodes: Set<NodeRef> = []
    /// Handles whose uses fell: freed at the end of the change if nothing uses them.
    var releaseDests: Set<DestRef> = []
    var releaseLabels: Set<LabelRef> = []
    var releaseNodes: Set<NodeRef> = []

    /// Marks of these kinds are dropped: tests break the incremental path on purpose with it,
    /// to show that the model-based test notices.
    var ignoredMarks: Set<UnitKey.Kind> = []

    /// Units recompiled so far (tests and metrics).
    public internal(set) var unitsCompiled = 0

    public init() {}

    /// What a change did to the programs.
    public struct Output: Sendable {
        /// Each node whose program changed, and how.
        public var changes: [String: PackedDelta] = [:]
        /// The same in `FlowEntry`s (tests and tools).
        public var deltas: [String: ProgramDelta] { changes.mapValues(\.programDelta) }
        /// Nodes that left the topology (their programs are gone).
        public var removed: Set<String> = []
    }

    // MARK: Applying a change

    /// Applies policy and topology changes (in that order; either may be empty) and returns
    /// the programs' deltas.
    public mutating func apply(policy delta: PolicyDelta = PolicyDelta(), topology events: [TopologyEvent] = []) -> Output {
        for e in events { apply(e) }
        apply(delta)
        return settle()
    }

    /// Loads policy and topology into an engine as they stand, then compiles every unit of every
    /// node from the inputs alone: no change marks a unit. What a from-scratch compile is.
    public mutating func load(policy delta: PolicyDelta, topology events: [TopologyEvent]) -> Output {
        ignoredMarks = Set(UnitKey.Kind.allCases)
        for e in events { apply(e) }
        apply(delta)
        for p in touched.sorted() { applyFacts(p) }
        touched = []
        deliveryChanged = []
        dirty = [:]
        ignoredMarks = []
        return recomputeAll()
    }

    /// Everything recompiled from the inputs, as a new engine would (what a from-scratch
    /// compile gives); returns the deltas, which are empty when the incremental state was right.
    public mutating func recomputeAll() -> Output {
        for n in nodes.all where nodes[n].present { fullNodes.insert(n) }
        return settle()
    }

    /// A node's whole program, as it stands (nil: no such node).
    public func program(node id: String) -> BridgeProgram? {
        guard let n = nodes.find(id), nodes[n].present else { return nil }
        return nodes[n].store.program
    }

    /// Every node's program.
    public var programs: [String: BridgeProgram] {
        var out: [String: BridgeProgram] = [:]
        for n in nodes.all where nodes[n].present { out[nodes[n].id] = nodes[n].store.program }
        return out
    }

    /// Every node's flows and groups as the engine holds them (packed): what tests compare
    /// without converting each flow.
    var packedPrograms: [String: PackedProgram] {
        var out: [String: PackedProgram] = [:]
        for n in nodes.all where nodes[n].present {
            out[nodes[n].id] = PackedProgram(flows: nodes[n].store.flows.mapValues(\.value), groups: nodes[n].store.groups,
                                              meters: nodes[n].store.meters)
        }
        return out
    }

    /// A port's facts (empty when it has no rules).
    func facts(_ p: PortRef) -> PortFacts { portFacts[p] ?? PortFacts() }

    /// Where a port is (its node, and whether it has an OpenFlow number), if the topology has it.
    public func portLocation(_ id: String) -> (node: String, ofport: Bool)? {
        guard let p = ports.find(id), let t = ports[p].topo, let node = nodes.key(t.node) else { return nil }
        return (node, t.ofport != nil)
    }

    /// How many flows a node's program holds.
    public func flowCount(node id: String) -> Int { nodes.find(id).map { nodes[$0].store.flowCount } ?? 0 }

    // MARK: Topology

    mutating func apply(_ e: TopologyEvent) {
        switch e {
        case .nodeAppeared(let n), .nodeChanged(_, let n): setNode(n)
        case .nodeGone(let n): removeNode(n.id)
        case .portAppeared(let p), .portMoved(_, let p), .portChanged(_, let p): setPort(p.id, p)
        case .portGone(let p): setPort(p.id, nil)
        }
    }

    mutating func nodeRef(_ id: String) -> NodeRef {
        nodes.handle(id) {
            var s = NodeSlot()
            s.id = id
            return s
        }
    }

    mutating func portRef(_ id: String) -> PortRef {
        ports.handle(id) {
            var s = PortSlot()
            s.id = id
            s.cookie = Cookie.make(.source, id)
            return s
        }
    }

    mutating func setNode(_ t: Topology.Node) {
        let n = nodeRef(t.id)
        let old = nodes[n]
        let tunnel = t.tunnelPorts["taas-tun"]
        let encap = t.encapIP.flatMap { IPv4Address($0) }
        nodes[n].present = true
        nodes[n].tunnel = tunnel
        nodes[n].managedPorts = t.tunnelPorts
        nodes[n].encap = encap
        nodes[n].portTags = t.portTags
        changedNodes.insert(n)
        if !old.present || old.tunnel != tunnel || old.managedPorts != t.tunnelPorts {
            fullNodes.insert(n)
        } else if old.portTags != t.portTags {
            for (ofport, tag) in old.portTags where t.portTags[ofport] != .some(tag) { mark(n, .classify(ofport)) }
            for (ofport, tag) in t.portTags where old.portTags[ofport] != .some(tag) { mark(n, .classify(ofport)) }
        }
        // Copies to its services from elsewhere go to its encap IP (and only while it is here).
        if !old.present || old.encap != encap { deliveryChanged.formUnion(old.services) }
    }

    mutating func removeNode(_ id: String) {
        guard let n = nodes.find(id), nodes[n].present else { return }
        nodes[n].present = false
        changedNodes.insert(n)
        deliveryChanged.formUnion(nodes[n].services)
    }

    mutating func setPort(_ id: String, _ t: Topology.Port?) {
        let p = portRef(id)
        let topo = t.map { PortTopo(node: nodeRef($0.node), ofport: $0.ofport, mac: EthernetAddress($0.mac), vlan: VLANCode($0.vlan), up: $0.up) }
        let old = ports[p].topo
        guard old != topo else { return }
        // Only its link went up or down: that matters to load-balanced services' tools alone.
        if var o = old, let t = topo {
            o.up = t.up
            if o == t {
                ports[p].topo = topo
                for d in ports[p].services where dests[d].legs.count > 1 { deliveryChanged.insert(d) }
                return
            }
        }
        if let o = old {
            nodes[o.node].ports -= 1
            releaseNodes.insert(o.node)
        }
        if let t = topo { nodes[t.node].ports += 1 }
        // A tap service's port: where its copies go changed.
        for d in ports[p].services {
            detachService(d, from: old, port: p)
            attachService(d, to: topo)
            deliveryChanged.insert(d)
        }
        ports[p].topo = topo
        touched.insert(p)
    }

    /// A service's port `p` at `topo` stops (or starts) being where the service is.
    mutating func detachService(_ d: DestRef, from topo: PortTopo?, port p: PortRef) {
        guard let t = topo else { return }
        // The service stays on the node while another of its tools is there.
        let another = dests[d].tools.contains { $0.port != p && ports[$0.port].services.contains(d) && ports[$0.port].topo?.node == t.node }
        if !another { nodes[t.node].services.remove(d) }
        mark(t.node, .service(d))
        if let ofport = t.ofport {
            nodes[t.node].servicePorts[ofport, default: 0] -= 1
            if nodes[t.node].servicePorts[ofport] == 0 { nodes[t.node].servicePorts[ofport] = nil }
            mark(t.node, .classify(ofport))
        }
    }

    mutating func attachService(_ d: DestRef, to topo: PortTopo?) {
        guard let t = topo else { return }
        nodes[t.node].services.insert(d)
        mark(t.node, .service(d))
        if let ofport = t.ofport {
            nodes[t.node].servicePorts[ofport, default: 0] += 1
            mark(t.node, .classify(ofport))
        }
    }

    // MARK: Policy

    mutating func apply(_ delta: PolicyDelta) {
        // Services first (flows name them), flows and mirrors, then services gone.
        for (id, c) in delta.tapServices.sorted(by: { $0.key < $1.key }) {
            if let s = c.new { setService(id, port: s.portID, key: s.tunnelKey, snaplen: s.snaplen, rate: s.rateLimit, more: s.moreTools) }
        }
        for (id, c) in delta.tapFlows.sorted(by: { $0.key < $1.key }) {
            let old = c.old.map(Self.relevant), new = c.new.map(Self.relevant)
            guard old != new else { continue }
            let traffic = c.new?.trafficFilter.map(TrafficMatch.init)
            setRules(id, source: c.new?.sourcePort,
                     rules: c.new.map { f in Self.rules(f.direction).map { ($0, f.vlanFilter, DestKey.service(f.tapServiceID), traffic) } } ?? [])
        }
        for (id, c) in delta.tapMirrors.sorted(by: { $0.key < $1.key }) {
            let old = c.old.map(Self.relevant), new = c.new.map(Self.relevant)
            guard old != new else { continue }
            let rules: [(Bool, VLANFilter?, DestKey, TrafficMatch?)] = c.new.map { m in
                m.directions.keys.sorted { $0.rawValue < $1.rawValue }.flatMap { dir in
                    Self.rules(dir).map { ($0, nil, DestKey.mirror(MirrorPortName.make(m.id, dir)), nil) }
                }
            } ?? []
            setRules(id, source: c.new?.portID, rules: rules)
        }
        // A tap mirror's snap length belongs to its ports' destinations.
        for (_, c) in delta.tapMirrors.sorted(by: { $0.key < $1.key }) {
            guard let m = c.new else { continue }
            for dir in m.directions.keys {
                if let d = dests.find(.mirror(MirrorPortName.make(m.id, dir))) {
                    setSnaplen(d, m.snaplen)
                    setRate(d, m.rateLimit)
                }
            }
        }
        for (id, c) in delta.tapServices.sorted(by: { $0.key < $1.key }) where c.new == nil { removeService(id) }
    }

    /// What of a tap flow or tap mirror flows depend on.
    static func relevant(_ f: TapFlow) -> [String] {
        [f.tapServiceID.rawValue, f.sourcePort, f.direction.rawValue, f.vlanFilter?.description ?? "", f.trafficFilter?.text ?? ""]
    }
    static func relevant(_ m: TapMirror) -> [String] { [m.portID] + m.directions.keys.map(\.rawValue).sorted() }

    /// OUT (true) and IN (false) rules of a direction.
    static func rules(_ d: Direction) -> [Bool] {
        switch d {
        case .in: [false]
        case .out: [true]
        case .both: [true, false]
        }
    }

    mutating func destRef(_ key: DestKey) -> DestRef {
        dests.handle(key) {
            var s = DestSlot()
            switch key {
            case .service(let id): s.wireName = id.rawValue
            case .mirror(let name):
                s.kind = .mirror(port: name)
                s.wireName = "port:\(name)"
            }
            return s
        }
    }

    /// A destination's copies are cut differently: everything that delivers to it changes.
    mutating func setSnaplen(_ d: DestRef, _ snaplen: UInt16?) {
        guard dests[d].snaplen != snaplen else { return }
        dests[d].snaplen = snaplen
        deliveryChanged.insert(d)
    }

    /// A destination's copies are policed differently: everything that delivers to it changes.
    mutating func setRate(_ d: DestRef, _ rate: RateLimit?) {
        if let rate { meterDest[MeterIDs.of(dests[d].wireName)] = d } else { meterDest[MeterIDs.of(dests[d].wireName)] = nil }
        guard dests[d].rate != rate else { return }
        dests[d].rate = rate
        deliveryChanged.insert(d)
    }

    mutating func setService(_ id: ResourceID, port: String, key: UInt32, snaplen: UInt16? = nil, rate: RateLimit? = nil,
                             more: [ServiceTool] = []) {
        defer { setRate(destRef(.service(id)), rate) }
        let d = destRef(.service(id))
        let p = portRef(port)
        var legs: [DestSlot.Leg] = []
        if !more.isEmpty { legs = [DestSlot.Leg(port: p, key: key)] + more.map { DestSlot.Leg(port: portRef($0.portID), key: $0.tunnelKey) } }
        setSnaplen(d, snaplen)
        if case .service(_, let oldPort, let oldKey) = dests[d].kind {
            guard oldPort != p || oldKey != key || dests[d].legs != legs else { return }
            // Never done by TaaS (a service's ports and keys are fixed): recompile everything.
            detach(d)
            for n in nodes.all where nodes[n].present { fullNodes.insert(n) }
        } else {
            dests[d].uses += 1
        }
        dests[d].kind = .service(id: id, port: p, key: key)
        dests[d].legs = legs
        dests[d].wireName = "key:\(key)"
        if let selector = dests[d].balanceSelector { balanceDest[selector] = d }
        for tool in dests[d].tools {
            groupService[GroupIDs.service(key: tool.key)] = d
            ports[tool.port].services.append(d)
            attachService(d, to: ports[tool.port].topo)
        }
        deliveryChanged.insert(d)
    }

    /// Takes a service's destination off its ports.
    mutating func detach(_ d: DestRef) {
        guard case .service = dests[d].kind else { return }
        for tool in dests[d].tools {
            ports[tool.port].services.removeAll { $0 == d }
            detachService(d, from: ports[tool.port].topo, port: tool.port)
            if groupService[GroupIDs.service(key: tool.key)] == d { groupService[GroupIDs.service(key: tool.key)] = nil }
            touched.insert(tool.port)
        }
        if let selector = dests[d].balanceSelector, balanceDest[selector] == d { balanceDest[selector] = nil }
    }

    mutating func removeService(_ id: ResourceID) {
        guard let d = dests.find(.service(id)), case .service = dests[d].kind else { return }
        detach(d)
        dests[d].kind = .none
        dests[d].legs = []
        if dests[d].rate != nil { meterDest[MeterIDs.of(dests[d].wireName)] = nil }
        dests[d].rate = nil
        dests[d].wireName = id.rawValue
        dests[d].uses -= 1
        releaseDests.insert(d)
        deliveryChanged.insert(d)
    }

    /// Replaces the rules of a tap flow or tap mirror.
    mutating func setRules(_ owner: ResourceID, source: String?, rules: [(out: Bool, filter: VLANFilter?, dest: DestKey, traffic: TrafficMatch?)]) {
        if let source = owners.removeValue(forKey: owner) {
            for r in ports[source].rules where r.owner == owner {
                dests[r.dest].uses -= 1
                releaseDests.insert(r.dest)
            }
            ports[source].rules.removeAll { $0.owner == owner }
            touched.insert(source)
        }
        guard let source, !rules.isEmpty else { return }
        let p = portRef(source)
        let made = rules.map { r in Rule(owner: owner, out: r.out, filter: r.filter, dest: destRef(r.dest), traffic: r.traffic) }
        for r in made { dests[r.dest].uses += 1 }
        ports[p].rules += made
        owners[owner] = p
        touched.insert(p)
    }

    // MARK: Marking

    mutating func mark(_ n: NodeRef, _ u: UnitKey) {
        if !ignoredMarks.isEmpty && ignoredMarks.contains(u.kind) { return }
        dirty[n, default: []].insert(u)
    }
}
