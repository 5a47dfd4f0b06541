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
    /// Bumped each time a node's switch connects or leaves, so that a push that was in flight
    /// then does not record a stale result.
    private var generation: [String: Int] = [:]
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

    /// Until every port the policy names and the inventory knows is back on a connected bridge
    /// (or this deadline passes), nothing is sent: after a restart, a bridge seen before the node
    /// holding its tap service would otherwise lose its copies to that service until the node
    /// reconnects. Bridges keep their flows meanwhile (fail mode secure).
    private let settleDeadline: ContinuousClock.Instant
    private var settled = false
    private var settleWake: Task<Void, Never>?

    /// `settle`: the longest wait, after start, for the nodes the policy names (see `settleDeadline`).
    public init(policy: PolicyService, topology: TopologyService, registry: SwitchRegistry, settle: Duration = .zero, logger: Logger) {
        self.policy = policy
        self.topology = topology
        self.registry = registry
        self.logger = logger
        settleDeadline = ContinuousClock.now + settle
    }

    /// A switch connected or left: forget what it held (re-read on connect), then recompute.
    public func handle(_ event: SwitchEvent) async {
        await handle([event])
    }

    /// Several switch events with one run for all of them.
    public func handle(_ events: [SwitchEvent]) async {
        for event in events {
            switch event {
            case .connected(let info): forget(datapathID: info.datapathID)
            case .disconnected(let dpid, _): forget(datapathID: dpid)
            case .portChanged: break
            }
        }
        await run()
    }

    private func forget(datapathID: UInt64) {
        for (id, node) in lastTopology.nodes where node.datapathID == datapathID {
            installed[id] = nil
            refused[id] = nil
            generation[id, default: 0] += 1
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
        if !settled {
            guard await isSettled(topo, services: services, flows: flows, mirrors: mirrors) else { return }
        }
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
        await syncAll(programs, topo)
        for node in installed.keys where programs[node] == nil { installed[node] = nil }
        await updateStatuses(topo, services: services, flows: flows, mirrors: mirrors)
    }

    /// Whether the start-up wait is over (see `settleDeadline`); if not, a pass is scheduled for
    /// the deadline.
    private func isSettled(_ topo: Topology, services: [TapService], flows: [TapFlow], mirrors: [TapMirror]) async -> Bool {
        let known = await policy.read { t in Set(t.ports.keys) }
        let named = Set(services.map(\.portID) + flows.map(\.sourcePort) + mirrors.map(\.portID)).intersection(known)
        let missing = named.filter { id in
            guard let p = topo.ports[id], p.ofport != nil, topo.nodes[p.node]?.openflowConnected == true else { return true }
            return false
        }
        if missing.isEmpty || ContinuousClock.now >= settleDeadline {
            settled = true
            settleWake?.cancel()
            if !missing.isEmpty {
                logger.warning("programming bridges although some ports the policy names are not back", metadata: [
                    "missing_ports": "\(missing.count)", "example": "\(missing.sorted().first ?? "")",
                ])
            }
            return true
        }
        if settleWake == nil {
            let deadline = settleDeadline
            settleWake = Task { [weak self] in
                try? await Task.sleep(until: deadline)
                await self?.run()
            }
        }
        return false
    }

    /// One bridge to bring in line: its program, its connection, what it is known to hold (nil:
    /// read it back), and the bundle id to use.
    struct Push: Sendable {
        var node: String
        var program: BridgeProgram
        var connection: SwitchConnection
        var known: BridgeProgram?
        var bundleID: UInt32
        var generation: Int
    }

    enum Outcome: Sendable {
        case programmed(ReconcilePlan.Counts)
        case alreadyHeld
        case refused(String)
        case failed
    }

    /// How many bridges are programmed at once: enough to hide round trips when a change
    /// touches thousands of bridges, few enough to bound the memory of plans in flight.
    static let concurrentPushes = 64

    /// Programs every bridge that does not hold its program yet, `concurrentPushes` at a time,
    /// then records what each confirmed.
    private func syncAll(_ programs: [String: BridgeProgram], _ topo: Topology) async {
        var work: [Push] = []
        for node in programs.keys.sorted() {
            guard let program = programs[node] else { continue }
            guard let dpid = topo.nodes[node]?.datapathID, let connection = registry.connection(datapathID: dpid) else {
                installed[node] = nil
                continue
            }
            if installed[node] == program { continue }
            if let r = refused[node], r.program == program { continue }
            nextBundle &+= 1
            work.append(Push(node: node, program: program, connection: connection, known: installed[node], bundleID: nextBundle,
                             generation: generation[node, default: 0]))
        }
        guard !work.isEmpty else { return }
        let logger = logger
        await withTaskGroup(of: (Push, Outcome).self) { group in
            var pending = work[...]
            func startNext() {
                guard let p = pending.popFirst() else { return }
                group.addTask { (p, await Self.push(p, logger: logger)) }
            }
            for _ in 0..<Self.concurrentPushes { startNext() }
            while let (p, outcome) = await group.next() {
                record(p, outcome)
                startNext()
            }
        }
    }

    /// Records what a push achieved, unless the switch left or came back meanwhile (then what
    /// it holds is unknown again, and the next pass reads it).
    private func record(_ p: Push, _ outcome: Outcome) {
        guard generation[p.node, default: 0] == p.generation else { return }
        switch outcome {
        case .programmed(let c):
            modsSent += c.messages
            bundlesCommitted += 1
            Self.metrics.flowMods.increment(by: Int64(c.flowsAdded + c.flowsModified + c.flowsDeleted))
            Self.metrics.groupMods.increment(by: Int64(c.groupsAdded + c.groupsModified + c.groupsDeleted))
            Self.metrics.bundles.increment()
            installed[p.node] = p.program
            refused[p.node] = nil
        case .alreadyHeld:
            installed[p.node] = p.program
            refused[p.node] = nil
        case .refused(let reason):
            refused[p.node] = (reason, p.program)
            Self.metrics.refused.increment()
            installed[p.node] = nil
        case .failed:
            installed[p.node] = nil
        }
    }

    /// Plans one bridge's change (reading what it holds when that is unknown) and sends it as one bundle.
    static func push(_ p: Push, logger: Logger) async -> Outcome {
        var log = logger
        log[metadataKey: "node"] = "\(p.node)"
        do {
            let plan: ReconcilePlan
            if let known = p.known {
                plan = ReconcilePlan(desired: p.program, installedFlows: Array(known.flows.values), installedGroups: Array(known.groups.values))
            } else {
                let (flows, groups) = try await BridgeSync.installed(p.connection)
                plan = ReconcilePlan(desired: p.program, installedFlows: flows, installedGroups: groups)
            }
            guard !plan.isEmpty else {
                log.info("bridge already holds its program")
                return .alreadyHeld
            }
            try await BridgeSync.apply(plan, to: p.connection, bundleID: p.bundleID)
            let c = plan.counts
            log.info("bridge programmed", metadata: [
                "flows_added": "\(c.flowsAdded)", "flows_modified": "\(c.flowsModified)", "flows_deleted": "\(c.flowsDeleted)",
                "groups_added": "\(c.groupsAdded)", "groups_modified": "\(c.groupsModified)", "groups_deleted": "\(c.groupsDeleted)",
            ])
            return .programmed(c)
        } catch let e as BridgeSync.Refused {
            log.error("switch refused the program", metadata: ["error": "\(e.description)"])
            return .refused(e.description)
        } catch {
            log.warning("cannot program bridge", metadata: ["error": "\(error)"])
            return .failed
        }
    }

    /// ACTIVE when every bridge involved holds the resource's flows, DOWN while one (or a port)
    /// is missing, ERROR with the switch's reason when one refused them.
    private func updateStatuses(_ topo: Topology, services: [TapService], flows: [TapFlow], mirrors: [TapMirror]) async {
        // Worked out once per node: a service node's program can hold thousands of flows, and
        // every tap flow into it asks.
        var states: [String: (ResourceStatus, String?)] = [:]
        func nodeState(_ node: String?) -> (ResourceStatus, String?) {
            guard let node else { return (.down, nil) }
            if let known = states[node] { return known }
            let state: (ResourceStatus, String?)
            if let n = topo.nodes[node], n.openflowConnected, desired[node] != nil {
                if let r = refused[node] {
                    state = (.error, r.reason)
                } else {
                    state = installed[node] == desired[node] ? (.active, nil) : (.down, nil)
                }
            } else {
                state = (.down, nil)
            }
            states[node] = state
            return state
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
