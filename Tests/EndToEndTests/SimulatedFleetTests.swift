import Foundation
import NIOPosix
import SwitchSimulator
import TaaSTestSupport
import TaaSWire
import Testing
import Topology

/// The taasd executable programming a fleet of simulated switches (declared topology, one VM
/// port per node on a VLAN of its own): a change that touches every bridge reaches every one,
/// and a restart sends nothing to bridges that already hold their program.
@Suite(.offCooperativePool) struct SimulatedFleetTests {
    static let nodes = 40

    static func topologyYAML() -> String {
        var lines = ["nodes:"]
        for i in 1...nodes { lines.append(#"  - {id: n\#(i), datapath_id: "\#(String(i, radix: 16))", encap_ip: 10.0.0.\#(i)}"#) }
        lines.append("ports:")
        lines.append(#"  - {id: tap, node: n1, name: tap, mac: "02:ff:00:00:00:01"}"#)
        for i in 1...nodes {
            lines.append(#"  - {id: n\#(i)-vm1, node: n\#(i), name: vm1, mac: "02:00:00:00:00:\#(String(format: "%02x", i))", vlan: \#(i)}"#)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func aChangeReachesEveryBridgeAndARestartSendsNothing() async throws {
        let dir = "/tmp/taas-fleet-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let yaml = Self.topologyYAML()
        try yaml.write(toFile: "\(dir)/topology.yaml", atomically: true, encoding: .utf8)
        let ofPort = TestPorts.block(2), apiPort = ofPort + 1
        // Each run keeps its own Daemon to the end of the test: releasing a Process whose child
        // has just exited can leave it unreaped, and Foundation's later waits then hang.
        func start(_ run: Int) throws -> Daemon {
            try Daemon(BuiltProducts.path("taasd"), ["--db", "\(dir)/taasd.sqlite", "--api", "127.0.0.1:\(apiPort)",
                                                     "--openflow", "ptcp:\(ofPort):127.0.0.1", "--topology", "\(dir)/topology.yaml"],
                       logPath: "\(dir)/taasd-\(run).log")
        }
        let first = try start(1)
        defer { first.stop() }
        var d = first
        let base = "http://127.0.0.1:\(apiPort)"
        func curl(_ args: String...) async throws -> String {
            try await Command.runOffPool(try Command.tool("curl"), ["-s", "--retry", "50", "--retry-connrefused", "--retry-delay", "0",
                                                                   "--max-time", "30", "-H", "Content-Type: application/json"] + args).stdout
        }
        func json(_ text: String) -> JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null }
        func statuses() async throws -> [String] {
            (APICurl.decode(Many<TapFlowInfo, TapFlowInfo>.self, json(try await curl("\(base)/v2.0/taas/tap_flows")))?.values ?? []).map(\.status)
        }
        func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
            for _ in 0..<600 {
                if try await condition() { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("\(what) did not happen within 30 s\n\(d.log)")
            throw CancellationError()
        }
        _ = try await curl("\(base)/healthz")

        let fleet = SimulatedFleet(topology: try StaticTopology(yaml: yaml))
        let switches = try await fleet.connect(host: "127.0.0.1", port: ofPort, parallel: 20, group: MultiThreadedEventLoopGroup.singleton)
        defer { for s in switches { s.channelForTests.close(promise: nil) } }
        try await waitUntil("all handshakes") { switches.allSatisfy { $0.currentStats.handshakeDone } }

        let service = json(try await curl("-d", #"{"tap_service": {"port_id": "tap"}}"#, "\(base)/v2.0/taas/tap_services"))
        let sid = try #require(service["tap_service"]?["id"]?.string, "\(service)")
        try await waitUntil("the tap service ACTIVE") {
            let shown = json(try await curl("\(base)/v2.0/taas/tap_services/\(sid)"))
            return shown["tap_service"]?["status"] == "ACTIVE"
        }
        try await waitUntil("every bridge holds the base pipeline") { switches.allSatisfy { $0.currentStats.flows > 0 } }
        let before = switches.map(\.currentStats)
        let flows = (1...Self.nodes).map { #"{"tap_service_id": "\#(sid)", "source_port": "n\#($0)-vm1", "direction": "BOTH"}"# }
        _ = try await curl("-d", #"{"tap_flows": [\#(flows.joined(separator: ","))]}"#, "\(base)/v2.0/taas/tap_flows")
        try await waitUntil("every tap flow ACTIVE") { try await statuses() == Array(repeating: "ACTIVE", count: Self.nodes) }
        // Every bridge got more flows, and a group to the service's node where it is remote.
        for (s, b) in zip(switches, before) {
            let now = s.currentStats
            #expect(now.flows > b.flows, "switch \(s.datapathID): \(b.flows) → \(now.flows) flows")
            #expect(now.groups == (s.datapathID == 1 ? 0 : 1), "switch \(s.datapathID): \(now.groups) groups")
        }

        // A restart reads every bridge back and finds nothing to change. The simulator does
        // not reconnect by itself: the same switches connect again, holding what they held.
        first.stop()
        try await waitUntil("the first taasd exited") { !first.process.isRunning }
        var held: [UInt64: SimulatedTables] = [:]
        for s in switches { held[s.datapathID] = try await s.tables() }
        for s in switches { await s.close() }
        let second = try start(2)
        defer { second.stop() }
        d = second
        _ = try await curl("\(base)/healthz")
        let again = try await fleet.connect(host: "127.0.0.1", port: ofPort, parallel: 20, tables: held, group: MultiThreadedEventLoopGroup.singleton)
        defer { for s in again { s.channelForTests.close(promise: nil) } }
        try await waitUntil("every tap flow ACTIVE after the restart") {
            guard again.allSatisfy({ $0.currentStats.handshakeDone }) else { return false }
            return try await statuses() == Array(repeating: "ACTIVE", count: Self.nodes)
        }
        #expect(again.map(\.currentStats.tableChanges) == Array(repeating: 0, count: Self.nodes), "nothing changed on any bridge")
        #expect(again.map(\.currentStats.flowMods) == Array(repeating: 0, count: Self.nodes), "no FLOW_MOD sent")

        // Deleting the service (and with it every tap flow) reaches every bridge.
        let active = again.map(\.currentStats.flows)
        _ = try await curl("-X", "DELETE", "\(base)/v2.0/taas/tap_services/\(sid)")
        try await waitUntil("every bridge lost its tap flow's flows") {
            zip(again, active).allSatisfy { s, n in s.currentStats.flows < n && s.currentStats.groups == 0 }
        }
        // The others hold the same base pipeline again.
        let baseCounts = Set(again.filter { $0.datapathID != 1 }.map(\.currentStats.flows))
        #expect(baseCounts.count == 1, "flows per bridge after the delete: \(again.map(\.currentStats.flows))")
    }
}
