import Foundation
import TaaSTestSupport
import TaaSWire
import Testing

/// The headers of a captured frame (hex) that traffic filters look at.
struct FrameHeaders {
    var ethertype = ""
    var proto: Int?
    var source = "", destination = ""
    var sourcePort: Int?, destinationPort: Int?

    init(_ hex: String) {
        let b = Array(hex.utf8)
        func byte(_ i: Int) -> Int? {
            guard 2 * i + 2 <= b.count, let v = Int(String(decoding: b[(2 * i)..<(2 * i + 2)], as: UTF8.self), radix: 16) else { return nil }
            return v
        }
        func hexBytes(_ from: Int, _ count: Int) -> String { String(decoding: b[min(b.count, 2 * from)..<min(b.count, 2 * (from + count))], as: UTF8.self) }
        ethertype = hexBytes(12, 2)
        var l4: Int?
        if ethertype == "0800", let vihl = byte(14) {
            proto = byte(23)
            source = hexBytes(26, 4); destination = hexBytes(30, 4)
            // Only first (or whole) datagrams carry ports.
            if let f1 = byte(20), let f2 = byte(21), (f1 & 0x1f) == 0 && f2 == 0 { l4 = 14 + (vihl & 0xf) * 4 }
        } else if ethertype == "86dd" {
            proto = byte(20)
            source = hexBytes(22, 16); destination = hexBytes(38, 16)
            l4 = 54
        }
        if let l4, let p = proto, [6, 17, 132].contains(p), let a = byte(l4), let b1 = byte(l4 + 1), let c = byte(l4 + 2), let d = byte(l4 + 3) {
            sourcePort = a << 8 | b1
            destinationPort = c << 8 | d
        }
    }
}

/// Traffic filters on real Open vSwitch, frame for frame with tcpdump: a tap flow copies exactly
/// the frames its filter matches, overlapping filters give one copy, OUT copies with a filter and
/// IN copies without one do not repeat each other across nodes, IPv6 too; with `vlan_filter`,
/// `ofproto/trace` shows the path (the kernel here cannot send tagged frames).
@Suite(.serialized, .offCooperativePool) final class FilterLabTests: @unchecked Sendable {
    /// The scenario lab and its helpers (bring-up, captures), one per test.
    let runner: LabTests
    var lab: Lab { runner.lab }

    init() async throws { runner = try await LabTests() }

    /// TCP connection attempts (each a SYN answered by a reset: nothing listens).
    func connect(_ from: String, _ to: String, _ port: Int) throws {
        try lab.inVM(from, "bash", ["-c", "(echo x > /dev/tcp/\(to)/\(port)) 2>/dev/null; true"])
    }

    /// The usual traffic, TCP to two ports in both directions and across nodes, UDP to vm-e.
    func traffic() async throws {
        try await runner.runTraffic()
        try await Command.offPool { [self] in
            try connect("vm-a", "10.0.0.2", 5001)
            try connect("vm-a", "10.0.0.2", 5002)
            try connect("vm-b", "10.0.0.1", 5001)
            try connect("vm-a", "10.0.0.5", 5001)
            try lab.inVM("vm-a", "bash", ["-c", "echo to-e > /dev/udp/10.0.0.5/7777"])
            Thread.sleep(forTimeInterval: 0.3)
        }
    }

    @Test func filtersCopyExactlyTheMatchingFramesOnce() async throws {
        let taasd = try await runner.bringUp()
        defer { taasd.stop() }

        // One filter, BOTH: TCP to port 5001, whichever way it goes.
        let local = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"]))
        let f1 = try await taasd.create(TapFlowCreate(tapServiceID: local, sourcePort: "vm-a", direction: "BOTH",
                                                      traffic: TrafficFilterFields(protocol: "tcp", destinationPortRangeMin: 5001, destinationPortRangeMax: 5001)))
        try await taasd.waitFor("tap_flows", "tap_flow", f1, "ACTIVE")
        var frames = try await runner.capture(["vm-a", "vm-s"]) { try await traffic() }
        let seen = frames["vm-a"] ?? []
        let tcp5001 = seen.filter { let h = FrameHeaders($0); return h.proto == 6 && h.destinationPort == 5001 }
        #expect(tcp5001.count >= 3 && seen.count > tcp5001.count + 10, "vm-a saw \(seen.count) frames, \(tcp5001.count) to TCP 5001")
        #expect(multiset(frames["vm-s"] ?? []) == multiset(tcp5001), "\(captureDiff(frames["vm-s"] ?? [], tcp5001))")

        // An overlapping filter into the same service (OUT, TCP to vm-b): a frame both match is
        // copied once.
        let f2 = try await taasd.create(TapFlowCreate(tapServiceID: local, sourcePort: "vm-a", direction: "OUT",
                                                      traffic: TrafficFilterFields(protocol: "tcp", destinationIPPrefix: "10.0.0.2/32")))
        try await taasd.waitFor("tap_flows", "tap_flow", f2, "ACTIVE")
        frames = try await runner.capture(["vm-a", "vm-s"]) { try await traffic() }
        let mac = lab.vms["vm-a"]?.mac.replacingOccurrences(of: ":", with: "") ?? ""
        let either = (frames["vm-a"] ?? []).filter { f in
            let h = FrameHeaders(f)
            let sent = f.dropFirst(12).prefix(12) == Substring(mac)
            return h.proto == 6 && (h.destinationPort == 5001 || (sent && h.destination == "0a000002"))
        }
        #expect(either.contains { FrameHeaders($0).destinationPort == 5002 }, "the SYN to vm-b's port 5002 is in the second filter only")
        #expect(multiset(frames["vm-s"] ?? []) == multiset(either), "\(captureDiff(frames["vm-s"] ?? [], either))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(local)")

        // A filtered OUT tap flow toward another node, and an unfiltered IN one there: vm-a's UDP
        // to vm-e is copied once (by the OUT side), the rest vm-e receives once (by the IN side).
        let remote = try await taasd.create(TapServiceCreate(portIDs: ["vm-s2"]))
        let out = try await taasd.create(TapFlowCreate(tapServiceID: remote, sourcePort: "vm-a", direction: "OUT",
                                                       traffic: TrafficFilterFields(protocol: "udp")))
        let into = try await taasd.create(TapFlowCreate(tapServiceID: remote, sourcePort: "vm-e", direction: "IN"))
        for f in [out, into] { try await taasd.waitFor("tap_flows", "tap_flow", f, "ACTIVE") }
        frames = try await runner.capture(["vm-a", "vm-e", "vm-s2"]) { try await traffic() }
        let received = runner.direction(frames["vm-e"] ?? [], of: "vm-e", sent: false)
        let udpSent = runner.direction(frames["vm-a"] ?? [], of: "vm-a", sent: true).filter { FrameHeaders($0).proto == 17 }
        var expected = multiset(received)
        for (f, n) in multiset(udpSent) { expected[f] = max(expected[f] ?? 0, n) }
        #expect(udpSent.contains { FrameHeaders($0).destination == "0a000005" } && received.contains { FrameHeaders($0).proto == 1 },
                "UDP from vm-a to vm-e and ICMP to vm-e were seen")
        let got = frames["vm-s2"] ?? []
        #expect(multiset(got) == expected, "\(captureDiff(got, expected.flatMap { Array(repeating: $0.key, count: $0.value) }))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(remote)")
    }

    @Test func ipv6FiltersAndFiltersWithVLANFilters() async throws {
        // IPv6 between vm-a and vm-b (the lab turns it off; on here, without duplicate address
        // detection or router solicitations, so it is quiet).
        try await Command.offPool { [self] in
            for (vm, address) in [("vm-a", "fd00::1"), ("vm-b", "fd00::2")] {
                try lab.inVM(vm, "sysctl", ["-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.eth0.disable_ipv6=0",
                                            "net.ipv6.conf.eth0.router_solicitations=0"])
                try lab.inVM(vm, "ip", ["-6", "addr", "add", "\(address)/64", "dev", "eth0", "nodad"])
            }
            Thread.sleep(forTimeInterval: 2)
        }
        let taasd = try await runner.bringUp()
        defer { taasd.stop() }
        let service = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"]))
        // vm-b's IPv6, both ways; and vm-a's UDP to port 9 (the capture window's marks), so that
        // vm-s's capture has the marks too.
        let v6 = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-b", direction: "BOTH",
                                                      traffic: TrafficFilterFields(ethertype: "IPv6")))
        let marks = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-a", direction: "OUT",
                                                         traffic: TrafficFilterFields(protocol: "udp", destinationPortRangeMin: 9, destinationPortRangeMax: 9)))
        for f in [v6, marks] { try await taasd.waitFor("tap_flows", "tap_flow", f, "ACTIVE") }
        let frames = try await runner.capture(["vm-b", "vm-s"]) {
            try await runner.runTraffic()
            try await Command.offPool { [self] in
                _ = try lab.inVM("vm-a", "ping", ["-6", "-c", "3", "-i", "0.2", "-W", "2", "fd00::2"])
                try lab.inVM("vm-b", "bash", ["-c", "echo v6 > /dev/udp/fd00::1/7777"])
                Thread.sleep(forTimeInterval: 0.3)
            }
        }
        let atB = frames["vm-b"] ?? []
        let ipv6 = atB.filter { FrameHeaders($0).ethertype == "86dd" }
        #expect(ipv6.count >= 7 && atB.count > ipv6.count + 5, "vm-b saw \(atB.count) frames, \(ipv6.count) IPv6")
        #expect(multiset(frames["vm-s"] ?? []) == multiset(ipv6), "\(captureDiff(frames["vm-s"] ?? [], ipv6))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(service)")

        // A filter with a vlan_filter: the golden flows, and the path of tagged frames.
        let tagged = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"]))
        let both = try await taasd.create(TapFlowCreate(tapServiceID: tagged, sourcePort: "vm-t", direction: "BOTH", vlanFilter: "10",
                                                        traffic: TrafficFilterFields(protocol: "udp", sourceIPPrefix: "2001:db8::/32")))
        try await taasd.waitFor("tap_flows", "tap_flow", both, "ACTIVE")
        try runner.expectFlows("filter-vlan", [1])
        let frame = "in_port=5,dl_src=02:00:00:00:01:05,dl_dst=02:00:00:00:01:02"
        for (fields, copied) in [("dl_vlan=10,udp6,ipv6_src=2001:db8::7", true), ("dl_vlan=11,udp6,ipv6_src=2001:db8::7", false),
                                 ("dl_vlan=10,udp6,ipv6_src=2001:db9::7", false), ("dl_vlan=10,tcp6,ipv6_src=2001:db8::7", false),
                                 ("udp6,ipv6_src=2001:db8::7", false)] {
            let trace = try lab.nodes[0].appctl(["ofproto/trace", "br-int", "\(frame),\(fields)"])
            #expect(trace.contains("output:9") == copied, "\(fields): \(trace)")
        }
    }
}
