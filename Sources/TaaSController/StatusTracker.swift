import OpenFlow
import Pipeline
import TaaSPolicy
import TaaSState
import Topology

/// Works out each resource's status from what the bridges it involves have confirmed, and
/// only for the resources an event can change. Pure.
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

    struct PortInfo: Hashable {
        var node: String
        var ofport: Bool
    }

    // Policy.
    private var services: [ResourceID: String] = [:]
    private var servicesByPort: [String: Set<ResourceID>] = [:]
    private var flows: [ResourceID: (source: String, service: ResourceID)] = [:]
    private var flowsByService: [ResourceID: Set<ResourceID>] = [:]
    private var mirrors: [ResourceID: (port: String, ports: [String])] = [:]
    /// Resources that name a port themselves (a service's port, a flow's source, a mirror's port).
    private var byPort: [String: Set<Ref>] = [:]

    // Topology.
    private var ports: [String: PortInfo] = [:]
    private var portsByNode: [String: Set<String>] = [:]
    private var nodes: [String: NodeInfo] = [:]

    // Bridges.
    private var sync: [String: Sync] = [:]
    /// Per resource: the program version each of its bridges must confirm.
    private var needs: [Ref: [String: Int]] = [:]
    /// Per bridge: resources waiting for a version, in the order versions were handed out.
    private var waiting: [String: [(version: Int, ref: Ref)]] = [:]

    /// What each resource was last shown as (DOWN ones are not kept).
    private var shown: [Ref: ResourceState] = [:]
    /// Resources to work out again at the next `evaluate`.
    private var pending: Set<Ref> = []
    /// Resources whose flows changed in the change being applied (their needs are set anew).
    private var touched: Set<Ref> = []

    // MARK: Inputs

    mutating func apply(_ d: PolicyDelta) {
        for (id, c) in d.tapServices {
            if let old = c.old { unindex(.init(kind: .tapService, id: id), port: old.portID); servicesByPort[old.portID]?.remove(id) }
            if let new = c.new {
                services[id] = new.portID
                servicesByPort[new.portID, default: []].insert(id)
                index(.init(kind: .tapService, id: id), port: new.portID)
            } else {
                services[id] = nil
            }
            if c.old?.portID != c.new?.portID || c.old == nil { touch(.init(kind: .tapService, id: id)) }
            // Where its flows' copies go changed.
            if c.old?.portID != c.new?.portID { for f in flowsByService[id] ?? [] { touch(.init(kind: .tapFlow, id: f)) } }
        }
        for (id, c) in d.tapFlows {
            let ref = Ref(kind: .tapFlow, id: id)
            if let old = c.old {
                unindex(ref, port: old.sourcePort)
                flowsByService[old.tapServiceID]?.remove(id)
                if flowsByService[old.tapServiceID]?.isEmpty == true { flowsByService[old.tapServiceID] = nil }
            }
            if let new = c.new {
                flows[id] = (new.sourcePort, new.tapServiceID)
                flowsByService[new.tapServiceID, default: []].insert(id)
                index(ref, port: new.sourcePort)
            } else {
                flows[id] = nil
            }
            let relevant = { (f: TapFlow) in [f.sourcePort, f.tapServiceID.rawValue, f.direction.rawValue, f.vlanFilter?.description ?? ""] }
            if c.old.map(relevant) != c.new.map(relevant) { touch(ref) }
        }
        for (id, c) in d.tapMirrors {
            let ref = Ref(kind: .tapMirror, id: id)
            if let old = c.old { unindex(ref, port: old.portID) }
            if let new = c.new {
                mirrors[id] = (new.portID, new.directions.keys.map { MirrorPortName.make(id, $0) }.sorted())
                index(ref, port: new.portID)
            } else {
                mirrors[id] = nil
            }
            if c.old?.portID != c.new?.portID || c.old?.directions.keys.sorted(by: { $0.rawValue < $1.rawValue })
                != c.new?.directions.keys.sorted(by: { $0.rawValue < $1.rawValue }) { touch(ref) }
        }
    }

    mutating func apply(_ events: [TopologyEvent]) {
        for e in events {
            switch e {
            case .nodeAppeared(let n), .nodeChanged(_, let n):
                let info = NodeInfo(openflowConnected: n.openflowConnected, tunnel: n.tunnelPorts["taas-tun"] != nil,
                                    encapIPv4: n.encapIP.flatMap { IPv4Address($0) } != nil, managedPorts: Set(n.tunnelPorts.keys))
                let old = nodes[n.id]
                nodes[n.id] = info
                if old == nil || old?.tunnel != info.tunnel || old?.encapIPv4 != info.encapIPv4 || old?.managedPorts != info.managedPorts {
                    touchNode(n.id)
                } else if old?.openflowConnected != info.openflowConnected {
                    evaluateNode(n.id)
                }
            case .nodeGone(let n):
                nodes[n.id] = nil
                sync[n.id] = nil
                evaluateNode(n.id)
            case .portAppeared(let p), .portMoved(_, let p), .portChanged(_, let p):
                setPort(p.id, PortInfo(node: p.node, ofport: p.ofport != nil), flowsChange: {
                    if case .portChanged(let o, let n) = e { return o.ofport != n.ofport || o.mac != n.mac || o.vlan != n.vlan }
                    return true
                }())
            case .portGone(let p):
                setPort(p.id, nil, flowsChange: true)
            }
        }
    }

    /// A bridge's reconciler reports a new state.
    mutating func setSync(_ node: String, _ s: Sync) {
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
            if old != s { evaluateNode(node) }
        }
    }

    /// Sets the needs of the resources touched since the last call: every bridge they involve
    /// must confirm the version it was just given (`versions`: each bridge's newest).
    mutating func setNeeds(versions: [String: Int]) {
        for ref in touched {
            var need: [String: Int] = [:]
            for node in involved(ref) {
                let v = versions[node] ?? 0
                need[node] = v
                if case .confirmed(let c)? = sync[node], c >= v { continue }
                waiting[node, default: []].append((v, ref))
            }
            needs[ref] = need.isEmpty ? nil : need
            pending.insert(ref)
        }
        touched = []
    }

    // MARK: Output

    /// The statuses that changed since the last call.
    mutating func evaluate() -> [(ResourceKind, ResourceID, ResourceState)] {
        var out: [(ResourceKind, ResourceID, ResourceState)] = []
        for ref in pending {
            let now = exists(ref) ? state(ref) : .down
            let before = shown[ref] ?? .down
            guard now != before else { continue }
            shown[ref] = now == .down ? nil : now
            out.append((ref.kind, ref.id, now))
        }
        pending = []
        return out
    }

    /// Ports the policy names (for the start-up wait).
    var namedPorts: Set<String> { Set(byPort.keys) }

    /// Whether a port is on a connected bridge with an OpenFlow number.
    func isReady(port: String) -> Bool {
        guard let p = ports[port], p.ofport else { return false }
        return nodes[p.node]?.openflowConnected == true
    }

    // MARK: Working a status out

    private func exists(_ ref: Ref) -> Bool {
        switch ref.kind {
        case .tapService: services[ref.id] != nil
        case .tapFlow: flows[ref.id] != nil
        case .tapMirror: mirrors[ref.id] != nil
        }
    }

    /// The node of a port with an OpenFlow number.
    private func node(ofPort id: String) -> String? {
        guard let p = ports[id], p.ofport else { return nil }
        return p.node
    }

    private func involved(_ ref: Ref) -> [String] {
        switch ref.kind {
        case .tapService: return services[ref.id].flatMap { node(ofPort: $0) }.map { [$0] } ?? []
        case .tapFlow:
            guard let f = flows[ref.id] else { return [] }
            return Array(Set([node(ofPort: f.source), services[f.service].flatMap { node(ofPort: $0) }].compactMap { $0 }))
        case .tapMirror: return mirrors[ref.id].flatMap { node(ofPort: $0.port) }.map { [$0] } ?? []
        }
    }

    private func nodeState(_ node: String?, _ ref: Ref) -> ResourceState {
        guard let node, nodes[node]?.openflowConnected == true else { return .down }
        switch sync[node] ?? .down {
        case .down: return .down
        case .refused(let reason): return ResourceState(.error, reason: reason)
        case .confirmed(let version): return version >= (needs[ref]?[node] ?? 0) ? ResourceState(.active) : .down
        }
    }

    private func combine(_ states: [ResourceState]) -> ResourceState {
        if let e = states.first(where: { $0.status == .error }) { return e }
        return states.allSatisfy { $0.status == .active } ? ResourceState(.active) : .down
    }

    private func state(_ ref: Ref) -> ResourceState {
        switch ref.kind {
        case .tapService:
            return nodeState(services[ref.id].flatMap { node(ofPort: $0) }, ref)
        case .tapFlow:
            guard let f = flows[ref.id] else { return .down }
            let source = node(ofPort: f.source), dest = services[f.service].flatMap { node(ofPort: $0) }
            var states = [nodeState(source, ref), nodeState(dest, ref)]
            // Across nodes, both need their tunnel port and the destination an IPv4 encap IP
            // (the only kind the pipeline tunnels to so far).
            if let source, let dest, source != dest {
                let ok = nodes[source]?.tunnel == true && nodes[dest]?.tunnel == true && nodes[dest]?.encapIPv4 == true
                if !ok { states.append(.down) }
            }
            return combine(states)
        case .tapMirror:
            guard let m = mirrors[ref.id] else { return .down }
            let node = node(ofPort: m.port)
            var states = [nodeState(node, ref)]
            let managed = node.flatMap { nodes[$0]?.managedPorts } ?? []
            if m.ports.contains(where: { !managed.contains($0) }) { states.append(.down) }
            return combine(states)
        }
    }

    // MARK: Indexes

    private mutating func index(_ ref: Ref, port: String) { byPort[port, default: []].insert(ref) }

    private mutating func unindex(_ ref: Ref, port: String) {
        byPort[port]?.remove(ref)
        if byPort[port]?.isEmpty == true { byPort[port] = nil }
    }

    private mutating func touch(_ ref: Ref) {
        touched.insert(ref)
        pending.insert(ref)
    }

    /// Resources involving a port: those naming it, and the flows into a service whose port it is.
    private func resources(ofPort id: String) -> [Ref] {
        var out = Array(byPort[id] ?? [])
        for s in servicesByPort[id] ?? [] { for f in flowsByService[s] ?? [] { out.append(Ref(kind: .tapFlow, id: f)) } }
        return out
    }

    private mutating func setPort(_ id: String, _ info: PortInfo?, flowsChange: Bool) {
        if let old = ports[id] {
            portsByNode[old.node]?.remove(id)
            if portsByNode[old.node]?.isEmpty == true { portsByNode[old.node] = nil }
        }
        ports[id] = info
        if let info { portsByNode[info.node, default: []].insert(id) }
        for r in resources(ofPort: id) {
            if flowsChange { touch(r) } else { pending.insert(r) }
        }
    }

    /// Every resource of the node's ports has its flows changed (tunnel port, encap IP, mirror ports).
    private mutating func touchNode(_ node: String) {
        for p in portsByNode[node] ?? [] { for r in resources(ofPort: p) { touch(r) } }
    }

    private mutating func evaluateNode(_ node: String) {
        for p in portsByNode[node] ?? [] { pending.formUnion(resources(ofPort: p)) }
    }
}
