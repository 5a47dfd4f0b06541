import Logging
import OpenFlow
import OpenFlowServer
import Pipeline
import TaaSPolicy

/// Carries out one push the core decided (`ControllerCore.Push`): a delta as one bundle, or a
/// whole program after reading back what the bridge holds.
enum BridgePush {
    static func run(_ p: ControllerCore.Push, registry: SwitchRegistry, logger: Logger) async -> ControllerCore.Outcome {
        var log = logger
        log[metadataKey: "node"] = "\(p.node)"
        guard let connection = registry.connection(datapathID: p.datapathID) else { return .failed("not connected") }
        do {
            let plan: ReconcilePlan
            switch p.content {
            case .delta(let delta):
                plan = ReconcilePlan(delta: delta)
            case .program(let program):
                let (flows, groups) = try await BridgeSync.installed(connection)
                plan = ReconcilePlan(desired: program, installedFlows: flows, installedGroups: groups)
                guard !plan.isEmpty else {
                    log.info("bridge already holds its program")
                    return .alreadyHeld
                }
            }
            guard !plan.isEmpty else { return .alreadyHeld }
            try await BridgeSync.apply(plan, to: connection, bundleID: UInt32(truncatingIfNeeded: p.ticket))
            let c = plan.counts
            log.info("bridge programmed", metadata: [
                "version": "\(p.version)",
                "flows_added": "\(c.flowsAdded)", "flows_modified": "\(c.flowsModified)", "flows_deleted": "\(c.flowsDeleted)",
                "groups_added": "\(c.groupsAdded)", "groups_modified": "\(c.groupsModified)", "groups_deleted": "\(c.groupsDeleted)",
            ])
            return .programmed(c)
        } catch let e as BridgeSync.Refused {
            log.error("switch refused the program", metadata: ["error": "\(e.description)"])
            return .refused(e.description)
        } catch {
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
    static func run(datapathID: UInt64, entries: [TapFlowCounters.Entry], registry: SwitchRegistry,
                    into totals: inout [ResourceID: CopyCounts]) async throws {
        guard let connection = registry.connection(datapathID: datapathID) else { return }
        var byDelivery: [Action: [TapFlowCounters.Entry]] = [:]
        for e in entries { byDelivery[e.delivery, default: []].append(e) }
        for (delivery, entries) in byDelivery {
            var request = FlowStatsRequest(cookie: Cookie.mark, cookieMask: Cookie.markMask)
            switch delivery {
            case .output(let port, _): request.outPort = port
            case .group(let id): request.outGroup = id
            default: continue
            }
            var stats: [FlowStats] = []
            for m in try await connection.request(.multipartRequest(MultipartRequest(.flow(request)))) {
                if case .multipartReply(let r) = m.payload, case .flow(let s) = r.body { stats += s }
            }
            TapFlowCounters.attribute(stats, entries, filtered: true, into: &totals)
        }
    }
}
