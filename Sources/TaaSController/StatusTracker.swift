import OpenFlow
import Pipeline
import TaaSPolicy
import TaaSState
import Topology

/// Works out each resource's status from what the bridges it involves have confirmed, and
/// only for the resources an event can change. Pure. Where resources and their ports are, it
/// asks the engine (`PipelineEngine`'s queries), which keeps the policy and topology already.
///
/// A resource is ACTIVE when every bridge it involves (its port's; for a tap flow, its source's
/// and its service's) is connected, not refusing its program, and has confirmed a program
/// version at least as new as the one that first held the resource's flows as they are now
/// (its *need*); DOWN otherwise; ERROR with the switch's words when a bridge refused its program.
/// A resource's need is set when it, or the topology of its ports or bridges, changes in a way
/// that changes flows: a name change, or another resource's change on the same bridge, never
/// makes it DOWN.
struct StatusTracker {
    struct Ref: Hashable, Sendable {
        var kind: ResourceKind
        var id: ResourceID
    }

    /// What a bridge's reconciler reports.
    enum Sync: Hashable, Sendable {
        /// Not connected, or not read back yet.
        case down
        /// Holds program `version` (and possibly newer ones on their way).
        case confirmed(Int)
        /// Refused its program: the switch's reason.
        case refused(String)
    }

    struct NodeInfo: Hashable {
        var openflowConnected = false
        var tunnel = false
        var encapIPv4 = false
        var managedPorts: Set<String> = []
    }

    /// Tap flows by service: the engine keeps rules by source port, and a service's port
    /// changing concerns every tap flow into it.
    private var flowsByService: [ResourceID: Set<ResourceID>] = [:]
    private var nodes: [String: NodeInfo] = [:]
    private var sync: [String: Sync] = [:]
    /// Per resource: the program versions its bridges must confirm: its source's (or its
    /// port's), then a tap flow's service's.
    private var needs: [Ref: Need] = [:]

    struct Need: Sendable {
        var first: Int32 = 0
        var second: Int32 = 0
    }

    /// Per bridge: resources waiting for a version, in the order versions were handed out.
    private var waiting: [String: [(version: Int, ref: Ref)]] = [:]
    /// Resources to work out again at the next `evaluate`.
    private var pending: Set<Ref> = []
    /// Resources whose flows changed in the change being applied (their needs are set anew).
    private var touched: Set<Ref> = []

    // MARK: Inputs

    mutating func apply(_ d: PolicyDelta) {
        for (id, c) in d.tapServices {
            let ref = Ref(kind: .tapService, id: id)
            if c.old?.portID != c.new?.portID {
                touch(ref)
                // Where its flows' copies go changed.
                for f in flowsByService[id] ?? [] { touch(Ref(kind: .tapFlow, id: f)) }
            }
        }
        for (id, c) in d.tapFlows {
            let ref = Ref(kind: .tapFlow, id: id)
            if let old = c.old, old.tapServiceID != c.new?.tapServiceID {
                flowsByService[old.tapServiceID]?.remove(id)
                if flowsByService[old.tapServiceID]?.isEmpty == true { flowsByService[old.tapServiceID] = nil }
            }
            if let new = c.new { flowsByService[new.tapServiceID, default: []].insert(id) }
            let relevant = { (f: TapFlow) in [f.sourcePort, f.tapServiceID.rawValue, f.direction.rawValue, f.vlanFilter?.description ?? ""] }
            if c.old.map(relevant) != c.new.map(relevant) { touch(ref) }
            if c.new == nil { needs[ref] = nil }
        }
        for (id, c) in d.tapMirrors {
            let ref = Ref(kind: .tapMirror, id: id)
            if c.old?.portID != c.new?.portID || c.old?.directions.keys.sorted(by: { $0.rawValue < $1.rawValue })
                != c.new?.directions.keys.sorted(by: { $0.rawValue < $1.rawValue }) { touch(ref) }
            if c.new == nil { needs[ref] = nil }
        }
        for (id, c) in d.tapServices where c.new == nil { needs[Ref(kind: .tapService, id: id)] = nil }
    }

    mutating func apply(_ events: [TopologyEvent], _ engine: PipelineEngine) {
        for e in events {
            switch e {
            case .nodeAppeared(let n), .nodeChanged(_, let n):
                let info = NodeInfo(openflowConnected: n.openflowConnected, tunnel: n.tunnelPorts["taas-tun"] != nil,
                                    encapIPv4: n.encapIP.flatMap { IPv4Address($0) } != nil, managedPorts: Set(n.tunnelPorts.keys))
                let old = nodes[n.id]
                nodes[n.id] = info
                if old == nil || old?.tunnel != info.tunnel || old?.encapIPv4 != info.encapIPv4 || old?.managedPorts != info.managedPorts {
                    for r in resources(onNode: n.id, engine) { touch(r) }
                } else if old?.openflowConnected != info.openflowConnected {
                    pending.formUnion(resources(onNode: n.id, engine))
                }
            case .nodeGone(let n):
                nodes[n.id] = nil
                sync[n.id] = nil
                waiting[n.id] = nil
                // Its resources are on no node now, or soon: their ports' events say which.
            case .portAppeared(let p), .portMoved(_, let p), .portGone(let p):
                for r in resources(onPort: p.id, engine) { touch(r) }
            case .portChanged(let o, let p):
                let flowsChange = o.ofport != p.ofport || o.mac != p.mac || o.vlan != p.vlan
                for r in resources(onPort: p.id, engine) {
                    if flowsChange { touch(r) } else { pending.insert(r) }
                }
            }
        }
    }

    /// A bridge's reconciler reports a new state.
    mutating func setSync(_ node: String, _ s: Sync, _ engine: PipelineEngine) {
        let old = sync[node]
        sync[node] = s
        switch (old, s) {
        case (.confirmed(let a)?, .confirmed(let b)) where b >= a:
            // Only what waited for these versions can change.
            var queue = waiting[node] ?? []
            var i = 0
            while i < queue.count, queue[i].version <= b { pending.insert(queue[i].ref); i += 1 }
            queue.removeFirst(i)
            waiting[node] = queue.isEmpty ? nil : queue
        default:
            if old != s { pending.formUnion(resources(onNode: node, engine)) }
        }
    }

    /// Sets the needs of the resources touched since the last call: every bridge they involve
    /// must confirm the version it was just given (`versions`: each bridge's newest).
    mutating func setNeeds(versions: [String: Int], _ engine: PipelineEngine) {
        for ref in touched {
            let (a, b) = nodesOf(ref, engine)
            var need = Need()
            for (node, slot) in [(a, 0), (b, 1)] {
                guard let node else { continue }
                let v = versions[node] ?? 0
                if slot == 0 { need.first = Int32(truncatingIfNeeded: v) } else { need.second = Int32(truncatingIfNeeded: v) }
                if case .confirmed(let c)? = sync[node], c >= v { continue }
                waiting[node, default: []].append((v, ref))
            }
            if exists(ref, engine) { needs[ref] = need }
            pending.insert(ref)
        }
        touched = []
    }

    /// Every resource is worked out again at the next `evaluate` (a new leader states them all).
    mutating func reevaluateAll() { pending.formUnion(needs.keys) }

    // MARK: Output

    /// The statuses of the resources an event may have changed since the last call (the board
    /// keeps what is shown, and writes only what differs).
    mutating func evaluate(_ engine: PipelineEngine) -> [(ResourceKind, ResourceID, ResourceState)] {
        defer { pending = [] }
        return pending.map { ref in (ref.kind, ref.id, exists(ref, engine) ? state(ref, engine) : .down) }
    }

    // MARK: Working a status out

    private func exists(_ ref: Ref, _ engine: PipelineEngine) -> Bool {
        switch ref.kind {
        case .tapService: engine.serviceNode(ref.id) != nil
        case .tapFlow, .tapMirror: engine.hasOwner(ref.id)
        }
    }

    /// The bridges a resource involves: its port's (a tap flow's source), and a tap flow's
    /// service's node (nil: not on a bridge with an OpenFlow number).
    private func nodesOf(_ ref: Ref, _ engine: PipelineEngine) -> (String?, String?) {
        switch ref.kind {
        case .tapService: return (engine.serviceNode(ref.id) ?? nil, nil)
        case .tapFlow:
            let e = engine.endpoints(of: ref.id)
            return (e?.source, e?.service)
        case .tapMirror: return (engine.endpoints(of: ref.id)?.source, nil)
        }
    }

    /// `second`: the node is a tap flow's service's node (its need is the second one kept).
    private func nodeState(_ node: String?, _ ref: Ref, second: Bool = false) -> ResourceState {
        guard let node, nodes[node]?.openflowConnected == true else { return .down }
        switch sync[node] ?? .down {
        case .down: return .down
        case .refused(let reason): return ResourceState(.error, reason: reason)
        case .confirmed(let version):
            let need = needs[ref].map { second ? $0.second : $0.first } ?? 0
            return version >= Int(need) ? ResourceState(.active) : .down
        }
    }

    private func combine(_ states: [ResourceState]) -> ResourceState {
        if let e = states.first(where: { $0.status == .error }) { return e }
        return states.allSatisfy { $0.status == .active } ? ResourceState(.active) : .down
    }

    private func state(_ ref: Ref, _ engine: PipelineEngine) -> ResourceState {
        switch ref.kind {
        case .tapService:
            return nodeState(engine.serviceNode(ref.id) ?? nil, ref)
        case .tapFlow:
            guard let e = engine.endpoints(of: ref.id) else { return .down }
            var states = [nodeState(e.source, ref), nodeState(e.service, ref, second: true)]
            // Across nodes, both need their tunnel port and the destination an IPv4 encap IP
            // (the only kind the pipeline tunnels to so far).
            if let source = e.source, let dest = e.service, source != dest {
                let ok = nodes[source]?.tunnel == true && nodes[dest]?.tunnel == true && nodes[dest]?.encapIPv4 == true
                if !ok { states.append(.down) }
            }
            return combine(states)
        case .tapMirror:
            guard let e = engine.endpoints(of: ref.id) else { return .down }
            var states = [nodeState(e.source, ref)]
            let managed = e.source.flatMap { nodes[$0]?.managedPorts } ?? []
            if e.mirrorPorts.contains(where: { !managed.contains($0) }) { states.append(.down) }
            return combine(states)
        }
    }

    // MARK: Which resources an event concerns

    private mutating func touch(_ ref: Ref) {
        touched.insert(ref)
        pending.insert(ref)
    }

    /// Resources involving a port: those naming it, and the tap flows into a service whose port it is.
    private func resources(onPort id: String, _ engine: PipelineEngine) -> [Ref] {
        let (owners, services) = engine.resources(onPort: id)
        var out: [Ref] = []
        for o in owners { out.append(Ref(kind: engine.endpoints(of: o)?.mirrorPorts.isEmpty == false ? .tapMirror : .tapFlow, id: o)) }
        for s in services {
            out.append(Ref(kind: .tapService, id: s))
            for f in flowsByService[s] ?? [] { out.append(Ref(kind: .tapFlow, id: f)) }
        }
        return out
    }

    private func resources(onNode node: String, _ engine: PipelineEngine) -> Set<Ref> {
        var out: Set<Ref> = []
        for p in engine.portsWithResources(onNode: node) { out.formUnion(resources(onPort: p, engine)) }
        return out
    }
}
