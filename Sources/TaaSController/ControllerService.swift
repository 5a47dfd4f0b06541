import Dispatch
import Logging
import Metrics
import OVSDBClient
import OpenFlowServer
import Pipeline
import ServiceLifecycle
import SwitchSession
import Synchronization
import TaaSPolicy
import TaaSState
import Topology

/// The controller as one service: policy deltas, OVSDB and OpenFlow events in; the topology
/// and the core (`ControllerCore`) worked; pushes to bridges, statuses and counters out.
/// Everything the core decides runs here: pushes (up to the core's limit at once; a small delta
/// on its bridge's event loop, the rest in the service's task group, as are retries, the
/// start-up wait and statistics reads).
public struct ControllerService: Service {
    public struct Configuration: Sendable {
        /// The longest wait, after start, for the nodes the policy names before anything is sent.
        public var settle: Duration
        public var statisticsInterval: Duration
        public var maxPushes: Int

        public init(settle: Duration = .zero, statisticsInterval: Duration = .seconds(10), maxPushes: Int = 64) {
            self.settle = settle
            self.statisticsInterval = statisticsInterval
            self.maxPushes = maxPushes
        }
    }

    enum Input: Sendable {
        case policy(PolicyDelta)
        case ovsdb(OVSDBEvent)
        case switched(SwitchEvent)
        case finished(ControllerCore.Push, ControllerCore.Outcome)
        case retry(String)
        case settleDeadline
        /// The lease loop's verdict on this replica.
        case role(Role)
        case readCounters
        case countersRead
        /// A new leader's wait for its read-backs before it states statuses is over.
        case holdOver
        /// A large batch is over: time to give its memory back (see `Heap`).
        case trim
    }

    let configuration: Configuration
    let policy: PolicyService
    let topology: TopologyService
    let registry: SwitchRegistry
    let ovsdb: AsyncStream<OVSDBEvent>?
    /// This replica's standing among replicas (sole when alone), and its changes.
    let leadership: Leadership
    let roles: AsyncStream<Role>?
    /// Where a leader's statuses go for the other replicas (nil: alone).
    let shareStatuses: (@Sendable ([(ResourceKind, ResourceID, ResourceState)]) -> Void)?
    public let statuses: StatusBoard
    public let counters: CounterBoard
    let logger: Logger
    let observer: Observer

    /// What the service shows of itself (tests and `/metrics`).
    public final class Observer: Sendable {
        let state = Mutex<Snapshot>(Snapshot())
        public struct Snapshot: Sendable {
            public var batches = 0
            public var pushes = 0
            public var modsSent = 0
            public var bundlesCommitted = 0
            public var unitsCompiled = 0
            public var settled = false
        }

        public init() {}
        public var snapshot: Snapshot { state.withLock { $0 } }
    }

    public init(configuration: Configuration, policy: PolicyService, topology: TopologyService, registry: SwitchRegistry,
                ovsdb: AsyncStream<OVSDBEvent>?, leadership: Leadership = Leadership(), roles: AsyncStream<Role>? = nil,
                shareStatuses: (@Sendable ([(ResourceKind, ResourceID, ResourceState)]) -> Void)? = nil, statuses: StatusBoard,
                counters: CounterBoard, observer: Observer = Observer(), logger: Logger) {
        self.leadership = leadership
        self.roles = roles
        self.shareStatuses = shareStatuses
        self.configuration = configuration
        self.policy = policy
        self.topology = topology
        self.registry = registry
        self.ovsdb = ovsdb
        self.statuses = statuses
        self.counters = counters
        self.observer = observer
        self.logger = logger
    }

    public func run() async throws {
        // Subscribed before anything else happens, so no event is missed.
        let switchEvents = registry.events()
        let (current, policyChanges) = await policy.subscribe()
        let (inputs, input) = Coalesced<Input>.makeStream()
        let logger = logger, registry = registry, counters = counters
        let loopPushes = LoopPushes()

        // The loop on a thread of its own, below the API's priority (see `DedicatedExecutor`);
        // its child tasks (read-backs, large deltas, timers) on the cooperative pool.
        try await withTaskExecutorPreference(DedicatedExecutor.controller) {
        try await cancelWhenGracefulShutdown {
        // Discarding: a finished push or timer leaves nothing behind (a task group keeps each
        // child's result until it is awaited, and this one awaits its inputs instead).
        await withDiscardingTaskGroup { group in
            var core = ControllerCore(maxPushes: configuration.maxPushes, settle: configuration.settle > .zero)
            // A replica starts as whatever the lease says (a follower until it holds it).
            _ = core.lead(leadership.role)
            group.addOffLoop { for await d in policyChanges { input.yield(.policy(d)) } }
            group.addOffLoop { for await e in switchEvents { input.yield(.switched(e)) } }
            if let ovsdb { group.addOffLoop { for await e in ovsdb { input.yield(.ovsdb(e)) } } }
            if let roles { group.addOffLoop { for await r in roles { input.yield(.role(r)) } } }
            if configuration.settle > .zero {
                let settle = configuration.settle
                group.addOffLoop {
                    try? await Task.sleep(for: settle)
                    input.yield(.settleDeadline)
                }
            }
            let interval = configuration.statisticsInterval
            group.addOffLoop {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    input.yield(.readCounters)
                }
            }

            // The topology learns the tap mirrors and service ports first: it keeps their ports.
            await topology.policyChanged(current)
            var actions = core.apply(policy: current, topology: await topology.current())
            var reading = false
            // The start was a large batch too.
            var trimPending = true
            group.addOffLoop {
                try? await Task.sleep(for: .seconds(2))
                input.yield(.trim)
            }
            // OVSDB sessions up, for /metrics: a session counts from its first view to its disconnect.
            var ovsdbSessions: Set<String> = []
            var publisher = StatusPublisher(board: statuses, share: shareStatuses)
            publisher.roleChanged(to: core.role)
            var batches = inputs.makeAsyncIterator()
            while true {
                let changed = perform(actions, input, loopPushes, &group)
                if !changed.isEmpty { publisher.take(changed, role: core.role) }
                // Counting unread bridges costs one look at each: only while a new leader holds.
                if publisher.holding { publisher.release(unread: core.unread) }
                actions = []
                publish(core)
                guard let batch = await batches.next() else { break }
                let started = DispatchTime.now().uptimeNanoseconds
                var delta = PolicyDelta()
                var events: [TopologyEvent] = []
                var switched: [SwitchEvent] = []
                for i in batch {
                    switch i {
                    case .policy(let d):
                        delta.formSequence(d)
                        await topology.policyChanged(d)
                        // Reads planned before this change are dropped: they would bring the
                        // deleted flows back.
                        counters.forget(d.tapFlows.compactMap { $0.value.new == nil ? $0.key : nil }, before: core.plansVersion + 1)
                    case .ovsdb(let e):
                        switch e {
                        case .view(let name, _): ovsdbSessions.insert(name)
                        case .disconnected(let name, _): ovsdbSessions.remove(name)
                        }
                        Self.metrics.ovsdbSessions.record(ovsdbSessions.count)
                        events += await topology.handle(e)
                    case .switched(let e):
                        switched.append(e)
                        Self.log(e, logger)
                        if case .connected(let info) = e, case .follower(let epoch) = core.role,
                           let c = registry.connection(datapathID: info.datapathID) {
                            group.addOffLoop { await SwitchRoles.yield(c, epoch: epoch, logger: logger) }
                        }
                    case .role(let r):
                        let was = core.role
                        guard r != was else { continue }
                        logger.notice("replica role changed", metadata: ["role": "\(r.name)", "epoch": "\(r.epoch.map(String.init) ?? "-")",
                                                                        "was": "\(was.name)"])
                        if r.programs && !was.programs {
                            // What other replicas committed, taken now rather than at the next
                            // notification (its delta follows the read-backs as a delta).
                            do { try await policy.refresh() } catch {
                                logger.warning("taking the lease without the latest policy", metadata: ["error": "\(error)"])
                            }
                        }
                        actions += core.lead(r)
                        publisher.roleChanged(to: r)
                        if r.programs {
                            group.addOffLoop {
                                try? await Task.sleep(for: StatusPublisher.hold)
                                input.yield(.holdOver)
                            }
                        }
                        if case .follower(let epoch) = r {
                            for c in registry.connections { group.addOffLoop { await SwitchRoles.yield(c, epoch: epoch, logger: logger) } }
                        } else if !was.programs {
                            let topology = topology
                            group.addOffLoop { await topology.tookOver() }
                        }
                    case .finished(let p, let o):
                        actions += core.finished(p, o)
                    case .retry(let node):
                        actions += core.retry(node: node)
                    case .settleDeadline:
                        if !core.settled {
                            let missing = core.missingPorts
                            if !missing.isEmpty {
                                logger.warning("programming bridges although some ports the policy names are not back", metadata: [
                                    "missing_ports": "\(missing.count)", "example": "\(missing.first ?? "")",
                                ])
                            }
                        }
                        actions += core.settleDeadlinePassed()
                    case .readCounters:
                        guard !reading else { continue }
                        reading = true
                        let plans = core.counterPlans()
                        group.addOffLoop {
                            await Self.readCounters(plans, registry: registry, counters: counters, logger: logger)
                            input.yield(.countersRead)
                        }
                    case .holdOver:
                        publisher.release(unread: 0)
                    case .countersRead:
                        reading = false
                    case .trim:
                        trimPending = false
                        Heap.trim()
                    }
                }
                if !switched.isEmpty { events += await topology.handle(switched) }
                if !delta.isEmpty || !events.isEmpty || !switched.isEmpty {
                    actions += core.apply(policy: delta, topology: events, switched: switched)
                }
                // After a large batch, once the work it caused has had a moment to finish.
                let large = delta.tapFlows.count + delta.ports.count + events.count > 1000
                if large && !trimPending {
                    trimPending = true
                    group.addOffLoop {
                        try? await Task.sleep(for: .seconds(2))
                        input.yield(.trim)
                    }
                }
                Self.metrics.batches.increment()
                Self.metrics.batchDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            }
            // Pushes on event loops are not the group's children: their outcomes are waited
            // for as the children's are.
            await loopPushes.drained()
            input.finish()
            group.cancelAll()
        }
        }
        }
    }

    /// Does what the core decided.
    private func perform(_ actions: [ControllerCore.Action], _ inputs: Coalesced<Input>.Continuation, _ loopPushes: LoopPushes,
                         _ group: inout DiscardingTaskGroup) -> [(ResourceKind, ResourceID, ResourceState)] {
        let registry = registry, logger = logger
        var changes: [(ResourceKind, ResourceID, ResourceState)] = []
        for a in actions {
            switch a {
            case .push(let p):
                let leadership = leadership
                let finished: @Sendable (ControllerCore.Outcome) -> Void = { outcome in
                    if case .programmed(let c) = outcome {
                        Self.metrics.flowMods.increment(by: Int64(c.flowsAdded + c.flowsModified + c.flowsDeleted))
                        Self.metrics.groupMods.increment(by: Int64(c.groupsAdded + c.groupsModified + c.groupsDeleted))
                        Self.metrics.bundles.increment()
                    } else if case .refused = outcome {
                        Self.metrics.refused.increment()
                    }
                    inputs.yield(.finished(p, outcome))
                }
                // A small delta runs on its bridge's event loop; the rest as a task.
                if p.runsOnLoop {
                    loopPushes.started()
                    BridgePush.start(p, registry: registry, leadership: leadership, logger: logger) { outcome in
                        finished(outcome)
                        loopPushes.ended()
                    }
                    continue
                }
                group.addOffLoop { finished(await BridgePush.run(p, registry: registry, leadership: leadership, logger: logger)) }
            case .statuses(let s):
                changes += s
            case .retry(let node, let after):
                group.addOffLoop {
                    try? await Task.sleep(for: after)
                    inputs.yield(.retry(node))
                }
            }
        }
        return changes
    }

    /// What the service shows of itself, after each batch.
    private func publish(_ core: ControllerCore) {
        observer.state.withLock { o in
            o.batches += 1
            o.pushes = core.pushes
            o.modsSent = core.modsSent
            o.bundlesCommitted = core.bundlesCommitted
            o.unitsCompiled = core.engine.unitsCompiled
            o.settled = core.settled
        }
    }

    /// Reads the counters of the bridges with tap flow sources, one bridge at a time.
    static func readCounters(_ plans: [ControllerCore.CounterPlan], registry: SwitchRegistry, counters: CounterBoard, logger: Logger) async {
        var reads: [CounterBoard.BridgeRead] = []
        for plan in plans {
            do {
                guard let counts = try await CounterRead.run(plan, registry: registry) else { continue }
                reads.append(.init(node: plan.node, version: plan.version, entries: plan.entries, counts: counts))
            } catch {
                logger.debug("cannot read flow statistics", metadata: ["node": "\(plan.node)", "error": "\(error)"])
            }
        }
        counters.record(reads)
    }

    static func log(_ event: SwitchEvent, _ logger: Logger) {
        switch event {
        case .connected(let info):
            logger.info("switch connected", metadata: ["datapath_id": "\(info.datapathIDString)", "ports": "\(info.ports.count)"])
        case .disconnected(let dpid, let reason):
            logger.info("switch disconnected", metadata: ["datapath_id": "\(DatapathID.format(dpid))", "reason": "\(reason)"])
        case .portChanged(let dpid, let change):
            logger.info("port changed", metadata: ["datapath_id": "\(DatapathID.format(dpid))", "change": "\(change)"])
        }
    }

    static let metrics = ControllerMetrics()
}

/// What the controller reports to swift-metrics (a no-op until a backend is bootstrapped).
struct ControllerMetrics: Sendable {
    let batches = Counter(label: "taas_reconcile_runs_total")
    let batchDuration = Timer(label: "taas_reconcile_duration_seconds", preferredDisplayUnit: .seconds)
    let flowMods = Counter(label: "taas_flow_mods_sent_total")
    let groupMods = Counter(label: "taas_group_mods_sent_total")
    let bundles = Counter(label: "taas_bundles_committed_total")
    let refused = Counter(label: "taas_bundles_refused_total")
    let ovsdbSessions = Gauge(label: "taas_ovsdb_sessions_connected")
}

extension DiscardingTaskGroup {
    /// A child task on the cooperative pool, not on the controller's thread, which the loop's
    /// children would otherwise inherit.
    mutating func addOffLoop(_ operation: sending @escaping @isolated(any) () async -> Void) {
        addTask(executorPreference: globalConcurrentExecutor, operation: operation)
    }
}
