import Dispatch
import Logging
import Metrics
import OpenFlow
import OpenFlowServer
import Pipeline
import SwitchSession
import TaaSAPI
import TaaSPolicy
import TaaSStore
import Topology

/// Keeps every bridge holding what the policy and topology say: compiles, sends only the
/// difference as one bundle per bridge, and sets statuses from what the switches confirmed.
/// Passes are serialized and coalesced: a change during a pass causes one more pass.
public actor PipelineService {
    let policy: PolicyService
    let topology: TopologyService
    let registry: SwitchRegistry
    let logger: Logger

    /// What each node should hold, as last compiled.
    public private(set) var desired: [String: BridgeProgram] = [:]
    /// What each node is known to hold (read back or committed); nil: unknown, read it first.
    private var installed: [String: BridgeProgram] = [:]
    /// A node's switch refused its program: the reason, and the program it refused (not retried
    /// until the program or the switch changes).
    private var refused: [String: (reason: String, program: BridgeProgram)] = [:]
    private var lastTopology = Topology()
    private var lastInputs = PipelineInputs()
    /// Node programs compiled so far (a change compiles only the nodes it touches).
    public private(set) var compiled = 0
    private var running = false
    private var again = false
    private var nextBundle: UInt32 = 1
    /// Counts for tests and metrics: flow and group mods sent, bundles committed.
    public private(set) var modsSent = 0
    public private(set) var bundlesCommitted = 0
    public private(set) var passes = 0

    public init(policy: PolicyService, topology: TopologyService, registry: SwitchRegistry, logger: Logger) {
        self.policy = policy
        self.topology = topology
        self.registry = registry
        self.logger = logger
    }

    /// A switch connected or left: forget what it held (re-read on connect), then recompute.
    public func handle(_ event: SwitchEvent) async {
        switch event {
        case .connected(let info): forget(datapathID: info.datapathID)
        case .disconnected(let dpid, _): forget(datapathID: dpid)
        case .portChanged: break
        }
        await run()
    }

    private func forget(datapathID: UInt64) {
        for (id, node) in lastTopology.nodes where node.datapathID == datapathID {
            installed[id] = nil
            refused[id] = nil
        }
    }

    /// Something changed (policy, topology): bring the bridges in line.
    public func run() async {
        if running {
            again = true
            return
        }
        running = true
        repeat {
            again = false
            await pass()
        } while again
        running = false
    }

    private func pass() async {
        passes += 1
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            Self.metrics.passes.increment()
            Self.metrics.passDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        }
        let (services, flows, mirrors) = await policy.read { t in
            (Array(t.services.values), Array(t.flows.values), Array(t.mirrors.values))
        }
        let topo = await topology.topology
        lastTopology = topo
        // Only the nodes the change can alter are recompiled.
        let inputs = PipelineInputs(services: services, flows: flows, mirrors: mirrors, topology: topo)
        if inputs != lastInputs {
            let compiler = inputs.compiler
            let touched = Affected.nodes(from: lastInputs, to: inputs) ?? Set(topo.nodes.keys)
            let fresh = compiler.programs(nodes: touched)
            for node in touched { desired[node] = fresh[node] }
            for node in desired.keys where topo.nodes[node] == nil { desired[node] = nil }
            compiled += touched.count
            lastInputs = inputs
        }
        let programs = desired
        for node in programs.keys.sorted() {
            guard let program = programs[node] else { continue }
            await sync(node, program, topo)
        }
        for node in installed.keys where programs[node] == nil { installed[node] = nil }
        await updateStatuses(topo, services: services, flows: flows, mirrors: mirrors)
    }

    private func sync(_ node: String, _ program: BridgeProgram, _ topo: Topology) async {
        guard let dpid = topo.nodes[node]?.datapathID, let connection = registry.connection(datapathID: dpid) else {
            installed[node] = nil
            return
        }
        if installed[node] == program { return }
        if let r = refused[node], r.program == program { return }
        var log = logger
        log[metadataKey: "node"] = "\(node)"
        do {
            let plan: ReconcilePlan
            if let known = installed[node] {
                plan = ReconcilePlan(desired: program, installedFlows: Array(known.flows.values), installedGroups: Array(known.groups.values))
            } else {
                let (flows, groups) = try await BridgeSync.installed(connection)
                plan = ReconcilePlan(desired: program, installedFlows: flows, installedGroups: groups)
            }
            if !plan.isEmpty {
                nextBundle &+= 1
                try await BridgeSync.apply(plan, to: connection, bundleID: nextBundle)
                modsSent += plan.messages.count
                bundlesCommitted += 1
                Self.metrics.flowMods.increment(by: Int64(plan.flowsAdded + plan.flowsModified + plan.flowsDeleted))
                Self.metrics.groupMods.increment(by: Int64(plan.groupsAdded + plan.groupsModified + plan.groupsDeleted))
                Self.metrics.bundles.increment()
                log.info("bridge programmed", metadata: [
                    "flows_added": "\(plan.flowsAdded)", "flows_modified": "\(plan.flowsModified)", "flows_deleted": "\(plan.flowsDeleted)",
                    "groups_added": "\(plan.groupsAdded)", "groups_modified": "\(plan.groupsModified)", "groups_deleted": "\(plan.groupsDeleted)",
                ])
            } else {
                log.info("bridge already holds its program")
            }
            installed[node] = program
            refused[node] = nil
        } catch let e as BridgeSync.Refused {
            log.error("switch refused the program", metadata: ["error": "\(e.description)"])
            refused[node] = (e.description, program)
            Self.metrics.refused.increment()
            installed[node] = nil
        } catch {
            log.warning("cannot program bridge", metadata: ["error": "\(error)"])
            installed[node] = nil
        }
    }

    /// ACTIVE when every bridge involved holds the resource's flows, DOWN while one (or a port)
    /// is missing, ERROR with the switch's reason when one refused them.
    private func updateStatuses(_ topo: Topology, services: [TapService], flows: [TapFlow], mirrors: [TapMirror]) async {
        func nodeState(_ node: String?) -> (ResourceStatus, String?) {
            guard let node, let n = topo.nodes[node], n.openflowConnected, desired[node] != nil else { return (.down, nil) }
            if let r = refused[node] { return (.error, r.reason) }
            return installed[node] == desired[node] ? (.active, nil) : (.down, nil)
        }
        func combine(_ states: [(ResourceStatus, String?)]) -> (ResourceStatus, String?) {
            if let e = states.first(where: { $0.0 == .error }) { return e }
            return states.allSatisfy { $0.0 == .active } ? (.active, nil) : (.down, nil)
        }
        func portNode(_ id: String) -> String? {
            guard let p = topo.ports[id], p.ofport != nil else { return nil }
            return p.node
        }
        var updates: [(PolicyTable.Kind, ResourceID, ResourceStatus, String?)] = []
        let byID = Dictionary(services.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for s in services {
            let (st, why) = nodeState(portNode(s.portID))
            if st != s.status || why != s.statusReason { updates.append((.tapService, s.id, st, why)) }
        }
        for f in flows {
            guard let s = byID[f.tapServiceID] else { continue }
            let source = portNode(f.sourcePort), dest = portNode(s.portID)
            var states = [nodeState(source), nodeState(dest)]
            // Across nodes, both need their tunnel port and the destination an IPv4 encap IP (the
            // only kind the pipeline tunnels to so far).
            if let source, let dest, source != dest {
                let ok = topo.nodes[source]?.tunnelPorts["taas-tun"] != nil && topo.nodes[dest]?.tunnelPorts["taas-tun"] != nil
                    && topo.nodes[dest]?.encapIP.flatMap({ IPv4Address($0) }) != nil
                if !ok { states.append((.down, nil)) }
            }
            let (st, why) = combine(states)
            if st != f.status || why != f.statusReason { updates.append((.tapFlow, f.id, st, why)) }
        }
        for m in mirrors {
            let node = portNode(m.portID)
            var states = [nodeState(node)]
            let ports = node.flatMap { topo.nodes[$0]?.tunnelPorts } ?? [:]
            if m.directions.keys.contains(where: { ports[MirrorPortName.make(m.id, $0)] == nil }) { states.append((.down, nil)) }
            let (st, why) = combine(states)
            if st != m.status || why != m.statusReason { updates.append((.tapMirror, m.id, st, why)) }
        }
        Self.metrics.record(services: services, flows: flows, mirrors: mirrors, updates: updates)
        guard !updates.isEmpty else { return }
        let changes = updates
        do {
            try await policy.mutate { t, _ in
                var saved: [PolicyChange] = []
                for (kind, id, st, why) in changes where t.setStatus(kind, id, st, reason: why) {
                    switch kind {
                    case .tapService: if let s = t.services[id] { saved.append(.saveTapService(s)) }
                    case .tapFlow: if let f = t.flows[id] { saved.append(.saveTapFlow(f)) }
                    case .tapMirror: if let m = t.mirrors[id] { saved.append(.saveTapMirror(m)) }
                    }
                }
                return ((), saved)
            }
        } catch {
            logger.error("cannot store statuses", metadata: ["error": "\(error)"])
        }
    }
}

/// What a pass reports to swift-metrics (a no-op until a backend is bootstrapped).
struct PipelineMetrics: Sendable {
    let passes = Counter(label: "taas_reconcile_runs_total")
    let passDuration = Timer(label: "taas_reconcile_duration_seconds", preferredDisplayUnit: .seconds)
    let flowMods = Counter(label: "taas_flow_mods_sent_total")
    let groupMods = Counter(label: "taas_group_mods_sent_total")
    let bundles = Counter(label: "taas_bundles_committed_total")
    let refused = Counter(label: "taas_bundles_refused_total")

    /// Policy objects by kind and status, as they stand after this pass's updates. Counted from
    /// the arrays the pass already holds; only updated objects are looked up.
    func record(services: [TapService], flows: [TapFlow], mirrors: [TapMirror],
                updates: [(PolicyTable.Kind, ResourceID, ResourceStatus, String?)]) {
        func count(_ kind: PolicyTable.Kind, _ name: String, _ items: [(ResourceID, ResourceStatus)]) {
            let changed = Dictionary(updates.filter { $0.0 == kind }.map { ($0.1, $0.2) }, uniquingKeysWith: { _, b in b })
            var counts: [ResourceStatus: Int] = [:]
            for (id, status) in items { counts[changed.isEmpty ? status : changed[id] ?? status, default: 0] += 1 }
            for status in ResourceStatus.allCases {
                Gauge(label: "taas_policy_objects", dimensions: [("kind", name), ("status", status.rawValue)]).record(counts[status] ?? 0)
            }
        }
        count(.tapService, "tap_service", services.map { ($0.id, $0.status) })
        count(.tapFlow, "tap_flow", flows.map { ($0.id, $0.status) })
        count(.tapMirror, "tap_mirror", mirrors.map { ($0.id, $0.status) })
    }
}

extension PipelineService {
    static let metrics = PipelineMetrics()
}
