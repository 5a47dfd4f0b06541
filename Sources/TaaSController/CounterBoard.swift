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
    /// One bridge's read: the counts of its plan's entries, in the plan's order.
    public struct BridgeRead: Sendable {
        public var node: String
        public var version: Int
        public var entries: [TapFlowCounters.Entry]
        public var counts: [CopyCounts]

        public init(node: String, version: Int, entries: [TapFlowCounters.Entry], counts: [CopyCounts]) {
            self.node = node
            self.version = version
            self.entries = entries
            self.counts = counts
        }
    }

    private struct State {
        /// By tap flow: what the last read found, and the totals, which only ever grow (a
        /// switch's counters restart when a flow is replaced, and a Prometheus counter must not
        /// go back).
        var flows: [ResourceID: FlowCounts] = [:]
        /// By node: the plan version and counts of its last read. A read of the same version
        /// is compared index by index, so counters that did not move cost no lookup.
        var bridges: [String: (version: Int, counts: [CopyCounts])] = [:]
        var reads = 0
        /// Reads of plans older than this are dropped (made before tap flows were deleted).
        var oldestVersion = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func counts(_ id: ResourceID) -> CopyCounts? { state.withLock { $0.flows[id]?.last } }
    public var reads: Int { state.withLock { $0.reads } }

    /// One round of reads (a tap flow's source is on one bridge, so each tap flow is in at most
    /// one entry).
    public func record(_ round: [BridgeRead]) {
        state.withLock { s in
            for read in round where read.version >= s.oldestVersion {
                let previous = s.bridges[read.node].flatMap { $0.version == read.version ? $0.counts : nil }
                for (i, now) in read.counts.enumerated() {
                    // Most counters are where they were (no traffic): nothing to write.
                    if let previous, previous[i] == now { continue }
                    let flow = read.entries[i].tapFlow
                    s.flows[flow, default: FlowCounts()].advance(to: now)
                }
                s.bridges[read.node] = (read.version, read.counts)
            }
            s.reads += 1
        }
    }

    /// Deleted tap flows: their counts and their series leave, and reads of plans older than
    /// `version` (which may still name them) are dropped.
    public func forget(_ flows: [ResourceID], before version: Int) {
        guard !flows.isEmpty else { return }
        state.withLock { s in
            for flow in flows { s.flows[flow] = nil }
            s.oldestVersion = max(s.oldestVersion, version)
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

/// One tap flow's counts: what the last read found, and the total that only grows.
private struct FlowCounts {
    var last = CopyCounts()
    var total = CopyCounts()

    mutating func advance(to now: CopyCounts) {
        guard now != last else { return }
        // Grown: add the difference. Smaller: the switch's flows restarted from zero.
        total.packets &+= now.packets >= last.packets ? now.packets - last.packets : now.packets
        total.bytes &+= now.bytes >= last.bytes ? now.bytes - last.bytes : now.bytes
        last = now
    }
}
