import Foundation
import TaaSTestSupport
import Testing

/// The taasd executable reading a real node's database over TCP, actively and passively (the
/// node dials in after `ovs-vsctl set-manager`). taasd runs inside the node's namespace, so every
/// address is the namespace's own loopback.
@Suite(.serialized, .offCooperativePool) final class TaasdOVSDBTests {
    let node: OVSNode

    init() throws {
        node = try OVSNode()
        do {
            try node.addIntegrationBridge(datapathID: 0xb1)
            try node.vsctl(["set", "open_vswitch", ".", "external_ids:system-id=node-b", "external_ids:hostname=host-b",
                            "external_ids:taas-encap-ip=192.0.2.11"])
        } catch {
            node.stop()
            throw error
        }
    }

    deinit { node.stop() }

    func taasd(_ args: [String]) throws -> Daemon {
        try Daemon(try Command.tool("ip"), ["netns", "exec", node.name, BuiltProducts.path("taasd"), "--db", "\(node.dir)/taasd.sqlite",
                                            "--api", "127.0.0.1:9696", "--openflow", "ptcp:6653:127.0.0.1", "--echo-interval", "1"] + args,
                   logPath: "\(node.dir)/taasd.log")
    }

    /// Runs a program inside the node's namespace.
    func inNode(_ program: String, _ args: [String]) throws -> String {
        try Command.check("ip", ["netns", "exec", node.name, program] + args)
    }

    func addVM(_ name: String, ifaceID: String) throws {
        try node.vsctl(["add-port", "br-int", name, "--", "set", "interface", name, "type=internal", "external_ids:iface-id=\(ifaceID)",
                        "external_ids:attached-mac=02:00:00:00:0b:01"])
        _ = try inNode("ip", ["link", "set", name, "up"])
    }

    @Test func activeTCPTargetFollowsTheNodeThroughADatabaseRestart() async throws {
        try node.vsctl(["set-manager", "ptcp:6640:127.0.0.1"])
        let d = try taasd(["--ovsdb", "tcp:127.0.0.1:6640"])
        defer { d.stop() }
        try node.vsctl(["set-controller", "br-int", "tcp:127.0.0.1:6653", "--", "set", "controller", "br-int", "connection-mode=out-of-band"])
        try await d.waitForLog("OVSDB session up")
        try addVM("vm1", ifaceID: "port-b1")
        try await d.waitForLine(containing: ["topology: port port-b1", "up"])
        try await d.waitForLog("managed ports updated")

        // The API and taasctl show the node with both sessions and its tunnel port, and the port.
        for _ in 0..<100 {
            if try inNode("curl", ["-s", "http://127.0.0.1:9696/v2.0/taas/nodes/node-b"]).contains("\"openflow\":\"connected\"") { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let shown = try inNode("curl", ["-s", "http://127.0.0.1:9696/v2.0/taas/nodes/node-b"])
        #expect(shown.contains("\"openflow\":\"connected\"") && shown.contains("\"ovsdb\":\"connected\"") && shown.contains("\"taas-tun\":")
                && shown.contains("\"datapath_id\":\"00000000000000b1\"") && shown.contains("\"encap_ip\":\"192.0.2.11\""), "\(shown)")
        let table = try inNode(BuiltProducts.path("taasctl"), ["node", "list", "--url", "http://127.0.0.1:9696"])
        #expect(table.contains("node-b") && table.contains("host-b") && table.contains("connected"), "\(table)")
        let ports = try inNode(BuiltProducts.path("taasctl"), ["port", "list", "--url", "http://127.0.0.1:9696"])
        #expect(ports.contains("port-b1") && ports.contains("node-b") && ports.contains("ACTIVE"), "\(ports)")

        // ovsdb-server restarts: the session comes back and changes made since are seen.
        try node.restartDatabase()
        try await d.waitForLog("OVSDB session down")
        try addVM("vm2", ifaceID: "port-b2")
        try await d.waitForLine(containing: ["topology: port port-b2", "up"], seconds: 30)
        let ups = d.log.split(separator: "\n").filter { $0.contains("OVSDB session up") }.count
        #expect(ups == 2, "\(d.log)")
        // The tunnel port was made once.
        #expect(try node.vsctl(["list-ports", "br-int"]) == "taas-tun\nvm1\nvm2\n")
        #expect(!d.log.contains("cannot update managed ports"), "\(d.log)")
    }

    @Test func passiveTargetAcceptsANodeThatDialsIn() async throws {
        let d = try taasd(["--ovsdb", "ptcp:6641:127.0.0.1"])
        defer { d.stop() }
        try await d.waitForLog("listening for OVSDB managers")
        try node.vsctl(["set-manager", "tcp:127.0.0.1:6641"])
        try await d.waitForLog("OVSDB session up")
        try await d.waitForLog("topology: node node-b appeared")
        try addVM("vm1", ifaceID: "port-p1")
        try await d.waitForLine(containing: ["topology: port port-p1"])
        try await d.waitForLog("managed ports updated")
        #expect(try node.vsctl(["list-ports", "br-int"]) == "taas-tun\nvm1\n")
    }

    @Test func aDeclaredTopologyIsNumberedFromOpenFlow() async throws {
        try node.vsctl(["add-port", "br-int", "tap1", "--", "set", "interface", "tap1", "type=internal"])
        _ = try inNode("ip", ["link", "set", "tap1", "up"])
        let file = "\(node.dir)/topology.yaml"
        try """
            nodes:
              - id: lab-1
                datapath_id: "00000000000000b1"
                encap_ip: 192.0.2.21
            ports:
              - id: static-1
                node: lab-1
                name: tap1
                mac: "02:00:00:00:0b:09"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let d = try taasd(["--topology", file])
        defer { d.stop() }
        try await d.waitForLog("listening for switches")
        try node.vsctl(["set-controller", "br-int", "tcp:127.0.0.1:6653", "--", "set", "controller", "br-int", "connection-mode=out-of-band"])
        let ofport = try node.vsctl(["get", "interface", "tap1", "ofport"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try await d.waitForLine(containing: ["topology: port static-1", "OpenFlow port \(ofport)", "up"])
        let ports = try inNode(BuiltProducts.path("taasctl"), ["port", "list", "--url", "http://127.0.0.1:9696"])
        #expect(ports.contains("static-1") && ports.contains("lab-1") && ports.contains("ACTIVE"), "\(ports)")

        // A mistake in the file stops taasd with the place and the problem.
        try "nodes:\n  - id: x\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try Command.run(BuiltProducts.path("taasd"), ["--topology", file, "--db", "\(node.dir)/bad.sqlite", "--api", "127.0.0.1:1"])
        #expect(bad.status != 0 && bad.stderr.contains("nodes[0].datapath_id: missing"), "\(bad.stderr)")
    }

    @Test func sslTargetWithCertificatesFromOneCA() async throws {
        let pki = "\(node.dir)/pki"
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        try Command.check("ovs-pki", ["--dir=\(pki)/ca", "init", "--force"])
        try Command.check("sh", ["-c", "cd \"$0\" && ovs-pki --dir=\"$0/ca\" -b req+sign ctl controller >/dev/null && ovs-pki --dir=\"$0/ca\" -b req+sign db switch >/dev/null", pki])
        // The node's ovsdb-server listens with TLS; taasd dials it with a certificate from the same PKI.
        try node.vsctl(["set-ssl", "\(pki)/db-privkey.pem", "\(pki)/db-cert.pem", "\(pki)/ca/controllerca/cacert.pem"])
        try node.vsctl(["set-manager", "pssl:6642:127.0.0.1"])
        let d = try taasd(["--ovsdb", "ssl:127.0.0.1:6642", "--ssl-private-key", "\(pki)/ctl-privkey.pem",
                           "--ssl-certificate", "\(pki)/ctl-cert.pem", "--ssl-ca-cert", "\(pki)/ca/switchca/cacert.pem"])
        defer { d.stop() }
        try await d.waitForLog("OVSDB session up", seconds: 30)
        try await d.waitForLog("topology: node node-b appeared")
    }
}
