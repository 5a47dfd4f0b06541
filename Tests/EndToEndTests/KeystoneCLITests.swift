import Foundation
import TaaSTestSupport
import Testing

/// The stock `openstack` CLI (python-openstackclient from PyPI, whose `tap service|flow|mirror`
/// commands are TaaS's own) against taasd with `auth: keystone`, through a real Keystone: users
/// log in with passwords, the CLI finds taasd in Keystone's catalog as the network service (no
/// endpoint override), over HTTPS, and taasd validates each token with Keystone. Two projects
/// and an admin: each project sees and taps only its own ports and resources, a reader only
/// reads. openstacksdk goes the same way; /metrics is on a listener of its own.
@Suite(.serialized, .offCooperativePool) final class KeystoneCLITests: @unchecked Sendable {
    let keystone: PrivateKeystone
    let api: Int
    let metrics: Int
    let openflow: Int
    let projects: [String: String]
    let dir: String
    let pki: TestPKI

    init() throws {
        keystone = try PrivateKeystone()
        dir = keystone.dir
        api = TestPorts.block()
        metrics = TestPorts.block()
        openflow = TestPorts.block()
        pki = try TestPKI(in: "\(dir)/pki")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("keystone_setup.py").path
        let o = try Command.run("\(PrivateKeystone.bin)/python", [script, keystone.authURL, keystone.adminPassword, "https://127.0.0.1:\(api)"])
        guard o.status == 0, let ids = try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: String] else {
            throw Command.Failure(description: "keystone_setup.py: \(o.stdout)\(o.stderr)")
        }
        projects = ids
    }

    deinit { keystone.stop() }

    /// Ports as Neutron names them (UUIDs), each in a project: what the operator declares, or
    /// OVSDB's external_ids:project-id.
    static let portIDs = ["web1": "5f0f2a7e-0000-4000-8000-000000000001", "web2": "5f0f2a7e-0000-4000-8000-000000000002",
                          "ids1": "5f0f2a7e-0000-4000-8000-000000000003", "ids0": "5f0f2a7e-0000-4000-8000-000000000004",
                          "db2": "5f0f2a7e-0000-4000-8000-000000000005", "ids2": "5f0f2a7e-0000-4000-8000-000000000006"]

    func startTaasd() async throws -> (taasd: Daemon, bridge: Daemon) {
        let (p1, p2) = (projects["p1"] ?? "", projects["p2"] ?? "")
        let owner = ["web1": p1, "web2": p1, "ids1": p1, "ids0": p1, "db2": p2, "ids2": p2]
        let ports = Self.portIDs.sorted { $0.value < $1.value }.enumerated().map { i, e in
            "  - {id: \(e.value), node: n1, name: \(e.key), mac: \"02:00:00:00:00:\(String(format: "%02x", i + 1))\", project: \(owner[e.key] ?? "")}"
        }
        try (["nodes:", "  - {id: n1, datapath_id: \"00000000000000d1\", encap_ip: 192.0.2.1}", "ports:"] + ports)
            .joined(separator: "\n").write(toFile: "\(dir)/topology.yaml", atomically: true, encoding: .utf8)
        // The section as keystonemiddleware names it; the password from the environment.
        try """
            auth: keystone
            keystone:
              auth_type: password
              auth_url: \(keystone.authURL)
              username: taas
              project_name: service
              user_domain_name: Default
              project_domain_name: Default
            """.write(toFile: "\(dir)/taasd.yaml", atomically: true, encoding: .utf8)
        let d = try Daemon(BuiltProducts.path("taasd"), ["--config", "\(dir)/taasd.yaml", "--db", "\(dir)/taasd.sqlite", "--api", "127.0.0.1:\(api)",
                                                         "--openflow", "ptcp:\(openflow):127.0.0.1", "--topology", "\(dir)/topology.yaml",
                                                         "--api-tls-certificate", pki.serverCertificate, "--api-tls-private-key", pki.serverKey,
                                                         "--metrics", "127.0.0.1:\(metrics)"],
                           environment: ["TAASD_KEYSTONE_PASSWORD": "taas-secret"], logPath: "\(dir)/taasd.log")
        try await d.waitForLog("listening for switches")
        // The node's bridge (simulated), whose ports make the inventory.
        let bridge = try Daemon(BuiltProducts.path("switch-sim"), ["--port", "\(openflow)", "--topology", "\(dir)/topology.yaml", "--rounds", "0",
                                                                  "--hold", "600"], logPath: "\(dir)/switch-sim.log")
        return (d, bridge)
    }

    /// A token from Keystone for `user` in `project` (password authentication, as the CLI does).
    func token(_ user: String, _ password: String, _ project: String) throws -> String {
        let body = #"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "\#(user)", "domain": {"name": "Default"}, "#
            + #""password": "\#(password)"}}}, "scope": {"project": {"name": "\#(project)", "domain": {"name": "Default"}}}}}"#
        let out = try Command.check("curl", ["-s", "-i", "-H", "Content-Type: application/json", "-d", body, "\(keystone.authURL)/auth/tokens"])
        guard let line = out.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("x-subject-token:") }) else {
            throw Command.Failure(description: "no token for \(user): \(out.prefix(500))")
        }
        return line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
    }

    /// `openstack ARGS` as `user` of `project`; its output, and its error output when it fails.
    func cli(_ user: String, _ project: String, _ args: [String]) async throws -> Command.Output {
        var env = keystone.credentials(user: user, password: "\(user)-secret", project: project)
        env["OS_CACERT"] = pki.caCertificate
        let path = "\(PrivateKeystone.bin)/openstack", environment = env
        return try await Command.offPool { try Command.run(path, args, environment: environment) }
    }

    func ok(_ user: String, _ project: String, _ args: [String]) async throws -> String {
        let o = try await cli(user, project, args)
        guard o.status == 0 else { throw Command.Failure(description: "openstack \(args.joined(separator: " ")) as \(user): \(o.stderr)\(o.stdout)") }
        return o.stdout
    }

    func json(_ user: String, _ project: String, _ args: [String]) async throws -> Any {
        let out = try await ok(user, project, args + ["-f", "json"])
        return try JSONSerialization.jsonObject(with: Data(out.utf8))
    }

    @Test func eachProjectTapsOnlyItsOwnThroughKeystoneAndTheCatalog() async throws {
        let (taasd, bridge) = try await startTaasd()
        defer { taasd.stop(); bridge.stop() }
        try await taasd.waitForLog("tokens validated by Keystone")
        // Once the bridge is up, its six ports are in the inventory (as the admin sees it).
        let admin = try token("admin", keystone.adminPassword, "admin")
        var inventory = ""
        for _ in 0..<200 {
            inventory = (try? Command.run("curl", ["-s", "--cacert", pki.caCertificate, "-H", "X-Auth-Token: \(admin)",
                                                   "https://127.0.0.1:\(api)/v2.0/ports"]))?.stdout ?? ""
            if Self.portIDs.values.allSatisfy(inventory.contains) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(Self.portIDs.values.allSatisfy(inventory.contains), "the bridge's ports: \(inventory)")
        let (p1, p2) = (try #require(projects["p1"]), try #require(projects["p2"]))
        let ids = Self.portIDs

        // alice (member of p1): every command, names or ids, every output form.
        let service = try #require(try await json("alice", "p1", ["tap", "service", "create", "--name", "ids1", "--port", "ids1",
                                                                  "--description", "first tool"]) as? [String: Any])
        #expect(service["port_id"] as? String == ids["ids1"] && service["project_id"] as? String == p1 && service["name"] as? String == "ids1",
                "\(service)")
        let sid = try #require(service["id"] as? String)
        let other = try await ok("alice", "p1", ["tap", "service", "create", "--name", "ids0", "--port", ids["ids0"] ?? "", "-f", "value", "-c", "id"])
        #expect(other.trimmingCharacters(in: .whitespacesAndNewlines).count == 36, "an id: \(other)")
        #expect(try await ok("alice", "p1", ["tap", "service", "list", "--sort-column", "Name", "--sort-descending", "-f", "value", "-c", "Name"])
                == "ids1\nids0\n")
        let shown = try await ok("alice", "p1", ["tap", "service", "show", "ids1", "-f", "yaml"])
        #expect(shown.contains("name: ids1") && shown.contains("project_id: \(p1)") && shown.contains("description: first tool"), "\(shown)")
        let updated = try #require(try await json("alice", "p1", ["tap", "service", "update", "ids1", "--name", "ids1b",
                                                                  "--description", "renamed"]) as? [String: Any])
        #expect(updated["name"] as? String == "ids1b" && updated["id"] as? String == sid)

        let flow = try #require(try await json("alice", "p1", ["tap", "flow", "create", "--name", "f1", "--port", "web1", "--tap-service", "ids1b",
                                                               "--direction", "both", "--vlan-filter", "10-20"]) as? [String: Any])
        #expect(flow["source_port"] as? String == ids["web1"] && flow["tap_service_id"] as? String == sid && flow["direction"] as? String == "BOTH",
                "\(flow)")
        #expect("\(flow["vlan_filter"] ?? "")".contains("10-20"), "\(flow)")
        let flows = try #require(try await json("alice", "p1", ["tap", "flow", "list"]) as? [[String: Any]])
        #expect(flows.count == 1 && flows.first?["Direction"] as? String == "BOTH", "\(flows)")
        #expect(try await ok("alice", "p1", ["tap", "flow", "update", "f1", "--description", "web traffic", "-f", "value", "-c", "description"])
                == "web traffic\n")

        // --directions in both documented forms: key=value (repeatable) and JSON.
        let m1 = try #require(try await json("alice", "p1", ["tap", "mirror", "create", "--name", "m1", "--port", "web2", "--directions", "IN=101",
                                                             "--directions", "OUT=102", "--remote-ip", "192.0.2.50", "--mirror-type", "erspanv1"])
                                as? [String: Any])
        #expect((m1["directions"] as? [String: Any]).map { $0["IN"] as? Int == 101 && $0["OUT"] as? Int == 102 } == true, "\(m1)")
        let m2 = try #require(try await json("alice", "p1", ["tap", "mirror", "create", "--name", "m2", "--port", "web2",
                                                             "--directions", #"{"IN": 201}"#, "--remote-ip", "2001:db8::50", "--mirror-type", "gre"])
                                as? [String: Any])
        #expect((m2["directions"] as? [String: Any])?["IN"] as? Int == 201, "\(m2)")
        #expect(try await ok("alice", "p1", ["tap", "mirror", "list", "-f", "value", "-c", "Name", "--sort-column", "Name"]) == "m1\nm2\n")
        #expect(try await ok("alice", "p1", ["tap", "mirror", "update", "m1", "--description", "to the collector", "-f", "value", "-c", "description"])
                == "to the collector\n")

        // bob (member of p2) sees none of it and cannot tap p1's ports, by name or by id.
        #expect((try await json("bob", "p2", ["tap", "service", "list"]) as? [Any])?.isEmpty == true)
        #expect(try await cli("bob", "p2", ["tap", "service", "show", sid]).status != 0)
        for port in ["web1", ids["web1"] ?? ""] {
            let refused = try await cli("bob", "p2", ["tap", "service", "create", "--port", port])
            #expect(refused.status != 0 && refused.stderr.contains("No Port found"), "\(refused.stderr)")
        }
        let bobs = try #require(try await json("bob", "p2", ["tap", "service", "create", "--name", "ids2", "--port", "ids2"]) as? [String: Any])
        #expect(bobs["project_id"] as? String == p2)
        let crossed = try await cli("bob", "p2", ["tap", "flow", "create", "--port", "db2", "--tap-service", sid, "--direction", "IN"])
        #expect(crossed.status != 0, "bob's flow into alice's service: \(crossed.stdout)")

        // carol (reader in p1) reads, and may not write.
        #expect(try await ok("carol", "p1", ["tap", "service", "list", "-f", "value", "-c", "Name", "--sort-column", "Name"]) == "ids0\nids1b\n")
        let denied = try await cli("carol", "p1", ["tap", "service", "delete", "ids0"])
        #expect(denied.status != 0, "a reader deleted a tap service")

        // The admin creates for another project (--project, found in Keystone by name), sees every
        // project's, and filters by project.
        let forBob = try #require(try await json("admin", "admin", ["tap", "service", "create", "--name", "ids3", "--port", "db2",
                                                                    "--project", "p2"]) as? [String: Any])
        #expect(forBob["project_id"] as? String == p2 && forBob["port_id"] as? String == ids["db2"], "\(forBob)")
        #expect(try await ok("bob", "p2", ["tap", "service", "list", "--sort-column", "Name", "-f", "value", "-c", "Name"]) == "ids2\nids3\n")
        #expect(try await ok("admin", "admin", ["tap", "service", "list", "--sort-column", "Name", "-f", "value", "-c", "Name"])
                == "ids0\nids1b\nids2\nids3\n")
        // (python-openstackclient 10.5's `tap service list --project` drops the filter before it
        // reaches the API; the filter itself works, as the SDK and curl send it.)
        let p2Services = try Command.run("curl", ["-s", "--cacert", pki.caCertificate, "-H", "X-Auth-Token: \(admin)",
                                                  "https://127.0.0.1:\(api)/v2.0/taas/tap_services?project_id=\(p2)&fields=name&sort_key=name"]).stdout
        #expect(p2Services == #"{"tap_services":[{"name":"ids2"},{"name":"ids3"}]}"#, "\(p2Services)")

        // alice's token works with curl too; a token Keystone does not know gets 401, and where to get one.
        let alice = try Command.run("curl", ["-s", "--cacert", pki.caCertificate, "-H", "X-Auth-Token: \(try token("alice", "alice-secret", "p1"))",
                                             "https://127.0.0.1:\(api)/v2.0/ports?fields=name"]).stdout
        #expect(alice.contains("web1") && !alice.contains("db2"), "\(alice)")
        let bad = try Command.run("curl", ["-s", "-i", "--cacert", pki.caCertificate, "-H", "X-Auth-Token: not-a-token",
                                           "https://127.0.0.1:\(api)/v2.0/taas/tap_services"]).stdout
        #expect(bad.hasPrefix("HTTP/1.1 401") && bad.lowercased().contains("www-authenticate: keystone uri=\"http://127.0.0.1:\(keystone.port)\""), "\(bad)")

        // openstacksdk through the catalog and TLS too, as alice.
        let sdk = try Command.run("\(PrivateKeystone.bin)/python", ["-c", """
            import openstack
            c = openstack.connect(auth_url="\(keystone.authURL)", username="alice", password="alice-secret", project_name="p1",
                                  user_domain_name="Default", project_domain_name="Default", cacert="\(pki.caCertificate)")
            print(sorted(s.name for s in c.network.tap_services()))
            """])
        #expect(sdk.status == 0 && sdk.stdout == "['ids0', 'ids1b']\n", "\(sdk.stdout)\(sdk.stderr)")

        // Metrics on their own plain listener, not beside the API.
        let scraped = try Command.run("curl", ["-s", "http://127.0.0.1:\(metrics)/metrics"]).stdout
        #expect(scraped.contains("taas_keystone_validations_total") && scraped.contains("taas_keystone_cache_hits_total"), "\(scraped.prefix(500))")
        let onAPI = try Command.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.caCertificate,
                                             "https://127.0.0.1:\(api)/metrics"]).stdout
        #expect(onAPI == "404")
        // No plaintext on the API's port.
        #expect(try Command.run("curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(api)/healthz"]).status != 0)

        // Deleting by name, several at once.
        _ = try await ok("alice", "p1", ["tap", "flow", "delete", "f1"])
        _ = try await ok("alice", "p1", ["tap", "mirror", "delete", "m1", "m2"])
        _ = try await ok("alice", "p1", ["tap", "service", "delete", "ids1b", "ids0"])
        #expect(try await ok("alice", "p1", ["tap", "service", "list", "-f", "value"]).isEmpty)
        #expect(try await ok("admin", "admin", ["tap", "service", "list", "--sort-column", "Name", "-f", "value", "-c", "Name"]) == "ids2\nids3\n")
    }
}
