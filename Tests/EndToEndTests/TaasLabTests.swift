import Foundation
import Testing
import TaaSTestSupport

/// `taas-lab up`, `demo`, `status`, `down` end to end, as a newcomer runs them; and `/metrics`
/// after traffic, with the per-tap-flow counters grown by the packets sent.
@Suite(.offCooperativePool) struct TaasLabTests {
    static let lab = BuiltProducts.path("taas-lab")

    /// Runs taas-lab off Swift's cooperative threads (it waits on real networks for seconds).
    static func run(_ args: [String]) async throws -> Command.Output {
        try await Command.runOffPool(lab, args)
    }

    @Test func upDemoMetricsAndDownLeaveNothingBehind() async throws {
        let name = "tq" + String(UInt16.random(in: 0...UInt16.max), radix: 16)
        let dir = "/tmp/\(name)"
        let port = TestPorts.block(3)
        let location = ["--dir", dir]
        defer { _ = try? Command.run(Self.lab, ["down"] + location) }

        let up = try await Self.run(["up", "--name", name, "--api-port", "\(port)", "--nodes", "3", "--vms", "1"] + location)
        #expect(up.status == 0, "taas-lab up failed:\n\(up.stdout)\n\(up.stderr)")
        #expect(up.stdout.contains("lab up in"))
        let record = try #require(try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/lab.json")))
            as? [String: Any])
        let taasd = try #require(record["taasdPID"] as? Int)

        let demo = try await Self.run(["demo", "--count", "5"] + location)
        #expect(demo.status == 0, "taas-lab demo failed:\n\(demo.stdout)\n\(demo.stderr)")
        // The copies it showed: every echo request node2/vm1 sent and every reply it got, once.
        let mirrored = demo.stdout.split(separator: "\n").filter { $0.contains("mirrored> ") }
        #expect(mirrored.filter { $0.contains("10.0.0.21 > 10.0.0.31: ICMP echo request") }.count == 5, "\(demo.stdout)")
        #expect(mirrored.filter { $0.contains("10.0.0.31 > 10.0.0.21: ICMP echo reply") }.count == 5, "\(demo.stdout)")
        #expect(demo.stdout.contains("5 of 5 replies"))
        #expect(demo.stdout.contains("Datapath actions"), "the trace is shown")
        #expect(demo.stdout.contains("table=1, priority=100,in_port=11"), "the installed flows are shown")

        // /metrics: the demo's tap flow is counted, and grows by what is sent next.
        let flowID = try #require(demo.stdout.firstMatch(of: /tap flow ([0-9a-f-]{36}):/).map { String($0.1) })
        func packets() async throws -> Int {
            let o = try await Command.runOffPool(try Command.tool("curl"), ["-sS", "http://127.0.0.1:\(port)/metrics"])
            let line = o.stdout.split(separator: "\n").first { $0.hasPrefix("taas_tap_flow_packets_total{tap_flow=\"\(flowID)\"}") }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
        }
        var before = try await packets()
        for _ in 0..<50 where before < 10 {
            try await Task.sleep(for: .milliseconds(200))
            before = try await packets()
        }
        #expect(before >= 10, "after the demo's 5 pings the counter holds at least their 10 copies: \(before)")
        let namespace = "\(name)-n2vm1"
        let ping = try await Command.runOffPool(try Command.tool("ip"), ["netns", "exec", namespace, "ping", "-c", "20", "-i", "0.05", "10.0.0.31"])
        #expect(ping.stdout.contains("20 received"))
        // Statistics are read every 2 s in the lab: wait for a read that includes the pings.
        var after = before
        for _ in 0..<50 where after < before + 40 {
            try await Task.sleep(for: .milliseconds(200))
            after = try await packets()
        }
        #expect(after >= before + 40, "20 requests and 20 replies are 40 more copies: \(before) → \(after)")

        let status = try await Self.run(["status"] + location)
        #expect(status.stdout.contains("tap flows: 1 ACTIVE"), "\(status.stdout)")

        let down = try await Self.run(["down"] + location)
        #expect(down.status == 0, "\(down.stdout)\n\(down.stderr)")
        let left = try Command.check("ip", ["netns", "list"]).split(separator: "\n").filter { $0.hasPrefix(name) }
        #expect(left.isEmpty, "namespaces left: \(left)")
        #expect(!FileManager.default.fileExists(atPath: dir))
        #expect(kill(Int32(taasd), 0) != 0, "taasd (pid \(taasd)) still running")
    }

    /// `up --replicas 3`: a PostgreSQL and three taasd; the demo goes through a kill -9 of the
    /// leader with no copy lost; `failover` again on its own; `down` stops all of it, PostgreSQL
    /// included.
    @Test func replicasFailOverInTheDemoAndDownStopsEverything() async throws {
        let name = "tr" + String(UInt16.random(in: 0...UInt16.max), radix: 16)
        let dir = "/tmp/\(name)"
        let port = TestPorts.block(3)
        let location = ["--dir", dir]
        defer { _ = try? Command.run(Self.lab, ["down"] + location) }

        let up = try await Self.run(["up", "--name", name, "--api-port", "\(port)", "--nodes", "3", "--vms", "1", "--replicas", "3"] + location)
        #expect(up.status == 0, "taas-lab up failed:\n\(up.stdout)\n\(up.stderr)")
        let demo = try await Self.run(["demo"] + location)
        #expect(demo.status == 0, "taas-lab demo failed:\n\(demo.stdout)\n\(demo.stderr)")
        #expect(demo.stdout.contains("kill -9 of the leader") && demo.stdout.contains("no copy was lost across the failover"), "\(demo.stdout)")
        #expect(demo.stdout.contains("50 of 50 replies"), "\(demo.stdout)")
        let failover = try await Self.run(["failover"] + location)
        #expect(failover.status == 0 && failover.stdout.contains("is master of all 3 bridges"), "\(failover.stdout)\n\(failover.stderr)")

        let record = try #require(try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/lab.json")))
            as? [String: Any])
        let pids = (record["replicas"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int }
        let postgresDir = try #require(record["postgresDir"] as? String)
        #expect(pids.count == 3 && pids.allSatisfy { kill(Int32($0), 0) == 0 }, "\(pids)")
        let status = try await Self.run(["status"] + location)
        #expect(status.stdout.components(separatedBy: " leader (epoch").count == 2, "one leader: \(status.stdout)")

        let down = try await Self.run(["down"] + location)
        #expect(down.status == 0, "\(down.stdout)\n\(down.stderr)")
        #expect(pids.allSatisfy { kill(Int32($0), 0) != 0 }, "a replica still runs")
        #expect(!FileManager.default.fileExists(atPath: postgresDir), "PostgreSQL's directory is left")
        #expect(try Command.check("ip", ["netns", "list"]).split(separator: "\n").filter { $0.hasPrefix(name) }.isEmpty)
    }
}
