import Logging
import Metrics
import OpenFlow
import OpenFlowServer
import Pipeline
import TaaSAPI
import TaaSPolicy
import Topology

/// Reads taasd's flow counters from every connected bridge on an interval and turns them into
/// per-tap-flow packet and byte counts (see `TapFlowCounters` for which flows count), for
/// `/metrics` and the API.
public actor StatisticsService {
    let policy: PolicyService
    let topology: TopologyService
    let registry: SwitchRegistry
    let interval: Duration
    let logger: Logger

    /// The last totals read, by tap flow.
    public private(set) var counts: [ResourceID: CopyCounts] = [:]
    /// Totals already added to the metrics counters: a switch's counters restart when a flow is
    /// replaced, and a Prometheus counter must only grow.
    private var reported: [ResourceID: CopyCounts] = [:]
    public private(set) var reads = 0

    public init(policy: PolicyService, topology: TopologyService, registry: SwitchRegistry, interval: Duration, logger: Logger) {
        self.policy = policy
        self.topology = topology
        self.registry = registry
        self.interval = interval
        self.logger = logger
    }

    /// Reads every `interval` until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await readOnce()
            try? await Task.sleep(for: interval)
        }
    }

    /// One read of every connected bridge.
    public func readOnce() async {
        let (flows, services) = await policy.read { t in (Array(t.flows.values), t.services) }
        let topo = await topology.topology
        // Each bridge is asked only about the tap flows whose source is on it: handing every
        // bridge every tap flow costs bridges × tap flows per read.
        var flowsByNode: [String: [TapFlow]] = [:]
        for f in flows {
            if let node = topo.ports[f.sourcePort]?.node { flowsByNode[node, default: []].append(f) }
        }
        var totals: [ResourceID: CopyCounts] = [:]
        for (id, node) in topo.nodes.sorted(by: { $0.key < $1.key }) {
            guard let nodeFlows = flowsByNode[id] else { continue }
            guard let dpid = node.datapathID, let connection = registry.connection(datapathID: dpid) else { continue }
            do {
                var stats: [FlowStats] = []
                let request = FlowStatsRequest(cookie: Cookie.mark, cookieMask: Cookie.markMask)
                for m in try await connection.request(.multipartRequest(MultipartRequest(.flow(request)))) {
                    if case .multipartReply(let r) = m.payload, case .flow(let s) = r.body { stats += s }
                }
                for (flow, c) in TapFlowCounters.attribute(stats, node: id, flows: nodeFlows, services: services, topology: topo) {
                    totals[flow, default: CopyCounts()].packets &+= c.packets
                    totals[flow, default: CopyCounts()].bytes &+= c.bytes
                }
            } catch {
                logger.debug("cannot read flow statistics", metadata: ["node": "\(id)", "error": "\(error)"])
            }
        }
        for (flow, now) in totals {
            let before = reported[flow] ?? CopyCounts()
            // Grown: add the difference. Smaller: the switch's flows restarted from zero.
            let packets = now.packets >= before.packets ? now.packets - before.packets : now.packets
            let bytes = now.bytes >= before.bytes ? now.bytes - before.bytes : now.bytes
            let c = metricCounters(flow)
            if packets > 0 { c.packets.increment(by: Int64(clamping: packets)) }
            if bytes > 0 { c.bytes.increment(by: Int64(clamping: bytes)) }
            reported[flow] = now
        }
        // Keep counts of tap flows whose bridge is away for now; forget deleted tap flows.
        let existing = Set(flows.map(\.id))
        for flow in counts.keys where totals[flow] == nil && existing.contains(flow) { totals[flow] = counts[flow] }
        counts = totals
        reported = reported.filter { existing.contains($0.key) }
        // A deleted tap flow's series leave /metrics.
        for (flow, c) in counters where !existing.contains(flow) {
            c.packets.destroy()
            c.bytes.destroy()
            counters[flow] = nil
        }
        reads += 1
    }

    private var counters: [ResourceID: (packets: Counter, bytes: Counter)] = [:]

    private func metricCounters(_ flow: ResourceID) -> (packets: Counter, bytes: Counter) {
        if let known = counters[flow] { return known }
        let dims = [("tap_flow", flow.rawValue)]
        let made = (Counter(label: "taas_tap_flow_packets_total", dimensions: dims), Counter(label: "taas_tap_flow_bytes_total", dimensions: dims))
        counters[flow] = made
        return made
    }
}
