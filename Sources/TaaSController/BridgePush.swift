import Logging
import OpenFlow
import OpenFlowServer
import Pipeline
import TaaSPolicy
import TaaSState

/// Carries out one push the core decided (`ControllerCore.Push`): a delta as one bundle, or a
/// whole program after reading back what the bridge holds.
enum BridgePush {
    static func run(_ p: ControllerCore.Push, registry: SwitchRegistry, leadership: Leadership, logger: Logger) async -> ControllerCore.Outcome {
        var log = logger
        log[metadataKey: "node"] = "\(p.node)"
        guard let connection = registry.connection(datapathID: p.datapathID) else { return .failed("not connected") }
        do {
            let plan: ReconcilePlan
            switch p.content {
            case .delta(let delta):
                guard !p.claimedOnly || connection.role == .master else { return .failed("this connection was not claimed") }
                plan = ReconcilePlan(delta: delta)
            case .program(let program):
                if let epoch = p.claim { try await SwitchRoles.claim(connection, epoch: epoch, leadership: leadership) }
                let (flows, groups, meters) = try await BridgeSync.installed(connection)
                plan = ReconcilePlan(desired: program, installedFlows: flows, installedGroups: groups, installedMeters: meters)
                guard !plan.isEmpty else {
                    log.info("bridge already holds its program")
                    return .alreadyHeld
                }
            }
            guard !plan.isEmpty else { return .alreadyHeld }
            // A leader whose lease ran out sends nothing more (the switch would refuse it
            // anyway once another replica has claimed it).
            guard leadership.mayProgram else { return .failed("no longer the leader") }
            try await BridgeSync.apply(plan, to: connection, bundleID: UInt32(truncatingIfNeeded: p.ticket))
            return programmed(p, plan, log)
        } catch {
            return outcome(of: error, log)
        }
    }

    /// Starts a small delta without meters (a bridge's usual change) on its bridge's event loop,
    /// where it is made, sent and committed with no task, and `finished` is called there: a
    /// change to every bridge would otherwise cost a task, and its hand-offs between threads,
    /// per bridge. Only for a push that `runsOnLoop`; `run` does the others.
    static func start(_ p: ControllerCore.Push, registry: SwitchRegistry, leadership: Leadership, logger: Logger,
                      finished: @escaping @Sendable (ControllerCore.Outcome) -> Void) {
        guard p.runsOnLoop, case .delta(let delta) = p.content else { return finished(.failed("not a delta to run on an event loop")) }
        guard let connection = registry.connection(datapathID: p.datapathID) else { return finished(.failed("not connected")) }
        guard !p.claimedOnly || connection.role == .master else { return finished(.failed("this connection was not claimed")) }
        connection.execute {
            let plan = ReconcilePlan(delta: delta)
            precondition(plan.metersFirst.isEmpty && plan.metersLast.isEmpty, "meters go outside the bundle: a task's push (run)")
            guard !plan.isEmpty else { return finished(.alreadyHeld) }
            guard leadership.mayProgram else { return finished(.failed("no longer the leader")) }
            let log = { var l = logger; l[metadataKey: "node"] = "\(p.node)"; return l }()
            BridgeSync.bundle(plan, to: connection, bundleID: UInt32(truncatingIfNeeded: p.ticket)).whenComplete { result in
                switch result {
                case .success: finished(programmed(p, plan, log))
                case .failure(let error): finished(outcome(of: error, log))
                }
            }
        }
    }

    private static func programmed(_ p: ControllerCore.Push, _ plan: ReconcilePlan, _ log: Logger) -> ControllerCore.Outcome {
        let c = plan.counts
        log.info("bridge programmed", metadata: [
            "version": "\(p.version)",
            "flows_added": "\(c.flowsAdded)", "flows_modified": "\(c.flowsModified)", "flows_deleted": "\(c.flowsDeleted)",
            "groups_added": "\(c.groupsAdded)", "groups_modified": "\(c.groupsModified)", "groups_deleted": "\(c.groupsDeleted)",
            "meters_added": "\(c.metersAdded)", "meters_modified": "\(c.metersModified)", "meters_deleted": "\(c.metersDeleted)",
        ])
        return .programmed(c)
    }

    private static func outcome(of error: Error, _ log: Logger) -> ControllerCore.Outcome {
        switch error {
        case let e as SwitchRoles.Stale:
            log.warning("switch refused this replica's claim", metadata: ["error": "\(e.description)"])
            return .failed(e.description)
        case let e as BridgeSync.Refused:
            log.error("switch refused the program", metadata: ["error": "\(e.description)"])
            return .refused(e.description)
        default:
            log.warning("cannot program bridge", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
    }
}

/// Reads one bridge's flow counters and attributes them to tap flows. Only flows that deliver
/// to a tap flow's service can count for it, so the switch is asked, per service, for the
/// flows of ours that output to its port or its group: a read costs what the tap flows on the
/// bridge cost, not the whole program.
enum CounterRead {
    /// The counts of each of the plan's entries, in its order; nil when the bridge is not connected.
    static func run(_ plan: ControllerCore.CounterPlan, registry: SwitchRegistry) async throws -> [CopyCounts]? {
        guard let connection = registry.connection(datapathID: plan.datapathID) else { return nil }
        var counts = [CopyCounts](repeating: CopyCounts(), count: plan.entries.count)
        var bySource: [UInt64: [FlowStats]] = [:]
        for read in plan.reads {
            var sums = TapFlowCounters.Sums()
            if read.delivery.switchSelects {
                var request = FlowStatsRequest(cookie: Cookie.mark, cookieMask: Cookie.markMask)
                switch read.delivery {
                case .port(let port): request.outPort = PortNumber(port)
                case .group(let id): request.outGroup = id
                case .cutPort, .cutTunnel, .metered: break
                }
                // Only counters are decoded; matches and instructions are most of the bytes.
                sums.add(try await connection.flowStats(request, .countersOnly))
            } else {
                // Truncated copies: each source's own flows, whole (read once for all its
                // destinations), picked by their actions.
                for cookie in Set(read.entries.map { plan.entries[$0].cookie }).sorted() {
                    if bySource[cookie] == nil {
                        bySource[cookie] = try await connection.flowStats(FlowStatsRequest(cookie: cookie, cookieMask: .max), .full)
                    }
                    sums.add(bySource[cookie] ?? [], delivering: read.delivery)
                }
            }
            sums.attribute(plan.entries, at: read.entries, into: &counts)
        }
        return counts
    }

}

extension SwitchConnection {
    /// The flows a FLOW stats request selects, every part of the reply together.
    func flowStats(_ request: FlowStatsRequest, _ detail: FlowStatsDetail = .full) async throws -> [FlowStats] {
        var out: [FlowStats] = []
        for m in try await self.request(.multipartRequest(MultipartRequest(.flow(request))), flowStats: detail) {
            if case .multipartReply(let r) = m.payload, case .flow(let s) = r.body { out += s }
        }
        return out
    }
}
