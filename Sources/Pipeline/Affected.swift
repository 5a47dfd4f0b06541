import TaaSPolicy
import Topology

/// What the compiler reads, with statuses cleared (they change often and never change flows).
public struct PipelineInputs: Hashable, Sendable {
    public var services: [ResourceID: TapService] = [:]
    public var flows: [ResourceID: TapFlow] = [:]
    public var mirrors: [ResourceID: TapMirror] = [:]
    public var topology = Topology()

    public init() {}

    public init(services: [TapService], flows: [TapFlow], mirrors: [TapMirror], topology: Topology) {
        for var s in services { s.status = .down; s.statusReason = nil; self.services[s.id] = s }
        for var f in flows { f.status = .down; f.statusReason = nil; self.flows[f.id] = f }
        for var m in mirrors { m.status = .down; m.statusReason = nil; self.mirrors[m.id] = m }
        self.topology = topology
    }

    public var compiler: Compiler {
        Compiler(services: Array(services.values), flows: Array(flows.values), mirrors: Array(mirrors.values), topology: topology)
    }
}

/// Which nodes' programs a change can alter, so that only they are recompiled. Conservative: a
/// node not named is certain to compile to the same program. Pure.
public enum Affected {
    /// nil when any node may be affected (a node itself changed: its encap IP or tunnel port is
    /// in other nodes' programs).
    public static func nodes(from old: PipelineInputs, to new: PipelineInputs) -> Set<String>? {
        func stable(_ n: Topology.Node) -> Topology.Node {
            var n = n
            n.ovsdbConnected = false
            n.openflowConnected = false
            n.hostname = nil
            return n
        }
        if old.topology.nodes.mapValues(stable) != new.topology.nodes.mapValues(stable) { return nil }

        var ports: Set<String> = []
        // Unchanged collections usually share storage, and then compare equal at once.
        if old.topology.ports != new.topology.ports {
            for (id, a) in old.topology.ports where !same(a, new.topology.ports[id]) { ports.insert(id) }
            for (id, b) in new.topology.ports where old.topology.ports[id] == nil { ports.insert(id) }
        }
        var services: Set<ResourceID> = []
        if old.services != new.services {
            for (id, s) in old.services where new.services[id] != s { services.insert(id) }
            for id in new.services.keys where old.services[id] == nil { services.insert(id) }
        }
        func changed(_ f: TapFlow) {
            services.insert(f.tapServiceID)
            ports.insert(f.sourcePort)
        }
        if old.flows != new.flows {
            for (id, f) in old.flows {
                guard let g = new.flows[id] else { changed(f); continue }
                if f != g { changed(f); changed(g) }
            }
            for (id, g) in new.flows where old.flows[id] == nil { changed(g) }
        }
        if old.mirrors != new.mirrors {
            for id in Set(old.mirrors.keys).union(new.mirrors.keys) where old.mirrors[id] != new.mirrors[id] {
                for m in [old.mirrors[id], new.mirrors[id]].compactMap({ $0 }) { ports.insert(m.portID) }
            }
        }
        // Services whose port changed, and those a changed port feeds.
        if !ports.isEmpty {
            for inputs in [old, new] {
                for s in inputs.services.values where ports.contains(s.portID) { services.insert(s.id) }
                for f in inputs.flows.values where ports.contains(f.sourcePort) { services.insert(f.tapServiceID) }
            }
        }
        if ports.isEmpty && services.isEmpty { return [] }
        var nodes: Set<String> = []
        func add(_ port: String) {
            for inputs in [old, new] { if let n = inputs.topology.ports[port]?.node { nodes.insert(n) } }
        }
        ports.forEach(add)
        for inputs in [old, new] {
            for id in services { if let s = inputs.services[id] { add(s.portID) } }
            // Every source of a touched service: its copies, and the de-duplication against them.
            for f in inputs.flows.values where services.contains(f.tapServiceID) { add(f.sourcePort) }
        }
        return nodes
    }

    /// Equal but for being up (which changes no flow).
    private static func same(_ a: Topology.Port, _ b: Topology.Port?) -> Bool {
        guard var b else { return false }
        b.up = a.up
        return a == b
    }
}
