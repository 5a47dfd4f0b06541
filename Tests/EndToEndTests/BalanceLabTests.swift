import Foundation
import TaaSTestSupport
import TaaSWire
import Testing

/// Load-balanced tools on real Open vSwitch: a tap service with several tool ports (one on
/// another node), 128 TCP connections and 128 UDP exchanges from vm-a to vm-b, captured at vm-a
/// and at every tool with tcpdump: each frame reaches exactly one tool, both directions of a
/// connection the same one, no tool less than half its fair share. A tool whose link goes down
/// gives its connections to the others, and every other connection stays where it was.
@Suite(.serialized, .offCooperativePool) final class BalanceLabTests: @unchecked Sendable {
    let runner: LabTests
    var lab: Lab { runner.lab }

    init() async throws { runner = try await LabTests() }

    /// A TCP and UDP echo server (TCP: reads, echoes, closes first, so that the client's ports
    /// are free again at once) and a client that makes `n` TCP connections and `n` UDP exchanges
    /// from ports `base`…`base + n - 1`.
    static let server = """
        import os, select, socket, sys
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 7000))
        t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("0.0.0.0", 7001)); t.listen(256)
        with open(sys.argv[1], "w") as f: f.write(str(os.getpid()))
        while True:
            ready, _, _ = select.select([u, t], [], [])
            if u in ready:
                data, peer = u.recvfrom(2048); u.sendto(data, peer)
            if t in ready:
                c, _ = t.accept(); c.settimeout(2)
                try: c.sendall(c.recv(64))
                except OSError: pass
                c.close()
        """
    static let client = """
        import socket, sys
        host, base, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        done = 0
        for i in range(n):
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("", base + i)); s.settimeout(3)
            s.connect((host, 7001)); s.sendall(b"t" * 32); s.recv(64); s.close(); done += 1
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("", base + i)); s.settimeout(3)
            s.sendto(b"u" * 32, (host, 7000)); s.recvfrom(64); s.close(); done += 1
        print(done)
        """

    /// A connection as both directions name it: protocol and the two ends, sorted.
    static func connection(_ frame: String) -> String? {
        let h = FrameHeaders(frame)
        guard let p = h.proto, [6, 17].contains(p), let sp = h.sourcePort, let dp = h.destinationPort, [7000, 7001].contains(sp) || [7000, 7001].contains(dp)
        else { return nil }
        return "\(p) " + ["\(h.source):\(sp)", "\(h.destination):\(dp)"].sorted().joined(separator: " ")
    }

    /// Runs the client from vm-a against vm-b (whose server is up), capturing at vm-a and the
    /// tools; returns the test connections' frames at vm-a and, per tool, those it received.
    func exchange(tools: [String], base: Int) async throws -> (atSource: [String], atTools: [String: [String]]) {
        let frames = try await runner.capture(["vm-a"] + tools) {
            let done = try await Command.offPool { [self] in
                try lab.inVM("vm-a", "python3", ["\(lab.dir)/balance-client.py", "10.0.0.2", "\(base)", "128"])
            }
            #expect(done.trimmingCharacters(in: .whitespacesAndNewlines) == "256", "the client finished \(done)")
            try await Task.sleep(for: .milliseconds(500))
        }
        let source = (frames["vm-a"] ?? []).filter { Self.connection($0) != nil }
        var atTools: [String: [String]] = [:]
        for t in tools { atTools[t] = runner.direction(frames[t] ?? [], of: t, sent: false).filter { Self.connection($0) != nil } }
        return (source, atTools)
    }

    /// Checks one run: every frame at exactly one tool, each connection whole at one tool, each
    /// tool at least half its fair share; returns each connection's tool.
    func check(_ run: (atSource: [String], atTools: [String: [String]]), tools: [String], _ what: String) -> [String: String] {
        let everything = run.atTools.values.flatMap { $0 }
        #expect(multiset(everything) == multiset(run.atSource), "\(what): every frame once, at one tool: \(captureDiff(everything, run.atSource))")
        var owner: [String: String] = [:]
        var split: Set<String> = []
        for (tool, frames) in run.atTools {
            for f in frames {
                guard let c = Self.connection(f) else { continue }
                if let o = owner[c], o != tool { split.insert(c) }
                owner[c] = tool
            }
        }
        let connections = Set(run.atSource.compactMap(Self.connection))
        #expect(connections.count == 256, "\(what): 128 TCP and 128 UDP connections seen at vm-a, got \(connections.count)")
        #expect(split.isEmpty, "\(what): connections split over tools: \(split.sorted().prefix(5))")
        var counts: [String: Int] = [:]
        for t in owner.values { counts[t, default: 0] += 1 }
        let fair = Double(connections.count) / Double(tools.count)
        for t in tools {
            #expect(Double(counts[t] ?? 0) >= fair / 2, "\(what): \(t) has \(counts[t] ?? 0) of \(connections.count) connections")
        }
        let tcp = owner.filter { $0.key.hasPrefix("6 ") }, udp = owner.filter { $0.key.hasPrefix("17 ") }
        print("\(what): connections per tool \(tools.map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ")); "
              + "UDP over \(Set(udp.values).count) tools, TCP over \(Set(tcp.values).count)")
        #expect(Set(udp.values).count == tools.count && Set(tcp.values).count == tools.count, "\(what): TCP and UDP each reach every tool")
        return owner
    }

    @Test func eachCopyReachesOneToolBothDirectionsTogetherAndADownToolsShareMoves() async throws {
        try Self.server.write(toFile: "\(lab.dir)/balance-server.py", atomically: true, encoding: .utf8)
        try Self.client.write(toFile: "\(lab.dir)/balance-client.py", atomically: true, encoding: .utf8)
        let pidfile = "\(lab.dir)/balance-server.pid"
        let namespace = try #require(lab.vms["vm-b"]?.namespace)
        // `ip netns exec` runs python in its own process: the pid it returns is the server's.
        let server = try Command.startBackground(try Command.tool("ip"), ["netns", "exec", namespace, "python3", "\(lab.dir)/balance-server.py", pidfile],
                                                 logPath: "\(lab.dir)/balance-server.log")
        defer {
            kill(server, SIGKILL)
            var status: Int32 = 0
            waitpid(server, &status, 0)
        }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: pidfile) { try await Task.sleep(for: .milliseconds(50)) }
        let taasd = try await runner.bringUp()
        defer { taasd.stop() }

        // Three tools, two on vm-a's node and one on node2; vm-e (node2) IN as well, as in
        // flows/balance, whose flows and groups the bridges must hold.
        let tools = ["vm-s", "vm-t", "vm-s2"]
        let service = try await taasd.create(TapServiceCreate(portIDs: tools))
        let flow = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-a", direction: "BOTH"))
        let into = try await taasd.create(TapFlowCreate(tapServiceID: service, sourcePort: "vm-e", direction: "IN"))
        for f in [flow, into] { try await taasd.waitFor("tap_flows", "tap_flow", f, "ACTIVE") }
        try runner.expectFlows("balance", [1, 2])
        let before = check(try await exchange(tools: tools, base: 20000), tools: tools, "three tools")

        // vm-t's link goes down: its connections (the same ports again) go to vm-s and vm-s2, and
        // every other connection stays at its tool.
        _ = try await Command.offPool { [self] in try lab.inVM("vm-t", "ip", ["link", "set", "eth0", "down"]) }
        for _ in 0..<100 where !(try lab.nodes[0].ofctl("dump-flows", ["table=8"])).contains("multipath(symmetric_l3l4+udp,2,") {
            try await Task.sleep(for: .milliseconds(100))
        }
        try runner.expectFlows("balance-down", [1, 2])
        let after = check(try await exchange(tools: ["vm-s", "vm-s2"], base: 20000), tools: ["vm-s", "vm-s2"], "vm-t down")
        let moved = before.filter { $0.value == "vm-t" }
        #expect(moved.count > 10 && Set(moved.keys.compactMap { after[$0] }).count == 2, "vm-t's \(moved.count) connections spread over both others")
        let stayed = before.filter { $0.value != "vm-t" }
        let changed = stayed.filter { after[$0.key] != $0.value }
        #expect(changed.isEmpty, "\(changed.count) of \(stayed.count) connections on vm-s and vm-s2 moved when vm-t went down")

        // Up again: every connection back where it first was.
        _ = try await Command.offPool { [self] in try lab.inVM("vm-t", "ip", ["link", "set", "eth0", "up"]) }
        for _ in 0..<100 where (try lab.nodes[0].ofctl("dump-flows", ["table=8"])).contains("multipath(symmetric_l3l4+udp,2,") {
            try await Task.sleep(for: .milliseconds(100))
        }
        let again = check(try await exchange(tools: tools, base: 20000), tools: tools, "vm-t up again")
        #expect(again == before, "the first choices are back")
        try await taasd.api("DELETE", "/v2.0/taas/tap_services/\(service)")

        // Two tools, one on each node.
        let two = try await taasd.create(TapServiceCreate(portIDs: ["vm-s", "vm-s2"]))
        let f2 = try await taasd.create(TapFlowCreate(tapServiceID: two, sourcePort: "vm-a", direction: "BOTH"))
        try await taasd.waitFor("tap_flows", "tap_flow", f2, "ACTIVE")
        _ = check(try await exchange(tools: ["vm-s", "vm-s2"], base: 24000), tools: ["vm-s", "vm-s2"], "two tools")
        #expect(try lab.nodes[0].ofctl("dump-flows", ["table=8"]).contains("reg3="), "table 8 in use")
    }
}
