import Foundation
import Hummingbird
import TaaSPolicy

/// Copies counted for one tap flow, as the switches reported them at the last read.
public struct TapFlowStatistics: Hashable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64
    public init(packets: UInt64, bytes: UInt64) {
        self.packets = packets
        self.bytes = bytes
    }
}

/// The controller at a glance, for `taasctl status`.
public struct ControllerSummary: Hashable, Sendable {
    public var nodes: Int
    public var openflowConnected: Int
    public var ovsdbConnected: Int
    public var statisticsReads: Int
    public init(nodes: Int, openflowConnected: Int, ovsdbConnected: Int, statisticsReads: Int) {
        self.nodes = nodes
        self.openflowConnected = openflowConnected
        self.ovsdbConnected = ovsdbConnected
        self.statisticsReads = statisticsReads
    }
}

/// What the running controller reports beyond the policy: its sessions, counters and health.
public protocol ControllerOperations: Sendable {
    func statistics(tapFlow: ResourceID) async -> TapFlowStatistics?
    func summary() async -> ControllerSummary
    /// Ready: the store is open and every listener is up.
    func ready() async -> Bool
    /// The Prometheus text exposition of every metric.
    func metricsText() async -> String
}

/// No controller behind the API (tests of the policy alone): always ready, nothing counted.
public struct NoOperations: ControllerOperations {
    public init() {}
    public func statistics(tapFlow: ResourceID) async -> TapFlowStatistics? { nil }
    public func summary() async -> ControllerSummary { ControllerSummary(nodes: 0, openflowConnected: 0, ovsdbConnected: 0, statisticsReads: 0) }
    public func ready() async -> Bool { true }
    public func metricsText() async -> String { "" }
}

enum OperationRoutes {
    static func register(on router: Router<APIContext>, service: PolicyService, operations: any ControllerOperations) {
        router.get("/healthz") { _, _ in
            let ready = await operations.ready()
            return JSON.response(ready ? .ok : .serviceUnavailable, ["status": ready ? "ready" : "starting"])
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: await operations.metricsText())))
        }
        router.get("/v2.0/taas/tap_flows/:id/statistics") { _, context in
            guard let id = ResourceID(context.parameters.get("id") ?? "") else {
                throw APIError(.notFound, "TapFlowNotFound", "tap flow \(context.parameters.get("id") ?? "") could not be found")
            }
            // Visible to whoever may see the tap flow.
            let caller = context.caller
            _ = try await service.read { t in try t.tapFlow(id, by: caller) }
            let s = await operations.statistics(tapFlow: id)
            return JSON.response(.ok, ["statistics": [
                "tap_flow_id": id.rawValue, "packets": Int(clamping: s?.packets ?? 0), "bytes": Int(clamping: s?.bytes ?? 0),
                "counted": s != nil,
            ] as [String: Any]])
        }
        router.get("/v2.0/taas/status") { _, context in
            try NodeRoutes.adminOnly(context)
            let s = await operations.summary()
            let (services, flows, mirrors) = await service.read { t in
                (t.services.values.map(\.status), t.flows.values.map(\.status), t.mirrors.values.map(\.status))
            }
            func byStatus(_ statuses: [ResourceStatus]) -> [String: Int] {
                Dictionary(ResourceStatus.allCases.map { st in (st.rawValue, statuses.filter { $0 == st }.count) }, uniquingKeysWith: +)
            }
            return JSON.response(.ok, ["status": [
                "nodes": s.nodes, "openflow_connected": s.openflowConnected, "ovsdb_connected": s.ovsdbConnected,
                "statistics_reads": s.statisticsReads,
                "tap_services": byStatus(services), "tap_flows": byStatus(flows), "tap_mirrors": byStatus(mirrors),
            ] as [String: Any]])
        }
    }
}
