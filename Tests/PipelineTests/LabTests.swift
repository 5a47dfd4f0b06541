import Foundation
import OpenFlowText
import TaaSTestSupport
import Testing

/// The pipeline on a three-node lab of real Open vSwitch, with real traffic and tcpdump.
@Suite(.serialized) final class LabTests {
    let lab: Lab

    init() throws { lab = try ScenarioLab.build() }
    deinit { lab.stop() }

    /// Every VM speaks once, so the bridges have learned every MAC (no unknown-unicast floods).
    func warmUp() throws {
        for vm in ["vm-b", "vm-t", "vm-e", "vm-f", "vm-g"] { try lab.inVM(vm, "ping", ["-c", "1", "-W", "2", "10.0.0.1"]) }
        try lab.inVM("vm-c", "ping", ["-c", "1", "-W", "2", "10.0.10.4"])
        for vm in ["vm-s", "vm-s2", "vm-s3"] { _ = try? lab.inVM(vm, "ping", ["-c", "1", "-W", "1", "10.0.0.1"]) }
    }

    /// Traffic to and from vm-a and around it: unicast (ICMP, UDP, full-size), ARP broadcast,
    /// multicast, on the same node and across nodes. Pings must all be answered (transparency).
    func traffic() throws {
        for vm in ["vm-a", "vm-b", "vm-e"] { try lab.inVM(vm, "ip", ["neigh", "flush", "all"]) }
        let ping = try lab.inVM("vm-a", "ping", ["-c", "3", "-i", "0.2", "-W", "2", "10.0.0.2"])
        #expect(ping.contains(" 0% packet loss"), "\(ping)")
        let big = try lab.inVM("vm-a", "ping", ["-c", "2", "-i", "0.2", "-W", "2", "-s", "1472", "-M", "do", "10.0.0.5"])
        #expect(big.contains(" 0% packet loss"), "\(big)")
        let remote = try lab.inVM("vm-e", "ping", ["-c", "2", "-i", "0.2", "-W", "2", "10.0.0.1"])
        #expect(remote.contains(" 0% packet loss"), "\(remote)")
        try lab.inVM("vm-b", "bash", ["-c", "echo unicast > /dev/udp/10.0.0.5/9999"])
        try lab.inVM("vm-a", "bash", ["-c", "echo from-a > /dev/udp/10.0.0.2/9999"])
        try lab.inVM("vm-f", "bash", ["-c", "echo multicast > /dev/udp/239.1.1.1/9999"])
        try lab.inVM("vm-a", "bash", ["-c", "echo multicast-a > /dev/udp/239.1.1.1/9999"])
        Thread.sleep(forTimeInterval: 0.5)
    }

    /// Captures on the given VMs around `body`. Captures start and stop one after the other, so
    /// vm-a marks the window they share with a UDP datagram to vm-b before and after (both are
    /// OUT frames of vm-a, copied like the rest); each capture keeps what lies between.
    func capture(_ vms: [String], _ body: () throws -> Void) async throws -> [String: [String]] {
        var captures: [String: Capture] = [:]
        for vm in vms { captures[vm] = try await Capture(lab, vm) }
        try lab.inVM("vm-a", "bash", ["-c", "echo MARK-START > /dev/udp/10.0.0.2/9"])
        try body()
        try lab.inVM("vm-a", "bash", ["-c", "echo MARK-END > /dev/udp/10.0.0.2/9"])
        try await Task.sleep(for: .milliseconds(300))
        var out: [String: [String]] = [:]
        for (vm, c) in captures { out[vm] = Self.window(try c.stop()) }
        return out
    }

    static let startMark = Array("MARK-START".utf8).map { String(format: "%02x", $0) }.joined()
    static let endMark = Array("MARK-END".utf8).map { String(format: "%02x", $0) }.joined()

    /// The frames strictly between the marks (all of them when a capture saw no marks).
    static func window(_ frames: [String]) -> [String] {
        guard let start = frames.firstIndex(where: { $0.contains(startMark) }),
              let end = frames.lastIndex(where: { $0.contains(endMark) }), start < end else { return frames }
        return Array(frames[(start + 1)..<end])
    }

    /// Unicast frames a VM received that were not addressed to it: copies leaking.
    func foreignUnicast(_ frames: [String], _ vm: String) -> [String] {
        guard let mac = lab.vms[vm]?.mac.replacingOccurrences(of: ":", with: "") else { return [] }
        return frames.filter { f in
            let dst = destinationMAC(f)
            let multicast = (UInt8(dst.prefix(2), radix: 16) ?? 0) & 1 == 1
            let sent = f.dropFirst(12).prefix(12) == Substring(mac)
            return !multicast && dst != mac && !sent
        }
    }

    @Test func mirroringIsFaithfulTransparentContainedHitlessAndAtomic() async throws {
        let taasd = try await LabController(lab)
        defer { taasd.stop() }
        try lab.connect()
        // Tunnel ports as flows/ numbers them.
        for (i, n) in lab.nodes.enumerated() {
            for _ in 0..<100 where (try? n.vsctl(["get", "interface", "taas-tun", "ofport"])) == nil { try await Task.sleep(for: .milliseconds(50)) }
            try n.vsctl(["set", "interface", "taas-tun", "ofport_request=100"])
            _ = i
        }
        // Each bridge gets the base pipeline (with the tunnel port as 100) before any traffic.
        for n in lab.nodes {
            for _ in 0..<200 {
                if (try? n.ofctl("dump-flows", ["table=0"]))?.contains("in_port=100 actions=drop") == true { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try n.ofctl("dump-flows", ["table=0"]).contains("in_port=100 actions=drop"), "\(taasd.daemon.log.suffix(3000))")
        }
        try warmUp()

        // Local BOTH: what vm-s receives is exactly what vm-a sent and was delivered, each once.
        let service = try await taasd.create("tap_services", "tap_service", ["name": "s", "port_id": "vm-s"])
        let flow = try await taasd.create("tap_flows", "tap_flow", ["name": "a", "source_port": "vm-a", "tap_service_id": service,
                                                                     "direction": "BOTH"])
        try await taasd.waitFor("tap_flows", "tap_flow", flow, "ACTIVE")
        try await taasd.waitFor("tap_services", "tap_service", service, "ACTIVE")
        let localFlows = try lab.ourFlows(1), localGolden = try goldenFlows("local-both", "node1")
        #expect(localFlows == localGolden, "\(flowDiff(localFlows, localGolden))")
        var frames = try await capture(["vm-a", "vm-s", "vm-b", "vm-c", "vm-g"]) { try traffic() }
        let seen = frames["vm-a"] ?? [], copied = frames["vm-s"] ?? []
        #expect(seen.count > 15, "vm-a saw \(seen.count) frames")
        #expect(multiset(copied) == multiset(seen), "\(captureDiff(copied, seen))")
        for vm in ["vm-b", "vm-c", "vm-g"] { #expect(foreignUnicast(frames[vm] ?? [], vm).isEmpty, "\(vm) saw copies") }

        // The trace of one packet shows the path: copy to port 9, then NORMAL.
        let trace = try lab.nodes[0].appctl(["ofproto/trace", "br-int", "in_port=1,dl_src=02:00:00:00:01:01,dl_dst=02:00:00:00:01:02"])
        #expect(trace.contains("output:9") && trace.contains("NORMAL"), "\(trace)")

        // Hitless: a restarted taasd sends nothing, and the counters keep counting.
        let before = try lab.nodes[0].ofctl("dump-flows", ["table=1,in_port=1"])
        try await taasd.restart(generation: 2)
        try await taasd.daemon.waitForLine(containing: ["bridge already holds its program", "node1"], seconds: 30)
        try await taasd.waitFor("tap_flows", "tap_flow", flow, "ACTIVE")
        #expect(!taasd.daemon.log.contains("bridge programmed"), "\(taasd.daemon.log)")
        let after = try lab.nodes[0].ofctl("dump-flows", ["table=1,in_port=1"])
        #expect(Self.packets(after) >= Self.packets(before) && Self.packets(before) > 0, "\(before)\n\(after)")

        // Mirroring goes on while taasd is down (fail_mode=secure keeps the flows).
        taasd.stop()
        frames = try await capture(["vm-a", "vm-s"]) {
            try lab.inVM("vm-a", "ping", ["-c", "2", "-i", "0.2", "-W", "2", "10.0.0.2"])
        }
        #expect(!(frames["vm-s"] ?? []).isEmpty && multiset(frames["vm-s"] ?? []) == multiset(frames["vm-a"] ?? []))
        try await taasd.restart(generation: 3)
        try await taasd.waitFor("tap_flows", "tap_flow", flow, "ACTIVE")

        // Delete the tap flow: its copies stop, and only its flows went.
        try await taasd.api("DELETE", "/v2.0/taas/tap_flows/\(flow)")
        try await taasd.daemon.waitForLine(containing: ["bridge programmed", "node1", "flows_deleted"], seconds: 20)
        frames = try await capture(["vm-a", "vm-s"]) {
            try lab.inVM("vm-a", "ping", ["-c", "2", "-i", "0.2", "-W", "2", "10.0.0.2"])
        }
        #expect((frames["vm-s"] ?? []).isEmpty, "vm-s still got \(frames["vm-s"]?.count ?? 0) frames")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(service)")

        // A service on another node: copies cross the tunnel straight to it.
        let remoteService = try await taasd.create("tap_services", "tap_service", ["name": "s2", "port_id": "vm-s2"])
        let remoteFlow = try await taasd.create("tap_flows", "tap_flow", ["name": "a2", "source_port": "vm-a",
                                                                           "tap_service_id": remoteService, "direction": "BOTH"])
        try await taasd.waitFor("tap_flows", "tap_flow", remoteFlow, "ACTIVE")
        for (node, name) in [(1, "node1"), (2, "node2")] {
            let got = try lab.ourFlows(node), golden = try goldenFlows("remote-service", name)
            #expect(got == golden, "\(name): \(flowDiff(got, golden))")
        }
        #expect(try lab.ourGroups(1) == goldenGroups("remote-service", "node1"))
        frames = try await capture(["vm-a", "vm-s2", "vm-e", "vm-g"]) { try traffic() }
        #expect(multiset(frames["vm-s2"] ?? []) == multiset(frames["vm-a"] ?? []), "\(captureDiff(frames["vm-s2"] ?? [], frames["vm-a"] ?? []))")
        for vm in ["vm-e", "vm-g"] { #expect(foreignUnicast(frames[vm] ?? [], vm).isEmpty, "\(vm) saw copies") }

        // The source's node goes away: DOWN; it comes back: ACTIVE.
        try lab.nodes[0].vsctl(["del-controller", "br-int"])
        try await taasd.waitFor("tap_flows", "tap_flow", remoteFlow, "DOWN")
        try lab.connect()
        try await taasd.waitFor("tap_flows", "tap_flow", remoteFlow, "ACTIVE")
    }

    static func packets(_ dump: String) -> Int {
        dump.split(separator: ",").compactMap { p in p.trimmingCharacters(in: .whitespaces).hasPrefix("n_packets=") ? Int(p.split(separator: "=")[1]) : nil }.first ?? -1
    }
}
