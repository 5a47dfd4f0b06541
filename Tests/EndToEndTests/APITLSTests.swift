import Foundation
import TaaSTestSupport
import Testing

/// The API over HTTPS with client certificates, and a secret file every user can read named in
/// a warning at start.
@Suite(.offCooperativePool) struct APITLSTests {
    @Test func clientCertificatesAreRequiredWhenACAIsGiven() async throws {
        let dir = try APIFixture.TemporaryDirectory("/tmp/taas-apitls-\(UInt32.random(in: 0...UInt32.max))")
        let pki = try TestPKI(in: "\(dir.path)/pki")
        let stranger = try TestPKI(in: "\(dir.path)/other")
        let (api, openflow) = (TestPorts.block(), TestPorts.block())
        // A tokens file as an editor leaves it (0644).
        try "t-admin admin admin\n".write(toFile: "\(dir.path)/tokens", atomically: true, encoding: .utf8)
        chmod("\(dir.path)/tokens", 0o644)
        let d = try Daemon(BuiltProducts.path("taasd"), [
            "--db", "\(dir.path)/taasd.sqlite", "--api", "127.0.0.1:\(api)", "--auth", "tokens:\(dir.path)/tokens",
            "--api-tls-certificate", pki.serverCertificate, "--api-tls-private-key", pki.serverKey, "--api-tls-ca-cert", pki.caCertificate,
            "--ssl-private-key", pki.serverKey, "--ssl-certificate", pki.serverCertificate, "--ssl-ca-cert", pki.caCertificate,
            "--openflow", "pssl:\(openflow):127.0.0.1",
        ], logPath: "\(dir.path)/taasd.log")
        defer { d.stop() }
        try await d.waitForLog("Server started")
        #expect(d.log.contains("the tokens file can be read by every user") && d.log.contains("mode=644"), "\(d.log)")

        func curl(_ extra: [String]) throws -> Command.Output {
            try Command.run("curl", ["-s", "--max-time", "10", "--cacert", pki.caCertificate, "-H", "X-Auth-Token: t-admin"] + extra
                            + ["https://127.0.0.1:\(api)/v2.0/taas/tap_services"])
        }
        // Without a client certificate, or with one another CA signed, no TLS session.
        #expect(try curl([]).status != 0)
        #expect(try curl(["--cert", stranger.clientCertificate, "--key", stranger.clientKey]).status != 0)
        let ok = try curl(["--cert", pki.clientCertificate, "--key", pki.clientKey, "-w", "\n%{http_code}"])
        #expect(ok.status == 0 && ok.stdout == "{\"tap_services\":[]}\n200", "\(ok.stdout)\(ok.stderr)")
        // The version document points clients at https.
        let versions = try Command.run("curl", ["-s", "--cacert", pki.caCertificate, "--cert", pki.clientCertificate, "--key", pki.clientKey,
                                                "https://127.0.0.1:\(api)/"]).stdout
        #expect(versions.contains("\"href\":\"https://127.0.0.1:\(api)/v2.0/\""), "\(versions)")
    }

    /// In a network namespace of the test's own, where every address is private to it: with TLS
    /// files and no --openflow, switches are awaited over TLS on every address; plaintext
    /// listeners beyond loopback are named in warnings.
    @Test func tlsFilesMakeTheDefaultListenerTLSAndPlaintextBeyondLoopbackIsWarnedOf() async throws {
        let dir = try APIFixture.TemporaryDirectory("/tmp/taas-tlsdefault-\(UInt32.random(in: 0...UInt32.max))")
        let pki = try TestPKI(in: "\(dir.path)/pki")
        let ns = "taastls" + String(UInt16.random(in: 0...UInt16.max), radix: 16)
        try Command.check("ip", ["netns", "add", ns])
        defer { _ = try? Command.run("ip", ["netns", "del", ns]) }
        try Command.check("ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"])
        let ip = try Command.tool("ip"), taasd = BuiltProducts.path("taasd")
        let tls = try Daemon(ip, ["netns", "exec", ns, taasd, "--db", "\(dir.path)/a.sqlite", "--api", "127.0.0.1:9696",
                                  "--ssl-private-key", pki.serverKey, "--ssl-certificate", pki.serverCertificate, "--ssl-ca-cert", pki.caCertificate],
                             logPath: "\(dir.path)/tls.log")
        defer { tls.stop() }
        try await tls.waitForLog("listening for switches")
        #expect(tls.log.contains("target=pssl:6653:0.0.0.0") && !tls.log.contains("without TLS"), "\(tls.log)")
        let plain = try Daemon(ip, ["netns", "exec", ns, taasd, "--db", "\(dir.path)/b.sqlite", "--api", "0.0.0.0:9697", "--openflow", "ptcp:6654"],
                               logPath: "\(dir.path)/plain.log")
        defer { plain.stop() }
        try await plain.waitForLog("listening for switches")
        #expect(plain.log.contains("the REST API listens without TLS beyond this machine") && plain.log.contains("OpenFlow on port 6654 listens without TLS"),
                "\(plain.log)")
    }
}
