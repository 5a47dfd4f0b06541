import Foundation
import OpenFlowServer
import Prometheus
import Synchronization
import TaaSController
import TaaSPolicy
import TaaSState

/// What the API reports of the running controller: statistics, a summary, readiness and metrics.
struct RunningController: ControllerOperations {
    let topology: TopologyService
    let counters: CounterBoard
    let prometheus: PrometheusCollectorRegistry
    let readiness: Readiness
    let leadership: Leadership
    let registry: SwitchRegistry

    func statistics(tapFlow: ResourceID) async -> TapFlowStatistics? {
        counters.counts(tapFlow).map { TapFlowStatistics(packets: $0.packets, bytes: $0.bytes) }
    }

    func summary() async -> ControllerSummary {
        let nodes = await topology.topology.nodes.values
        var replication: ControllerSummary.Replication?
        let standing = leadership.standing
        if standing.replica != nil {
            var roles: [String: String] = [:]
            for c in registry.connections {
                guard let info = c.info else { continue }
                roles[info.datapathIDString] = switch c.role {
                case .master: "master"
                case .slave: "slave"
                case .equal: "equal"
                default: "unknown"
                }
            }
            var now = standing
            now.role = leadership.role
            replication = .init(standing: now, bridgeRoles: roles)
        }
        return ControllerSummary(nodes: nodes.count, openflowConnected: nodes.filter(\.openflowConnected).count,
                                 ovsdbConnected: nodes.filter(\.ovsdbConnected).count, statisticsReads: counters.reads, replication: replication)
    }

    func ready() async -> Bool { readiness.isReady }

    func metricsText() async -> String { prometheus.emitToString() + counters.exposition }
}

/// Set once the store is open and every listener is up.
final class Readiness: Sendable {
    private let parts: Mutex<Set<String>>
    init(waitingFor parts: Set<String>) { self.parts = Mutex(parts) }
    func done(_ part: String) { parts.withLock { _ = $0.remove(part) } }
    var isReady: Bool { parts.withLock { $0.isEmpty } }
}
