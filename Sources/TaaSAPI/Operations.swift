import Foundation
import Hummingbird
import TaaSPolicy
import TaaSState
import TaaSWire

enum OperationRoutes {
    static func metrics(_ operations: any ControllerOperations) async -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: await operations.metricsText())))
    }

    static func register(on router: Router<APIContext>, service: PolicyService, statuses: StatusBoard, operations: any ControllerOperations,
                         serveMetrics: Bool) {
        router.get("/healthz") { _, _ in
            let ready = await operations.ready()
            return JSON.encoded(ready ? .ok : .serviceUnavailable, Health(ready: ready))
        }
        if serveMetrics {
            router.get("/metrics") { _, _ in await metrics(operations) }
        }
        router.get("/v2.0/taas/tap_flows/:id/statistics") { _, context in
            guard let id = ResourceID(context.parameters.get("id") ?? "") else {
                throw APIError(.notFound, "TapFlowNotFound", "tap flow \(context.parameters.get("id") ?? "") could not be found")
            }
            // Visible to whoever may see the tap flow.
            let caller = context.caller
            _ = try await service.read { t in try t.tapFlow(id, by: caller) }
            let s = await operations.statistics(tapFlow: id)
            return JSON.encoded(.ok, TapFlowStatistics.Envelope(TapFlowStatistics(
                tapFlowID: id.rawValue, packets: Int(clamping: s?.packets ?? 0), bytes: Int(clamping: s?.bytes ?? 0), counted: s != nil)))
        }
        router.get("/v2.0/taas/status") { _, context in
            try NodeController.adminOnly(context)
            let s = await operations.summary()
            let totals = service.totals()
            // The board keeps ACTIVE and ERROR; the rest of each kind is DOWN.
            func byStatus(_ kind: ResourceKind, _ total: Int) -> [String: Int] {
                let (active, error) = statuses.counts(kind)
                return [ResourceStatus.active.rawValue: active, ResourceStatus.error.rawValue: error,
                        ResourceStatus.down.rawValue: max(0, total - active - error)]
            }
            var body = ControllerStatus(nodes: s.nodes, openflowConnected: s.openflowConnected, ovsdbConnected: s.ovsdbConnected,
                                        statisticsReads: s.statisticsReads, tapServices: byStatus(.tapService, totals.services),
                                        tapFlows: byStatus(.tapFlow, totals.flows), tapMirrors: byStatus(.tapMirror, totals.mirrors))
            if let r = s.replication {
                let st = r.standing
                body.replication = .init(
                    replica: st.replica ?? "", role: st.role.name, epoch: Int(clamping: st.role.epoch ?? 0), leader: st.leaderID,
                    leaderName: st.replicas.first { $0.id == st.leaderID }?.name, takeovers: st.takeovers,
                    replicas: st.replicas.map { .init(id: $0.id, name: $0.name, api: $0.api, leader: $0.leader,
                                                      lastSeenMilliseconds: Int($0.lastSeenMilliseconds)) },
                    bridges: r.bridgeRoles.sorted { $0.key < $1.key }.map { .init(datapathID: $0.key, role: $0.value) })
            }
            return JSON.encoded(.ok, ControllerStatus.Envelope(body))
        }
    }
}
