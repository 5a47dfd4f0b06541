import Foundation
import TaaSTestSupport
import Testing

/// taasd on a real PostgreSQL (a private server on a unix socket): the API writes through it,
/// a second taasd on the same database starts from what the first wrote, and a kill -9 loses
/// no acknowledged write. taasd listens on loopback only, on ports of its own.
@Suite(.serialized, .offCooperativePool) final class PostgresDaemonTests: @unchecked Sendable {
    let server: PrivatePostgres
    let topology: String

    init() throws {
        server = try PrivatePostgres()
        topology = "\(server.dir)/topology.yaml"
        try """
            nodes:
              - {id: n1, datapath_id: "00000000000000d1", encap_ip: 192.0.2.1}
            ports:
              - {id: tool, node: n1, name: tool, mac: "02:ff:00:00:00:01"}
              - {id: vm1, node: n1, name: vm1, mac: "02:00:00:01:00:01"}
            """.write(toFile: topology, atomically: true, encoding: .utf8)
    }

    deinit { server.stop() }

    func taasd(_ name: String, api: Int) throws -> Daemon {
        try Daemon(BuiltProducts.path("taasd"), ["--db", server.url, "--api", "127.0.0.1:\(api)", "--openflow", "ptcp:\(api + 1):127.0.0.1",
                                                  "--topology", topology], logPath: "\(server.dir)/\(name).log")
    }

    func curl(_ api: Int, _ args: [String]) throws -> [String: Any] {
        let out = try Command.check("curl", ["-s", "--max-time", "5", "-H", "Content-Type: application/json"] + args.dropLast()
                                        + ["http://127.0.0.1:\(api)\(args.last ?? "")"])
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? ["unparsed": out]
    }

    @Test func replicasShareThePolicyAndAKillLosesNothing() async throws {
        let (apiA, apiB) = (Int.random(in: 20000...40000) & ~1, Int.random(in: 40002...60000) & ~1)
        let a = try taasd("a", api: apiA)
        defer { a.stop() }
        try await a.waitForLog("listening on 127.0.0.1:\(apiA)")
        #expect(a.log.contains("policy store") && a.log.contains("postgresql://postgres@"), "\(a.log.suffix(2000))")
        // A simulated bridge of the declared node connects: its ports reach the port inventory.
        let bridge = try Daemon(BuiltProducts.path("switch-sim"), ["--port", "\(apiA + 1)", "--topology", topology, "--rounds", "0",
                                                                  "--hold", "600"], logPath: "\(server.dir)/switch-sim.log")
        defer { bridge.stop() }
        for _ in 0..<100 where !((try curl(apiA, ["/v2.0/ports"])["ports"] as? [[String: Any]])?.contains { $0["id"] as? String == "tool" } ?? false) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let service = try curl(apiA, ["-X", "POST", "-d", #"{"tap_service": {"name": "ids", "port_id": "tool"}}"#, "/v2.0/taas/tap_services"])
        let sid = try #require((service["tap_service"] as? [String: Any])?["id"] as? String, "\(service)")
        let flow = try curl(apiA, ["-X", "POST", "-d", #"{"tap_flow": {"tap_service_id": "\#(sid)", "source_port": "vm1", "direction": "BOTH", "protocol": "tcp"}}"#,
                                   "/v2.0/taas/tap_flows"])
        let fid = try #require((flow["tap_flow"] as? [String: Any])?["id"] as? String, "\(flow)")

        // A second replica on the same database starts with what the first acknowledged.
        let b = try taasd("b", api: apiB)
        defer { b.stop() }
        try await b.waitForLog("listening on 127.0.0.1:\(apiB)")
        let seen = try curl(apiB, ["/v2.0/taas/tap_flows/\(fid)"])
        #expect((seen["tap_flow"] as? [String: Any])?["protocol"] as? String == "tcp", "\(seen)")

        // kill -9 and start again: nothing acknowledged is lost.
        kill(a.process.processIdentifier, SIGKILL)
        a.process.waitUntilExit()
        let again = try taasd("a2", api: apiA)
        defer { again.stop() }
        try await again.waitForLog("listening on 127.0.0.1:\(apiA)")
        let services = try curl(apiA, ["/v2.0/taas/tap_services"])["tap_services"] as? [[String: Any]]
        #expect(services?.map { $0["id"] as? String } == [sid], "\(String(describing: services))")
        let rows = try Command.check(try PrivatePostgres.binary("psql"), ["-h", server.dir, "-U", "postgres", "-At", "-c",
                                                                          "SELECT count(*) FROM tap_flow WHERE id = '\(fid)'"])
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }
}
