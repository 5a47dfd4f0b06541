import Foundation
import OpenFlowText
import TaaSTestSupport
import TaaSWire
import Testing

/// The pipeline on a three-node lab of real Open vSwitch, with real traffic and tcpdump.
@Suite(.serialized, .offCooperativePool) final class LabTests: @unchecked Sendable {
    let lab: Lab

    /// Built off Swift's cooperative threads (it runs many programs), which other tests need.
    init() async throws { lab = try await Command.offPool { try ScenarioLab.build() } }
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

    /// `traffic()` without holding a cooperative thread.
    func runTraffic() async throws { try await Command.offPool { [self] in try traffic() } }

    /// Captures on the given VMs around `body`. Captures start and stop one after the other, so
    /// vm-a marks the window they share with a multicast UDP datagram before and after (every VM
    /// of the network receives them; they are copied like the rest); each capture keeps what
    /// lies between.
    func capture(_ vms: [String], extra: [Capture] = [], mark: (from: String, to: String) = ("vm-a", "239.9.9.9"),
                 _ body: () async throws -> Void) async throws -> [String: [String]] {
        var captures: [String: Capture] = [:]
        for vm in vms { captures[vm] = try await Capture(lab, vm) }
        for c in extra { captures[c.vm] = c }
        try lab.inVM(mark.from, "bash", ["-c", "echo MARK-START > /dev/udp/\(mark.to)/9"])
        try await body()
        try lab.inVM(mark.from, "bash", ["-c", "echo MARK-END > /dev/udp/\(mark.to)/9"])
        try await Task.sleep(for: .milliseconds(300))
        var out: [String: [String]] = [:]
        for (vm, c) in captures {
            let frames = Self.window(try c.stop())
            // A service VM's capture also shows what it sent itself (ARP replies, say); only what
            // it received counts as copies. (Its own frames are dropped at the bridge.)
            out[vm] = vm.hasPrefix("vm-s") ? direction(frames, of: vm, sent: false) : frames
        }
        return out
    }

    static let startMark = Array("MARK-START".utf8).map { String(format: "%02x", $0) }.joined()
    static let endMark = Array("MARK-END".utf8).map { String(format: "%02x", $0) }.joined()

    /// The frames strictly between the marks (all of them when a capture saw no marks). A mark is
    /// the UDP datagram itself, not the ICMP error that quotes it.
    static func window(_ frames: [String]) -> [String] {
        func isMark(_ f: String, _ mark: String) -> Bool { f.dropFirst(24).prefix(4) == "0800" && f.dropFirst(46).prefix(2) == "11" && f.contains(mark) }
        guard let start = frames.firstIndex(where: { isMark($0, startMark) }),
              let end = frames.lastIndex(where: { isMark($0, endMark) }), start < end else { return frames }
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

    /// taasd started and every bridge holding the base pipeline, MACs learned.
    func bringUp() async throws -> LabController {
        let taasd = try await LabController(lab)
        try lab.connect()
        // Tunnel ports as flows/ numbers them.
        for (i, n) in lab.nodes.enumerated() {
            for _ in 0..<300 where (try? n.vsctl(["get", "interface", "taas-tun", "ofport"])) == nil { try await Task.sleep(for: .milliseconds(50)) }
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
        try await Command.offPool { [self] in try warmUp() }
        return taasd
    }

    /// The frames of a capture the VM sent (`sent`) or received.
    func direction(_ frames: [String], of vm: String, sent: Bool) -> [String] {
        let mac = lab.vms[vm]?.mac.replacingOccurrences(of: ":", with: "") ?? ""
        return frames.filter { ($0.dropFirst(12).prefix(12) == Substring(mac)) == sent }
    }

    func expectFlows(_ scenario: String, _ nodes: [Int]) throws {
        for node in nodes {
            let got = try lab.ourFlows(node), golden = try goldenFlows(scenario, "node\(node)")
            #expect(got == golden, "\(scenario)/node\(node): \(flowDiff(got, golden))")
            #expect(try lab.ourGroups(node) == goldenGroups(scenario, "node\(node)"), "\(scenario)/node\(node) groups")
        }
    }

    @Test func mirroringIsFaithfulTransparentContainedHitlessAndAtomic() async throws {
        let taasd = try await bringUp()
        defer { taasd.stop() }

        // Local BOTH: what vm-s receives is exactly what vm-a sent and was delivered, each once.
        let service = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"], name: "s"))
        let flow = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-a", direction: "BOTH", name: "a"))
        try await taasd.waitFor("tap_flows", "tap_flow", flow, "ACTIVE")
        try await taasd.waitFor("tap_services", "tap_service", service, "ACTIVE")
        let localFlows = try lab.ourFlows(1), localGolden = try goldenFlows("local-both", "node1")
        #expect(localFlows == localGolden, "\(flowDiff(localFlows, localGolden))")
        var frames = try await capture(["vm-a", "vm-s", "vm-b", "vm-c", "vm-g"]) { try await runTraffic() }
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
        let remoteService = try await taasd.create(TapServiceCreate(portIDs: ["vm-s2"], name: "s2"))
        let remoteFlow = try await taasd.create(TapFlowCreate(tapServiceID: remoteService, sourcePort: "vm-a", direction: "BOTH", name: "a2"))
        try await taasd.waitFor("tap_flows", "tap_flow", remoteFlow, "ACTIVE")
        for (node, name) in [(1, "node1"), (2, "node2")] {
            let got = try lab.ourFlows(node), golden = try goldenFlows("remote-service", name)
            #expect(got == golden, "\(name): \(flowDiff(got, golden))")
        }
        #expect(try lab.ourGroups(1) == goldenGroups("remote-service", "node1"))
        frames = try await capture(["vm-a", "vm-s2", "vm-e", "vm-g"]) { try await runTraffic() }
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

    @Test func inOnlyOneCopyPerServiceAndRefusals() async throws {
        let taasd = try await bringUp()
        defer { taasd.stop() }

        // IN only, on an access port (VLAN 10): exactly what the bridge delivered to vm-c.
        var service = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"]))
        var flow = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-c", direction: "IN"))
        try await taasd.waitFor("tap_flows", "tap_flow", flow, "ACTIVE")
        try expectFlows("in-only", [1])
        var frames = try await capture(["vm-c", "vm-s"], mark: ("vm-d", "239.9.9.9")) {
            try lab.inVM("vm-d", "ip", ["neigh", "flush", "all"])
            let p = try lab.inVM("vm-d", "ping", ["-c", "3", "-i", "0.2", "-W", "2", "10.0.10.3"])
            #expect(p.contains(" 0% packet loss"))
            try lab.inVM("vm-c", "ping", ["-c", "2", "-i", "0.2", "-W", "2", "10.0.10.4"])
            try lab.inVM("vm-d", "bash", ["-c", "echo vlan10-multicast > /dev/udp/239.1.1.1/9999"])
            try lab.inVM("vm-c", "bash", ["-c", "echo own-multicast > /dev/udp/239.1.1.1/9999"])
        }
        let received = direction(frames["vm-c"] ?? [], of: "vm-c", sent: false)
        #expect(!received.isEmpty && multiset(frames["vm-s"] ?? []) == multiset(received), "\(captureDiff(frames["vm-s"] ?? [], received))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(service)")

        // vm-a OUT and vm-b IN into one service: a frame from vm-a to vm-b is copied once.
        service = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"]))
        flow = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-a", direction: "OUT"))
        let flow2 = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-b", direction: "IN"))
        try await taasd.waitFor("tap_flows", "tap_flow", flow, "ACTIVE")
        try await taasd.waitFor("tap_flows", "tap_flow", flow2, "ACTIVE")
        try expectFlows("two-flows-one-service", [1])
        frames = try await capture(["vm-a", "vm-b", "vm-s"]) { try await runTraffic() }
        let sentA = multiset(direction(frames["vm-a"] ?? [], of: "vm-a", sent: true))
        let gotB = multiset(direction(frames["vm-b"] ?? [], of: "vm-b", sent: false))
        var expected: [String] = []
        for k in Set(sentA.keys).union(gotB.keys) { expected += Array(repeating: k, count: max(sentA[k] ?? 0, gotB[k] ?? 0)) }
        #expect(Set(sentA.keys).intersection(gotB.keys).count > 3, "frames from vm-a to vm-b were sent")
        #expect(multiset(frames["vm-s"] ?? []) == multiset(expected), "\(captureDiff(frames["vm-s"] ?? [], expected))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(service)")

        // One source, two services (one here, one on node2): each gets its own full copy.
        let s1 = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"]))
        let s2 = try await taasd.create(TapServiceCreate(portIDs: ["vm-s2"]))
        let f1 = try await taasd.create(TapFlowCreate(tapServiceID: s1, sourcePort: "vm-a", direction: "BOTH"))
        let f2 = try await taasd.create(TapFlowCreate(tapServiceID: s2, sourcePort: "vm-a", direction: "BOTH"))
        try await taasd.waitFor("tap_flows", "tap_flow", f1, "ACTIVE")
        try await taasd.waitFor("tap_flows", "tap_flow", f2, "ACTIVE")
        try expectFlows("one-source-two-services", [1, 2])
        frames = try await capture(["vm-a", "vm-s", "vm-s2"]) { try await runTraffic() }
        for s in ["vm-s", "vm-s2"] {
            #expect(multiset(frames[s] ?? []) == multiset(frames["vm-a"] ?? []), "\(s): \(captureDiff(frames[s] ?? [], frames["vm-a"] ?? []))")
        }
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(s1)")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(s2)")

        // A switch that refuses: table 1 of node1 holds one flow only. ERROR, with its words.
        try lab.nodes[0].vsctl(["--", "--id=@t", "create", "flow_table", "flow_limit=1", "overflow_policy=refuse", "--",
                                "set", "bridge", "br-int", "flow_tables:1=@t"])
        let s3 = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"]))
        let refused = try await taasd.create(TapFlowCreate(tapServiceID: s3, sourcePort: "vm-b", direction: "OUT"))
        try await taasd.waitFor("tap_flows", "tap_flow", refused, "ERROR")
        let (_, reason) = try await taasd.status("tap_flows", "tap_flow", refused)
        #expect(reason?.contains("TABLE_FULL") == true, "\(reason ?? "no reason")")
        let shown = try Command.check(BuiltProducts.path("taasctl"), ["tap", "flow", "show", refused, "--url", "http://127.0.0.1:\(taasd.port)"])
        #expect(shown.contains("ERROR") && shown.contains("TABLE_FULL"), "\(shown)")
        // Nothing half-applied: node1 still holds exactly what it held before the refused bundle.
        #expect(try lab.ourFlows(1).filter { $0.tableID == 1 }.count == 1)
    }

    /// Each copy, cut to `snaplen` bytes: the first 2 × snaplen hex digits of the frame.
    static func cut(_ frames: [String], _ snaplen: Int) -> [String] { frames.map { String($0.prefix(2 * snaplen)) } }

    @Test func snaplenCutsEveryCopyLocallyThroughTheTunnelAndInERSPAN() async throws {
        let taasd = try await bringUp()
        defer { taasd.stop() }
        // A service on vm-a's node (100 bytes) and one on node2 (96 bytes), both fed by vm-a.
        let local = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"], snaplen: 100))
        let remote = try await taasd.create(TapServiceCreate(portIDs: ["vm-s2"], snaplen: 96))
        var flows: [String] = []
        for service in [local, remote] {
            let f = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-a", direction: "BOTH"))
            try await taasd.waitFor("tap_flows", "tap_flow", f, "ACTIVE")
            flows.append(f)
        }
        var frames = try await capture(["vm-a", "vm-s", "vm-s2"]) { try await runTraffic() }
        var seen = frames["vm-a"] ?? []
        // The traffic has full-size frames (1,514 bytes), so the cut is seen; the originals
        // arrived whole (the pings of traffic() were all answered, the large one with DF set).
        #expect(seen.contains { $0.count > 2 * 1000 } && seen.count > 15, "vm-a saw \(seen.count) frames")
        #expect(multiset(frames["vm-s"] ?? []) == multiset(Self.cut(seen, 100)), "\(captureDiff(frames["vm-s"] ?? [], Self.cut(seen, 100)))")
        #expect(multiset(frames["vm-s2"] ?? []) == multiset(Self.cut(seen, 96)), "\(captureDiff(frames["vm-s2"] ?? [], Self.cut(seen, 96)))")
        // Statistics count truncated copies too (the switch cannot select their flows by
        // out_port, so taasd reads them by the source's cookie): each tap flow got at least the
        // unicast copies seen here.
        for f in flows {
            var packets = 0
            for _ in 0..<100 {
                let (_, body) = try await taasd.api("GET", "/v2.0/taas/tap_flows/\(f)/statistics")
                let s = try? JSONDecoder().decode(TapFlowStatistics.Envelope.self, from: JSONEncoder().encode(body)).statistics
                packets = s?.counted == true ? s?.packets ?? 0 : 0
                if packets > 0 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(packets > 0, "tap flow \(f) counted no copies")
        }

        // Whole frames again (snaplen null): the copies to vm-s are what vm-a saw, byte for byte.
        let (code, shown) = try await taasd.update(TapServiceInfo.self, local, ResourceUpdate(snaplen: .some(nil)))
        #expect(code == 200 && shown?.snaplen == nil, "\(code)")
        for _ in 0..<200 where try lab.nodes[0].ofctl("dump-flows", ["table=1"]).contains("max_len=100") { try await Task.sleep(for: .milliseconds(50)) }
        frames = try await capture(["vm-a", "vm-s"]) { try await runTraffic() }
        seen = frames["vm-a"] ?? []
        #expect(!seen.isEmpty && multiset(frames["vm-s"] ?? []) == multiset(seen), "\(captureDiff(frames["vm-s"] ?? [], seen))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(local)")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(remote)")

        // ERSPAN v1 with 80 bytes: each frame vm-a saw arrives at the analyzer cut to 80 bytes
        // inside its outer headers (Ethernet 14, IPv4 20, GRE 8, ERSPAN 8).
        let erspan = try await taasd.create(TapMirrorCreate(portID: "vm-a", directions: ["BOTH": 55], remoteIP: Lab.encapIP(3),
                                                            mirrorType: "erspanv1", snaplen: 80))
        try await taasd.waitFor("tap_mirrors", "tap_mirror", erspan, "ACTIVE")
        let analyzer = try await Capture(lab, namespace: lab.nodes[2].name, interface: "ul0", name: "analyzer-cut", filter: ["ip", "proto", "47"])
        frames = try await capture(["vm-a"], extra: [analyzer]) { try await runTraffic() }
        seen = frames["vm-a"] ?? []
        let unwrapped = Self.window((frames["analyzer-cut"] ?? []).map { String($0.dropFirst(100)) })
        #expect(!unwrapped.isEmpty && multiset(unwrapped) == multiset(Self.cut(seen, 80)), "\(captureDiff(unwrapped, Self.cut(seen, 80)))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_mirrors/\(erspan)")
    }

    @Test func tapMirrorsAndAServiceOnANodeWithoutSources() async throws {
        let taasd = try await bringUp()
        defer { taasd.stop() }

        // vm-a (node1) and vm-e (node2) OUT → vm-s3 on node3: what each sent, once.
        let service = try await taasd.create(TapServiceCreate(portIDs: ["vm-s3"]))
        let fa = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-a", direction: "OUT"))
        let fe = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-e", direction: "OUT"))
        try await taasd.waitFor("tap_flows", "tap_flow", fa, "ACTIVE")
        try await taasd.waitFor("tap_flows", "tap_flow", fe, "ACTIVE")
        try expectFlows("service-node-without-sources", [1, 2, 3])
        var frames = try await capture(["vm-a", "vm-e", "vm-s3"]) { try await runTraffic() }
        let expected = direction(frames["vm-a"] ?? [], of: "vm-a", sent: true) + direction(frames["vm-e"] ?? [], of: "vm-e", sent: true)
        #expect(multiset(frames["vm-s3"] ?? []) == multiset(expected), "\(captureDiff(frames["vm-s3"] ?? [], expected))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(service)")

        // A GRE tap mirror of vm-a toward an analyzer at node3's underlay address: what arrives
        // there, unwrapped, is what vm-a saw.
        let mirror = try await taasd.create(TapMirrorCreate(portID: "vm-a", directions: ["BOTH": 7], remoteIP: Lab.encapIP(3), mirrorType: "gre"))
        try await taasd.waitFor("tap_mirrors", "tap_mirror", mirror, "ACTIVE")
        let analyzer = try await Capture(lab, namespace: lab.nodes[2].name, interface: "ul0", name: "analyzer", filter: ["ip", "proto", "47"])
        frames = try await capture(["vm-a"], extra: [analyzer]) { try await runTraffic() }
        // Outer Ethernet (14), IPv4 (20), GRE with a key (8): the mirrored frame follows.
        let gre = (frames["analyzer"] ?? []).map { String($0.dropFirst(84)) }
        let keys = Set((frames["analyzer"] ?? []).map { String($0.dropFirst(76).prefix(8)) })
        #expect(keys == ["00000007"], "GRE keys \(keys)")
        let seenA = frames["vm-a"] ?? []
        #expect(!seenA.isEmpty && multiset(Self.window(gre)) == multiset(seenA), "\(captureDiff(Self.window(gre), seenA))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_mirrors/\(mirror)")

        // ERSPAN v1, a session per direction: together they carry everything vm-a saw.
        let erspan = try await taasd.create(TapMirrorCreate(portID: "vm-a", directions: ["IN": 101, "OUT": 102], remoteIP: Lab.encapIP(3),
                                                            mirrorType: "erspanv1"))
        try await taasd.waitFor("tap_mirrors", "tap_mirror", erspan, "ACTIVE")
        let analyzer2 = try await Capture(lab, namespace: lab.nodes[2].name, interface: "ul0", name: "analyzer2", filter: ["ip", "proto", "47"])
        frames = try await capture(["vm-a"], extra: [analyzer2]) { try await runTraffic() }
        // Outer Ethernet (14), IPv4 (20), GRE with a sequence number (8), ERSPAN type II (8).
        let packets = frames["analyzer2"] ?? []
        #expect(Set(packets.map { String($0.dropFirst(72).prefix(4)) }) == ["88be"], "GRE protocol of ERSPAN type II")
        let sessions = Set(packets.map { Int(String($0.dropFirst(88).prefix(4)), radix: 16).map { $0 & 0x3ff } ?? -1 })
        #expect(sessions == [101, 102], "ERSPAN session ids \(sessions)")
        let unwrapped = Self.window(packets.map { String($0.dropFirst(100)) })
        #expect(!unwrapped.isEmpty && multiset(unwrapped) == multiset(frames["vm-a"] ?? []), "\(captureDiff(unwrapped, frames["vm-a"] ?? []))")
        try await taasd.api("DELETE", "/v2.0/taas/tap_mirrors/\(erspan)")
        for _ in 0..<100 where try lab.nodes[0].vsctl(["list-ports", "br-int"]).contains("tm") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!(try lab.nodes[0].vsctl(["list-ports", "br-int"]).contains("tm")))

        // vlan_filter: the kernel here cannot send tagged frames, so ofproto/trace shows the path.
        let service2 = try await taasd.create(TapServiceCreate(portIDs: ["vm-s"]))
        let filtered = try await taasd.create(TapFlowCreate(tapServiceID: service2, sourcePort: "vm-t", direction: "BOTH", vlanFilter: "10,20-30"))
        try await taasd.waitFor("tap_flows", "tap_flow", filtered, "ACTIVE")
        try expectFlows("vlan-filter", [1])
        for (vid, copied) in [(10, true), (25, true), (30, true), (11, false), (31, false)] {
            let trace = try lab.nodes[0].appctl(["ofproto/trace", "br-int",
                                                 "in_port=5,dl_vlan=\(vid),dl_src=02:00:00:00:01:05,dl_dst=02:00:00:00:01:02"])
            #expect(trace.contains("output:9") == copied, "VLAN \(vid): \(trace)")
        }
        let untagged = try lab.nodes[0].appctl(["ofproto/trace", "br-int", "in_port=5,dl_src=02:00:00:00:01:05,dl_dst=02:00:00:00:01:02"])
        #expect(!untagged.contains("output:9"), "untagged frames never match a filter")
    }
}
