import Metrics
import Pipeline
import Synchronization
import TaaSPolicy

/// Copies counted per tap flow, as the last statistics read found them: written by the
/// statistics reads, read by the API and `/metrics`.
public final class CounterBoard: Sendable {
    private struct State {
        var counts: [ResourceID: CopyCounts] = [:]
        /// Totals already added to the metrics counters: a switch's counters restart when a flow
        /// is replaced, and a Prometheus counter must only grow.
        var reported: [ResourceID: CopyCounts] = [:]
        var series: [ResourceID: (packets: Counter, bytes: Counter)] = [:]
        var reads = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func counts(_ id: ResourceID) -> CopyCounts? { state.withLock { $0.counts[id] } }
    public var reads: Int { state.withLock { $0.reads } }

    /// One read's totals, for the tap flows of the bridges read.
    func record(_ totals: [ResourceID: CopyCounts]) {
        state.withLock { s in
            for (flow, now) in totals {
                let before = s.reported[flow] ?? CopyCounts()
                // Grown: add the difference. Smaller: the switch's flows restarted from zero.
                let packets = now.packets >= before.packets ? now.packets - before.packets : now.packets
                let bytes = now.bytes >= before.bytes ? now.bytes - before.bytes : now.bytes
                let c = Self.series(flow, &s)
                if packets > 0 { c.packets.increment(by: Int64(clamping: packets)) }
                if bytes > 0 { c.bytes.increment(by: Int64(clamping: bytes)) }
                s.reported[flow] = now
                s.counts[flow] = now
            }
            s.reads += 1
        }
    }

    /// Deleted tap flows: their counts and their series leave.
    func forget(_ flows: some Sequence<ResourceID>) {
        state.withLock { s in
            for flow in flows {
                s.counts[flow] = nil
                s.reported[flow] = nil
                if let c = s.series.removeValue(forKey: flow) {
                    c.packets.destroy()
                    c.bytes.destroy()
                }
            }
        }
    }

    private static func series(_ flow: ResourceID, _ s: inout State) -> (packets: Counter, bytes: Counter) {
        if let known = s.series[flow] { return known }
        let dims = [("tap_flow", flow.rawValue)]
        let made = (Counter(label: "taas_tap_flow_packets_total", dimensions: dims), Counter(label: "taas_tap_flow_bytes_total", dimensions: dims))
        s.series[flow] = made
        return made
    }
}
