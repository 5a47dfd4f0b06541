import Foundation
import TaaSTestSupport
import Testing

/// taasd as an operator runs it: a config file (and its mistakes), readiness, JSON logs, SIGHUP
/// reload and SIGTERM shutdown.
@Suite(.offCooperativePool) struct DaemonLifecycleTests {
    @Test func configFileReloadAndGracefulStop() async throws {
        let dir = "/tmp/taas-life-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let taasd = BuiltProducts.path("taasd")

        // A mistake names the file, line and column, and taasd does not start.
        try "openflow:\n  - punix:\(dir)/of.sock\n  - bogus:1\n".write(toFile: "\(dir)/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try await Command.runOffPool(taasd, ["--config", "\(dir)/bad.yaml"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("\(dir)/bad.yaml:3:5: bad OpenFlow target \"bogus:1\""), "\(bad.stderr)")

        let port = TestPorts.block()
        func config(_ level: String) -> String {
            "api: 127.0.0.1:\(port)\ndb: \(dir)/taasd.sqlite\nopenflow: punix:\(dir)/of.sock\nlog-level: \(level)\nlog-format: json\n"
        }
        try config("info").write(toFile: "\(dir)/taasd.yaml", atomically: true, encoding: .utf8)
        let d = try Daemon(taasd, ["--config", "\(dir)/taasd.yaml"], logPath: "\(dir)/taasd.log")
        defer { d.stop() }
        let health = try await Command.runOffPool(try Command.tool("curl"), ["-s", "--retry", "50", "--retry-connrefused", "--retry-delay", "0",
                                                                            "--max-time", "20", "http://127.0.0.1:\(port)/healthz"])
        #expect(health.stdout == #"{"status":"ready"}"#, "\(d.log)")
        // Every log line is one JSON object.
        try await d.waitForLog("listening for switches")
        for line in d.log.split(separator: "\n") {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] != nil && object?["level"] != nil, "not a JSON log line: \(line)")
        }

        // SIGHUP: the new level is read from the file.
        try config("debug").write(toFile: "\(dir)/taasd.yaml", atomically: true, encoding: .utf8)
        kill(d.process.processIdentifier, SIGHUP)
        try await d.waitForLine(containing: [#""message":"reloaded""#, #""log_level":"debug""#])
        #expect(d.process.isRunning)

        // SIGTERM: a graceful stop, exit status 0.
        kill(d.process.processIdentifier, SIGTERM)
        for _ in 0..<200 where d.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!d.process.isRunning, "still running 10 s after SIGTERM")
        // (Foundation's Process traps on a status asked of a process still running.)
        if !d.process.isRunning { #expect(d.process.terminationStatus == 0) }
        #expect(d.log.contains(#""message":"taasd stopped""#), "\(d.log)")
    }
}
