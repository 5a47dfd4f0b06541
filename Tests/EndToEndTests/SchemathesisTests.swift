import Foundation
import TaaSTestSupport
import Testing

/// schemathesis (PyPI, in the test virtual environment) against a running taasd, driven only by
/// its served /openapi.json: examples, boundary cases, random data and stateful sequences that
/// follow the document's links (create, then show, update, delete what was created). Every check
/// it has: no 5xx, every response as documented (status, headers, body schema), invalid input
/// refused, 405 with Allow for methods a path does not take.
@Suite(.serialized, .offCooperativePool) struct SchemathesisTests {
    @Test func theServedDocumentAndTheServerAgree() async throws {
        let st = "\(PrivateKeystone.bin)/st"
        try #require(FileManager.default.isExecutableFile(atPath: st), "no schemathesis in \(PrivateKeystone.bin): run scripts/test.sh")
        let dir = try APIFixture.TemporaryDirectory("/tmp/taas-st-\(UInt32.random(in: 0...UInt32.max))")
        let (api, openflow) = (TestPorts.block(), TestPorts.block())
        var ports = ["nodes:", "  - {id: n1, datapath_id: \"00000000000000d1\", encap_ip: 192.0.2.1}", "ports:"]
        for i in 1...8 {
            ports.append("  - {id: 6a0e1c2d-0000-4000-8000-00000000000\(i), node: n1, name: p\(i), mac: \"02:00:00:00:01:0\(i)\"}")
        }
        try ports.joined(separator: "\n").write(toFile: "\(dir.path)/topology.yaml", atomically: true, encoding: .utf8)
        let taasd = try Daemon(BuiltProducts.path("taasd"), ["--db", "\(dir.path)/taasd.sqlite", "--api", "127.0.0.1:\(api)",
                                                             "--openflow", "ptcp:\(openflow):127.0.0.1", "--topology", "\(dir.path)/topology.yaml"],
                               logPath: "\(dir.path)/taasd.log")
        defer { taasd.stop() }
        try await taasd.waitForLog("listening for switches")
        let bridge = try Daemon(BuiltProducts.path("switch-sim"), ["--port", "\(openflow)", "--topology", "\(dir.path)/topology.yaml",
                                                                   "--rounds", "0", "--hold", "900"], logPath: "\(dir.path)/switch-sim.log")
        defer { bridge.stop() }
        for _ in 0..<100 where !((try? Command.run("curl", ["-s", "http://127.0.0.1:\(api)/v2.0/ports"]))?.stdout.contains("p8") ?? false) {
            try await Task.sleep(for: .milliseconds(100))
        }
        // Resources to start from: stateful sequences follow links from their lists to them.
        func post(_ path: String, _ body: String) throws -> String {
            let out = try Command.check("curl", ["-s", "-H", "Content-Type: application/json", "-d", body, "http://127.0.0.1:\(api)/v2.0/taas/\(path)"])
            guard let id = out.split(separator: "\"").drop(while: { $0 != "id" }).dropFirst(2).first else {
                throw Command.Failure(description: "POST \(path): \(out)")
            }
            return String(id)
        }
        let port = { (i: Int) in "6a0e1c2d-0000-4000-8000-00000000000\(i)" }
        for i in 1...2 {
            let service = try post("tap_services", #"{"tap_service": {"name": "s\#(i)", "port_id": "\#(port(i))"}}"#)
            _ = try post("tap_flows", #"{"tap_flow": {"name": "f\#(i)", "tap_service_id": "\#(service)", "source_port": "\#(port(i + 2))", "direction": "BOTH"}}"#)
        }
        _ = try post("tap_mirrors", #"{"tap_mirror": {"name": "m", "port_id": "\#(port(5))", "directions": {"IN": 7}, "remote_ip": "192.0.2.9", "mirror_type": "gre"}}"#)
        let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("schemathesis.toml").path
        let run = try await Command.offPool {
            // In the test's directory: schemathesis keeps a cache where it runs.
            try Command.run("sh", ["-c", "cd \"$0\" && exec \"$@\"", dir.path, st, "--config-file", config, "run", "http://127.0.0.1:\(api)/openapi.json", "--max-examples", "25",
                                 "--phases", "examples,coverage,fuzzing,stateful", "--workers", "1", "--seed", "7",
                                 "--request-timeout", "10", "--no-color", "--generation-database", "none"])
        }
        print("schemathesis: " + run.stdout.split(separator: "\n").filter { line in
            ["Coverage (", "Fuzzing (", "Stateful (", "Scenarios:", "API Links:", "generated", "Failures"].contains { line.contains($0) }
        }.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; "))
        #expect(run.status == 0, "\(run.stdout.suffix(8000))\(run.stderr.suffix(2000))")
        #expect(!taasd.log.contains("Fatal error"), "\(taasd.log.suffix(3000))")
    }
}
