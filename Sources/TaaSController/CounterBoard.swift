import Pipeline
import Synchronization
import TaaSPolicy

/// Copies counted per tap flow: written by the statistics reads, read by the API and shown in
/// `/metrics` as `taas_tap_flow_packets_total` and `taas_tap_flow_bytes_total`.
///
/// These series are rendered here rather than registered one by one with the metrics backend:
/// swift-prometheus copies a metric family's label sets on each new series, which makes a
/// hundred thousand tap flows cost a quadratic start.
public final class CounterBoard: Sendable {
    private struct State {
        /// By tap flow: what the last read found, and the totals, which only ever grow (a
        /// switch's counters restart when a flow is replaced, and a Prometheus counter must not
        /// go back).
        var flows: [ResourceID: (last: CopyCounts, total: CopyCounts)] = [:]
        var reads = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func counts(_ id: ResourceID) -> CopyCounts? { state.withLock { $0.flows[id]?.last } }
    public var reads: Int { state.withLock { $0.reads } }

    /// One read's totals, for the tap flows of the bridges read.
    func record(_ read: [ResourceID: CopyCounts]) {
        state.withLock { s in
            for (flow, now) in read {
                var entry = s.flows[flow] ?? (CopyCounts(), CopyCounts())
                // Grown: add the difference. Smaller: the switch's flows restarted from zero.
                entry.total.packets &+= now.packets >= entry.last.packets ? now.packets - entry.last.packets : now.packets
                entry.total.bytes &+= now.bytes >= entry.last.bytes ? now.bytes - entry.last.bytes : now.bytes
                entry.last = now
                s.flows[flow] = entry
            }
            s.reads += 1
        }
    }

    /// Deleted tap flows: their counts and their series leave.
    func forget(_ flows: some Sequence<ResourceID>) {
        state.withLock { s in
            for flow in flows { s.flows[flow] = nil }
        }
    }

    /// The per-tap-flow series in the Prometheus text format.
    public var exposition: String {
        let flows = state.withLock { $0.flows }
        guard !flows.isEmpty else { return "" }
        let sorted = flows.map { ($0.key, $0.value.total) }.sorted { $0.0 < $1.0 }
        var out = "# TYPE taas_tap_flow_packets_total counter\n"
        out.reserveCapacity(sorted.count * 140)
        for (id, c) in sorted { out += "taas_tap_flow_packets_total{tap_flow=\"\(id.rawValue)\"} \(c.packets)\n" }
        out += "# TYPE taas_tap_flow_bytes_total counter\n"
        for (id, c) in sorted { out += "taas_tap_flow_bytes_total{tap_flow=\"\(id.rawValue)\"} \(c.bytes)\n" }
        return out
    }
}
