import Foundation
import TaaSTestSupport
import TaaSWire
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

    func curl(_ api: Int, _ args: [String]) throws -> JSONValue { try request(api, args).body }

    /// The HTTP status and the JSON body of a request to the API on loopback.
    func request(_ api: Int, _ args: [String]) throws -> (code: Int, body: JSONValue) {
        let out = try Command.check("curl", ["-s", "--max-time", "30", "-w", "\n%{http_code}", "-H", "Content-Type: application/json"]
                                        + args.dropLast() + ["http://127.0.0.1:\(api)\(args.last ?? "")"])
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        let body = lines.dropLast().joined(separator: "\n")
        return (Int(lines.last ?? "") ?? 0, (try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))) ?? ["unparsed": .string(body)])
    }

    /// taasd with a simulated bridge of the declared node, once the bridge's ports are in the
    /// inventory.
    func start(_ name: String, api: Int) async throws -> (Daemon, Daemon) {
        let d = try taasd(name, api: api)
        try await d.waitForLog("listening on 127.0.0.1:\(api)")
        let bridge = try Daemon(BuiltProducts.path("switch-sim"), ["--port", "\(api + 1)", "--topology", topology, "--rounds", "0",
                                                                  "--hold", "600"], logPath: "\(server.dir)/\(name)-switch-sim.log")
        for _ in 0..<100 where !(try curl(api, ["/v2.0/ports"])["ports"]?.array?.contains { $0["id"] == "tool" } ?? false) {
            try await Task.sleep(for: .milliseconds(100))
        }
        return (d, bridge)
    }

    /// The database as a `postgres:` section of the config file rather than a URL: taasd opens
    /// it, takes the lease alone, and says so in /v2.0/taas/status.
    @Test func aPostgresSectionInTheConfigFileNamesTheDatabase() async throws {
        let api = TestPorts.block(2)
        let config = "\(server.dir)/taasd.yaml"
        try """
            postgres:
              user: postgres
              database: postgres
              socket-dir: \(server.dir)
            replica-name: from-config
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let d = try Daemon(BuiltProducts.path("taasd"), ["--config", config, "--api", "127.0.0.1:\(api)", "--openflow", "ptcp:\(api + 1):127.0.0.1"],
                           logPath: "\(server.dir)/section.log")
        defer { d.stop() }
        try await d.waitForLog("listening on 127.0.0.1:\(api)")
        var replication: ControllerStatus.Replication?
        for _ in 0..<50 {
            replication = APICurl.decode(ControllerStatus.Envelope.self, try curl(api, ["/v2.0/taas/status"]))?.status.replication
            if replication?.role == "leader" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(replication?.role == "leader" && replication?.leaderName == "from-config", "\(replication.map { "\($0)" } ?? "none")")
        #expect(d.log.contains("postgresql://postgres@/postgres?host=\(server.dir)"), "the log names the database")
    }

    @Test func aLostDatabaseGets503AndWritesResumeWhenItIsBack() async throws {
        let api = TestPorts.block(2)
        let (d, bridge) = try await start("outage", api: api)
        defer { d.stop(); bridge.stop() }
        let created = try request(api, ["-X", "POST", "-d", #"{"tap_service": {"name": "ids", "port_id": "tool"}}"#, "/v2.0/taas/tap_services"])
        let sid = try #require(created.body["tap_service"]?["id"]?.string, "\(created)")
        let flow = #"{"tap_flow": {"tap_service_id": "\#(sid)", "source_port": "vm1", "direction": "IN"}}"#

        // PostgreSQL stops: a write is refused with 503 (and a reason) within the store's
        // timeout, and nothing of it is kept; reads still answer from memory.
        server.pause()
        let began = Date()
        let refused = try request(api, ["-X", "POST", "-d", flow, "/v2.0/taas/tap_flows"])
        let seconds = Date().timeIntervalSince(began)
        #expect(refused.code == 503 && "\(refused.body)".contains("PolicyStoreUnavailable"), "\(refused)")
        #expect(seconds < 12, "answered after \(seconds) s")
        #expect(try request(api, ["/v2.0/taas/tap_flows"]).body["tap_flows"]?.array?.isEmpty == true)
        #expect(try request(api, ["/v2.0/taas/tap_services/\(sid)"]).code == 200)

        // Back, then frozen (SIGSTOP, as a hung host): the write waits out the store's timeout,
        // then 503; thawed, the next write opens a new connection.
        try server.start()
        try server.signalAll(SIGSTOP)
        let frozeAt = Date()
        let hung = try request(api, ["-X", "POST", "-d", flow, "/v2.0/taas/tap_flows"])
        let waited = Date().timeIntervalSince(frozeAt)
        try server.signalAll(SIGCONT)
        #expect(hung.code == 503 && "\(hung.body)".contains("did not answer within"), "\(hung)")
        #expect(waited >= 4 && waited < 12, "answered after \(waited) s (the store's timeout is 5 s)")
        print("PostgreSQL outage: stopped → 503 after \(String(format: "%.2f", seconds)) s; frozen → 503 after \(String(format: "%.2f", waited)) s")

        // Every later write goes through; a restart reads exactly the acknowledged writes.
        let accepted: (code: Int, body: JSONValue)
        do { accepted = try request(api, ["-X", "POST", "-d", flow, "/v2.0/taas/tap_flows"]) } catch {
            Issue.record("\(error)\n\(d.log.components(separatedBy: "\n").filter { $0.contains("Fatal") || $0.contains("Crash") || $0.contains(" at /work") }.prefix(14).joined(separator: "\n"))")
            return
        }
        #expect(accepted.code == 201, "\(accepted)")
        d.stop()
        let again = try taasd("outage-2", api: api)
        defer { again.stop() }
        try await again.waitForLog("listening on 127.0.0.1:\(api)")
        let flows = APICurl.decode(Many<TapFlowInfo, TapFlowInfo>.self, try curl(api, ["/v2.0/taas/tap_flows"]))?.values
        #expect(flows?.count == 1 && flows?.first?.id == accepted.body["tap_flow"]?["id"]?.string, "\(String(describing: flows))")
    }

    @Test func replicasShareThePolicyAndAKillLosesNothing() async throws {
        let (apiA, apiB) = (TestPorts.block(2), TestPorts.block(2))
        let (a, bridge) = try await start("a", api: apiA)
        defer { a.stop(); bridge.stop() }
        #expect(a.log.contains("policy store") && a.log.contains("postgresql://postgres@"), "\(a.log.suffix(2000))")
        let service = try curl(apiA, ["-X", "POST", "-d", #"{"tap_service": {"name": "ids", "port_id": "tool"}}"#, "/v2.0/taas/tap_services"])
        let sid = try #require(service["tap_service"]?["id"]?.string, "\(service)")
        let flow = try curl(apiA, ["-X", "POST", "-d", #"{"tap_flow": {"tap_service_id": "\#(sid)", "source_port": "vm1", "direction": "BOTH", "protocol": "tcp"}}"#,
                                   "/v2.0/taas/tap_flows"])
        let fid = try #require(flow["tap_flow"]?["id"]?.string, "\(flow)")

        // A second replica on the same database starts with what the first acknowledged.
        let b = try taasd("b", api: apiB)
        defer { b.stop() }
        try await b.waitForLog("listening on 127.0.0.1:\(apiB)")
        let seen = try curl(apiB, ["/v2.0/taas/tap_flows/\(fid)"])
        #expect(APICurl.decode(One<TapFlowInfo, TapFlowInfo>.self, seen)?.value.traffic.protocol == "tcp", "\(seen)")

        // kill -9 and start again: nothing acknowledged is lost.
        kill(a.process.processIdentifier, SIGKILL)
        a.process.waitUntilExit()
        let again = try taasd("a2", api: apiA)
        defer { again.stop() }
        try await again.waitForLog("listening on 127.0.0.1:\(apiA)")
        let services = APICurl.decode(Many<TapServiceInfo, TapServiceInfo>.self, try curl(apiA, ["/v2.0/taas/tap_services"]))?.values
        #expect(services?.map(\.id) == [sid], "\(String(describing: services))")
        let rows = try Command.check(try PrivatePostgres.binary("psql"), ["-h", server.dir, "-U", "postgres", "-At", "-c",
                                                                          "SELECT count(*) FROM tap_flow WHERE id = '\(fid)'"])
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }
}
