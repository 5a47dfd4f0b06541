import OpenFlow
import OpenFlowText
import Pipeline
import TaaSPolicy
import Testing

/// Counter attribution on the scenarios' real programs: the switch's answer to a per-destination
/// read (its out_port/out_group filter) is played from the compiled flows, each flow given its
/// own packet count, and the tap flows' totals must be the counts of exactly their copy flows.
@Suite struct TapFlowCountersTests {
    /// What a switch answers to a flow-stats request for `delivery`: the flows whose actions
    /// output to it, each with `count(flow)` packets (bytes 100 per packet).
    static func read(_ program: BridgeProgram, _ delivery: TapFlowCounters.Delivery, count: (FlowEntry) -> UInt64) -> [FlowStats] {
        program.flows.values.filter { f in
            f.instructions.contains { i in
                guard case .applyActions(let actions) = i else { return false }
                return actions.contains { a in
                    switch (a, delivery) {
                    case (.output(let p, _), .port(let q)): p.rawValue == q
                    case (.group(let g), .group(let h)): g == h
                    default: false
                    }
                }
            }
        }.map { f in stat(f, count(f)) }
    }

    static func stat(_ f: FlowEntry, _ n: UInt64) -> FlowStats {
        FlowStats(tableID: f.tableID, priority: f.priority, cookie: f.cookie, packetCount: n, byteCount: n * 100,
                  match: f.match, instructions: f.instructions)
    }

    static func stats(_ flows: [FlowEntry], count: (FlowEntry) -> UInt64) -> [FlowStats] { flows.map { stat($0, count($0)) } }

    static func totals(_ scenario: String, node: String, count: (FlowEntry) -> UInt64) throws -> [ResourceID: CopyCounts] {
        let s = try #require(Scenarios.all.first { $0.name == scenario })
        let compiler = Compiler(services: s.services, flows: s.flows, mirrors: s.mirrors,
                                topology: Scenarios.topology(servicePorts: Set(s.services.map(\.portID))))
        let program = compiler.program(node: node)
        let entries = compiler.engine.counterEntries(node: node)
        var counts = [CopyCounts](repeating: CopyCounts(), count: entries.count)
        for delivery in Set(entries.map(\.delivery)) {
            var sums = TapFlowCounters.Sums()
            let at = entries.indices.filter { entries[$0].delivery == delivery }
            if delivery.switchSelects {
                sums.add(read(program, delivery, count: count))
            } else {
                // As taasd reads truncated copies: each source's flows by cookie, picked by their actions.
                for cookie in Set(at.map { entries[$0].cookie }) {
                    sums.add(stats(program.flows.values.filter { $0.cookie == cookie }, count: count), delivering: delivery)
                }
            }
            sums.attribute(entries, at: at, into: &counts)
        }
        // One entry per tap flow.
        return Dictionary(uniqueKeysWithValues: zip(entries.map(\.tapFlow), counts))
    }

    /// Table 1 flows count 3, table 3 priority 50 count 5, every other flow 1000 (never attributed).
    static func count(_ f: FlowEntry) -> UInt64 {
        switch (f.tableID, f.priority) {
        case (1, 100): 3
        case (3, 50): 5
        default: 1000
        }
    }

    @Test func bothDirectionsAddTheirCopyFlows() throws {
        let t = try Self.totals("local-both", node: "node1", count: Self.count)
        #expect(t == [Scenarios.id(11): CopyCounts(packets: 8, bytes: 800)])
    }

    @Test func eachDirectionCountsOnlyItsOwnFlows() throws {
        let t = try Self.totals("two-flows-one-service", node: "node1", count: Self.count)
        #expect(t == [Scenarios.id(11): CopyCounts(packets: 3, bytes: 300), Scenarios.id(12): CopyCounts(packets: 5, bytes: 500)])
    }

    @Test func aFlowSharedByTwoServicesCountsForBoth() throws {
        // vm-a → vm-s (local port) and → vm-s2 (group): one table 1 flow and one table 3 flow
        // make both copies, so each tap flow got all of them.
        let t = try Self.totals("one-source-two-services", node: "node1", count: Self.count)
        #expect(t == [Scenarios.id(11): CopyCounts(packets: 8, bytes: 800), Scenarios.id(12): CopyCounts(packets: 8, bytes: 800)])
    }

    @Test func aRemoteServiceIsCountedWhereTheSourceIs() throws {
        let sending = try Self.totals("remote-service", node: "node1", count: Self.count)
        #expect(sending == [Scenarios.id(11): CopyCounts(packets: 8, bytes: 800)])
        // The service's node has no source of it: nothing to count there.
        #expect(try Self.totals("remote-service", node: "node2", count: Self.count).isEmpty)
    }

    @Test func truncatedCopiesAreCountedLocallyAndThroughTheClone() throws {
        // vm-a → vm-s (output(max_len) to port 9) and → vm-s2 (a clone toward key 0xf00001): the
        // switch cannot select either, so the source's flows are read by cookie and picked here.
        let t = try Self.totals("snaplen", node: "node1", count: Self.count)
        #expect(t == [Scenarios.id(11): CopyCounts(packets: 8, bytes: 800), Scenarios.id(12): CopyCounts(packets: 8, bytes: 800)])
        #expect(TapFlowCounters.Delivery(.outputTruncated(port: 9, maxLength: 128)) == .cutPort(9))
        #expect(!TapFlowCounters.Delivery.cutPort(9).switchSelects && TapFlowCounters.Delivery.port(9).switchSelects)
        #expect(!TapFlowCounters.Delivery.cutTunnel(key: 0xf00001).isMade(by: [.applyActions([.outputTruncated(port: 9, maxLength: 128)])]))
    }

    @Test func rateLimitedAndFilteredCopiesAreCounted() throws {
        // Through a meter: the source's flows that offer copies to it, read by cookie.
        let metered = try Self.totals("rate-limit", node: "node1", count: Self.count)
        #expect(metered == [Scenarios.id(11): CopyCounts(packets: 8, bytes: 800), Scenarios.id(12): CopyCounts(packets: 8, bytes: 800)])
        // Under a filter: table 5's flows of the source (OUT at priority 100, IN at 90).
        let filtered = try Self.totals("filter", node: "node1", count: Self.count)
        #expect(filtered[Scenarios.id(11)].map { $0.packets > 0 } == true, "\(filtered)")
    }

    @Test func aTapFlowWithNothingCountedIsStillReported() throws {
        let t = try Self.totals("in-only", node: "node1") { _ in 0 }
        #expect(t == [Scenarios.id(11): CopyCounts()])
    }
}
