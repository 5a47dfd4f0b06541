import Foundation
import TaaSTestSupport
import Testing

/// The taasd executable with real bridges over TCP and TLS. taasd runs inside the node's
/// namespace so that every address used is the namespace's own loopback.
@Suite(.serialized, .offCooperativePool) final class TaasdTransportTests {
    let node: OVSNode

    init() throws {
        node = try OVSNode()
        do { try node.addIntegrationBridge(datapathID: 0xc1) } catch {
            node.stop()
            throw error
        }
    }

    deinit { node.stop() }

    func taasd(_ args: [String]) throws -> Daemon {
        let bin = BuiltProducts.path("taasd")
        #expect(FileManager.default.isExecutableFile(atPath: bin), "build taasd first: \(bin)")
        // Its own database and API port inside the node's namespace: nothing of the host is touched.
        return try Daemon(try Command.tool("ip"), ["netns", "exec", node.name, bin, "--db", "\(node.dir)/taasd.sqlite",
                                                   "--api", "127.0.0.1:9696"] + args, logPath: "\(node.dir)/taasd.log")
    }

    @Test func tcpBridgeConnects() async throws {
        let d = try taasd(["--openflow", "ptcp:6653:127.0.0.1", "--echo-interval", "1", "--echo-timeout", "2"])
        defer { d.stop() }
        try await d.waitForLog("listening for switches")
        try node.vsctl(["set-controller", "br-int", "tcp:127.0.0.1:6653", "--", "set", "controller", "br-int", "connection-mode=out-of-band"])
        try await d.waitForLine(containing: ["switch connected", "datapath_id=00000000000000c1"])
        // Idle sessions stay up through the keepalive: no disconnect after several echo rounds.
        try await Task.sleep(for: .seconds(3))
        #expect(!d.log.contains("switch disconnected"), "\(d.log)")
    }

    @Test func tcpTargetDialsAListeningBridge() async throws {
        // The bridge listens (`ptcp:`); taasd dials it, and dials again after the switch restarts.
        try node.vsctl(["set-controller", "br-int", "ptcp:6654:127.0.0.1"])
        let d = try taasd(["--openflow", "tcp:127.0.0.1:6654"])
        defer { d.stop() }
        try await d.waitForLine(containing: ["switch connected", "datapath_id=00000000000000c1"])
        try node.killSwitch()
        try await d.waitForLine(containing: ["switch disconnected", "datapath_id=00000000000000c1"])
        try node.startSwitch()
        let connectedLines = { d.log.split(separator: "\n").filter { $0.contains("switch connected") }.count }
        let deadline = Date().addingTimeInterval(30)
        while connectedLines() < 2 && Date() < deadline { try await Task.sleep(for: .seconds(0.1)) }
        #expect(connectedLines() == 2, "\(d.log)")
    }

    @Test func aRestartedTaasdDialingTheBridgeFindsItsProgramAndSendsNothing() async throws {
        // The fast-restart deployment: the bridge listens, so nothing waits on Open vSwitch's
        // reconnection backoff. Listening from the start: a bridge that loses its last primary
        // controller is flushed by Open vSwitch, once.
        try node.vsctl(["set-controller", "br-int", "ptcp:6655:127.0.0.1"])
        let args = ["--openflow", "tcp:127.0.0.1:6655", "--ovsdb", node.db]
        let first = try taasd(args)
        try await first.waitForLine(containing: ["bridge programmed", "flows_added="])
        let flows = try node.ofctl("dump-flows", options: ["--no-stats"])
        #expect(try node.flowCount() > 0, "\(first.log)")
        first.stop()
        let second = try taasd(args)
        defer { second.stop() }
        try await second.waitForLog("bridge already holds its program")
        #expect(!second.log.contains("bridge programmed"), "\(second.log)")
        #expect(try node.ofctl("dump-flows", options: ["--no-stats"]) == flows)
    }

    /// Makes a PKI with ovs-pki: a controller certificate and a switch certificate.
    func pki(_ dir: String) throws {
        try Command.check("ovs-pki", ["--dir=\(dir)/pki", "init", "--force"])
        try Command.check("sh", ["-c", "cd \"$0\" && ovs-pki --dir=\"$0/pki\" -b req+sign ctl controller >/dev/null && ovs-pki --dir=\"$0/pki\" -b req+sign sc switch >/dev/null", dir])
    }

    @Test func sslBridgeWithOurCAConnectsAndAnotherCAIsRefused() async throws {
        let ours = "\(node.dir)/ours", theirs = "\(node.dir)/theirs"
        try FileManager.default.createDirectory(atPath: ours, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: true)
        try pki(ours)
        try pki(theirs)
        let d = try taasd(["--openflow", "pssl:6653:127.0.0.1", "--ssl-private-key", "\(ours)/ctl-privkey.pem",
                           "--ssl-certificate", "\(ours)/ctl-cert.pem", "--ssl-ca-cert", "\(ours)/pki/switchca/cacert.pem"])
        defer { d.stop() }
        try await d.waitForLog("listening for switches")

        // A switch whose certificate comes from another CA is refused.
        try node.vsctl(["set-ssl", "\(theirs)/sc-privkey.pem", "\(theirs)/sc-cert.pem", "\(ours)/pki/controllerca/cacert.pem"])
        try node.vsctl(["set-controller", "br-int", "ssl:127.0.0.1:6653", "--", "set", "controller", "br-int", "connection-mode=out-of-band"])
        try await d.waitForLog("connection error")
        try await Task.sleep(for: .seconds(2))
        #expect(!d.log.contains("switch connected"), "\(d.log)")

        // With a certificate from our CA it connects.
        try node.vsctl(["set-ssl", "\(ours)/sc-privkey.pem", "\(ours)/sc-cert.pem", "\(ours)/pki/controllerca/cacert.pem"])
        try await d.waitForLine(containing: ["switch connected", "datapath_id=00000000000000c1"], seconds: 30)
    }

    @Test func sslTargetDialsAListeningBridge() async throws {
        let ours = "\(node.dir)/ours"
        try FileManager.default.createDirectory(atPath: ours, withIntermediateDirectories: true)
        try pki(ours)
        try node.vsctl(["set-ssl", "\(ours)/sc-privkey.pem", "\(ours)/sc-cert.pem", "\(ours)/pki/controllerca/cacert.pem"])
        try node.vsctl(["set-controller", "br-int", "pssl:6655:127.0.0.1"])
        let d = try taasd(["--openflow", "ssl:127.0.0.1:6655", "--ssl-private-key", "\(ours)/ctl-privkey.pem",
                           "--ssl-certificate", "\(ours)/ctl-cert.pem", "--ssl-ca-cert", "\(ours)/pki/switchca/cacert.pem"])
        defer { d.stop() }
        try await d.waitForLine(containing: ["switch connected", "datapath_id=00000000000000c1"], seconds: 30)
    }

    @Test func badFlagsAreRefusedWithAClearMessage() async throws {
        let bin = BuiltProducts.path("taasd")
        let out = try Command.run("sh", ["-c", "\"$0\" --openflow http:6653 2>&1; echo exit=$?", bin])
        #expect(out.stdout.contains("bad OpenFlow target \"http:6653\""), "\(out.stdout)")
        #expect(out.stdout.contains("exit=64"))
        let tls = try Command.run("sh", ["-c", "\"$0\" --openflow pssl:6653 2>&1; echo exit=$?", bin])
        #expect(tls.stdout.contains("ssl targets need --ssl-private-key"), "\(tls.stdout)")
        #expect(!tls.stdout.contains("exit=0"))
    }
}

extension TaasdTransportTests {
    /// The running taasd serves the REST API, and after a kill -9 starts again on the same database.
    @Test func apiServesAndRestartsOnItsDatabase() async throws {
        let d = try taasd(["--openflow", "ptcp:6653:127.0.0.1"])
        try await d.waitForLog("listening on 127.0.0.1:9696")
        func curl(_ args: [String]) throws -> String {
            try Command.check("ip", ["netns", "exec", node.name, "curl", "-s", "--max-time", "5"] + args)
        }
        #expect(try curl(["http://127.0.0.1:9696/"]).contains("\"id\":\"v2.0\""))
        let refused = try curl(["-X", "POST", "-d", "{\"tap_service\": {\"port_id\": \"nope\"}}", "http://127.0.0.1:9696/v2.0/taas/tap_services"])
        #expect(refused.contains("PortNotFound"), "\(refused)")
        kill(d.process.processIdentifier, SIGKILL)
        d.process.waitUntilExit()
        // Restarted on the same database, it serves again.
        let again = try taasd(["--openflow", "ptcp:6653:127.0.0.1"])
        defer { again.stop() }
        try await again.waitForLog("listening on 127.0.0.1:9696")
        #expect(try curl(["http://127.0.0.1:9696/v2.0/taas/tap_services"]) == "{\"tap_services\":[]}")
    }
}
