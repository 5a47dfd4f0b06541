import Foundation
import OpenFlowText
import TaaSTestSupport
import TaaSWire
import Testing

/// Rate limits on real Open vSwitch: iperf3 at up to 200 Mbit/s from a tapped port, copies to a
/// service on the same node and to one on another node, each through its own meter on the sending
/// node. The taps receive no more than rate × time + burst (10 % slack), and the original stream
/// runs at many times the limits (it is never policed). The limits are low (5 and 2.5 Mbit/s) so
/// that the original stands far above them even on a busy machine (45 Mbit/s in one CI run).
@Suite(.serialized, .offCooperativePool) final class RateLimitLabTests: @unchecked Sendable {
    /// The scenario lab and its helpers (bring-up, captures), one per test.
    let runner: LabTests
    var lab: Lab { runner.lab }

    init() async throws { runner = try await LabTests() }

    func rxBytes(_ vm: String) throws -> Int {
        Int(try lab.inVM(vm, "cat", ["/sys/class/net/eth0/statistics/rx_bytes"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func copiesArePolicedWhereTheyAreMadeAndTheOriginalIsNot() async throws {
        let taasd = try await runner.bringUp()
        defer { taasd.stop() }
        let local = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"], rateLimit: RateLimitFields(maxKbps: 5000, maxBurstKbps: 500)))
        let remote = try await taasd.create(TapServiceCreate(portIDs: ["vm-s2"], rateLimit: RateLimitFields(maxKbps: 2500)))
        for service in [local, remote] {
            let f = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-a", direction: "BOTH"))
            try await taasd.waitFor("tap_flows", "tap_flow", f, "ACTIVE")
        }
        // Both meters sit on vm-a's node, as taasd made them; none on node2.
        let meters = try lab.nodes[0].ofctl("dump-meters")
        #expect(meters.contains("kbps burst stats") && meters.contains("rate=5000 burst_size=500") && meters.contains("rate=2500 burst_size=2000"),
                "\(meters)")
        #expect(!(try lab.nodes[1].ofctl("dump-meters")).contains("rate="), "no meter on the receiving node")

        let (bps, elapsed, local0, local1, remote0, remote1) = try await Command.offPool { [self] in
            let pidfile = "\(lab.dir)/iperf-rate.pid"
            // A daemon: started the way the lab starts Open vSwitch's (a pipe would stay open).
            let namespace = try #require(lab.vms["vm-b"]?.namespace)
            try Command.startDaemon("ip", ["netns", "exec", namespace, try Command.tool("iperf3"), "-s", "-D", "-1", "--pidfile", pidfile])
            // It exits after one client; if the client never came, it goes by its pid.
            defer {
                if let text = try? String(contentsOfFile: pidfile, encoding: .utf8),
                   let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 { kill(pid, SIGKILL) }
            }
            Thread.sleep(forTimeInterval: 0.5)
            let l0 = try rxBytes("vm-s"), r0 = try rxBytes("vm-s2")
            let start = Date()
            // 200 Mbit/s, far above the limits, not flat out: other suites run beside this one.
            let report = try lab.inVM("vm-a", "iperf3", ["-c", "10.0.0.2", "-t", "3", "-b", "200M", "-J"])
            let seconds = Date().timeIntervalSince(start)
            Thread.sleep(forTimeInterval: 0.3)
            let l1 = try rxBytes("vm-s"), r1 = try rxBytes("vm-s2")
            let json = try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any]
            let bits = ((json?["end"] as? [String: Any])?["sum_received"] as? [String: Any])?["bits_per_second"] as? Double ?? 0
            return (bits, seconds + 0.3, l0, l1, r0, r1)
        }
        print("rate limits: original \(Int(bps / 1e6)) Mbit/s; vm-s \(Int(Double(local1 - local0) * 8 / elapsed / 1000)) kbit/s (limit 5,000), "
              + "vm-s2 \(Int(Double(remote1 - remote0) * 8 / elapsed / 1000)) kbit/s (limit 2,500) over \(String(format: "%.1f", elapsed)) s")
        // The meter counts whole frames; rx_bytes counts them the same way (no FCS).
        for (name, kbps, burst, got) in [("vm-s", 5000.0, 500.0, local1 - local0), ("vm-s2", 2500.0, 2500.0, remote1 - remote0)] {
            let ceiling = (kbps * 1000 * elapsed + burst * 1000) / 8 * 1.10
            let floor = kbps * 1000 * (elapsed - 1.5) / 8 * 0.5
            #expect(Double(got) <= ceiling, "\(name) received \(got) bytes in \(elapsed) s, above \(Int(ceiling))")
            #expect(Double(got) >= floor, "\(name) received \(got) bytes: the meter let too little through")
        }
        // Policed, it could not pass 5.5 Mbit/s; it runs as fast as the machine lets it.
        #expect(bps > 25_000_000, "the original stream ran at \(Int(bps / 1e6)) Mbit/s, not far above the limits")

        // Read back as taasd wrote them: a restarted taasd finds nothing to change, meters included.
        let before = try lab.nodes[0].ofctl("dump-meters")
        try await taasd.restart(generation: 2)
        try await taasd.daemon.waitForLine(containing: ["bridge already holds its program", "node1"], seconds: 30)
        #expect(!taasd.daemon.log.contains("bridge programmed"), "\(taasd.daemon.log.suffix(3000))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(remote)")
        for _ in 0..<100 where try lab.nodes[0].ofctl("dump-meters").contains("rate=2500") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!(try lab.nodes[0].ofctl("dump-meters")).contains("rate=2500"), "the remote service's meter went with it")
        let after = try lab.nodes[0].ofctl("dump-meters")
        #expect(before.contains("rate=5000") && after.contains("rate=5000"))
        let (code, shown) = try await taasd.update(TapServiceInfo.self, local, ResourceUpdate(maxKbps: .some(nil), maxBurstKbps: .some(nil)))
        #expect(code == 200 && shown?.rateLimit == RateLimitFields(), "\(code)")
        for _ in 0..<100 where try lab.nodes[0].ofctl("dump-meters").contains("rate=") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!(try lab.nodes[0].ofctl("dump-meters")).contains("rate="), "no limit, no meter")
        #expect(!(try lab.nodes[0].ofctl("dump-flows", ["table=1"])).contains("reg4"), "copies go straight out again")
    }
}
