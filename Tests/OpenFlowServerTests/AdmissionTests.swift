import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NetworkTransport
import OpenFlowServer
import SwitchSession
import SwitchSimulator
import TaaSTestSupport
import Testing

/// Who gets a session: a bound on connections still in their handshake, and over TLS, a
/// datapath id taken over only by the certificate that holds it.
@Suite(.serialized) struct AdmissionTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test func connectionsBeyondTheHandshakeBoundAreRefusedUntilOneEnds() async throws {
        // The silent peers must outlast a slow run: the default keepalive (an echo after 5 s
        // idle, answered within 10 s) closed them at 15 s when every suite ran at once.
        let patient = SessionStateMachine.Configuration(idleInterval: .seconds(600), echoTimeout: .seconds(600), handshakeTimeout: .seconds(600))
        let server = try OpenFlowServer(configuration: .init(targets: [.passiveTCP(port: 0, host: "127.0.0.1")], session: patient,
                                                             maxHandshaking: 2),
                                        group: group, logger: Logger(label: "test"))
        let events = EventWaiter(server.registry)
        guard case .passiveTCP(let port, _)? = try await server.listen().first else { Issue.record("no listener"); return }
        func silent() async throws -> Channel {
            try await ClientBootstrap(group: group).channelOption(.autoRead, value: true).connect(host: "127.0.0.1", port: port).get()
        }
        let idle = [try await silent(), try await silent()]
        // A third silent peer is closed by the server at once; so is a switch while both wait.
        let third = try await silent()
        try await third.closeFuture.get()
        // (Closed before it could even set up, or right after.)
        if let refused = try? await SimulatedSwitch.connect(host: "127.0.0.1", port: port, datapathID: 0xa1, group: group) {
            try await refused.channelForTests.closeFuture.get()
        }
        #expect(server.registry.count == 0)
        // One idle peer leaves: a switch gets through (the server may take a moment to notice).
        try await idle[0].close()
        var admitted: SimulatedSwitch?
        for _ in 0..<100 {
            if let s = try? await SimulatedSwitch.connect(host: "127.0.0.1", port: port, datapathID: 0xa2, group: group) {
                try await Task.sleep(for: .milliseconds(50))
                if s.channelForTests.isActive { admitted = s; break }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let sw = try #require(admitted, "no switch admitted after an idle peer left")
        _ = try await events.next("ready") { if case .connected(let info) = $0 { info.datapathID == 0xa2 } else { false } }
        #expect(idle[1].isActive, "the other idle peer is still waiting, not dropped")
        await sw.close()
        try await idle[1].close()
        await server.shutdown()
    }

    @Test func overTLSADatapathIDIsTakenOverOnlyWithItsCertificate() async throws {
        let dir = try APIFixture.TemporaryDirectory("/tmp/taas-admission-\(UInt32.random(in: 0...UInt32.max))")
        let pki = try TestPKI(in: dir.path)
        let a = try pki.issue("switch-a", subject: "/CN=switch a")
        let b = try pki.issue("switch-b", subject: "/CN=switch b")
        let server = try OpenFlowServer(configuration: .init(targets: [.passiveSSL(port: 0, host: "127.0.0.1")],
                                                             tls: TLSFiles(privateKey: pki.serverKey, certificate: pki.serverCertificate,
                                                                           caCertificate: pki.caCertificate)),
                                        group: group, logger: Logger(label: "test"))
        let events = EventWaiter(server.registry)
        guard case .passiveSSL(let port, _)? = try await server.listen().first else { Issue.record("no listener"); return }
        func context(_ cert: (certificate: String, key: String)) throws -> NIOSSLContext {
            var c = TLSConfiguration.makeClientConfiguration()
            c.certificateChain = try NIOSSLCertificate.fromPEMFile(cert.certificate).map { .certificate($0) }
            c.privateKey = .privateKey(try NIOSSLPrivateKey(file: cert.key, format: .pem))
            c.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.caCertificate))
            return try NIOSSLContext(configuration: c)
        }
        let first = try await SimulatedSwitch.connect(host: "127.0.0.1", port: port, datapathID: 0xb1, tls: try context(a), group: group)
        _ = try await events.next("a ready") { if case .connected = $0 { true } else { false } }
        let held = try #require(server.registry.connection(datapathID: 0xb1))
        #expect(held.certificate != nil)

        // Another certificate of the same CA claims the datapath id: refused, the session stays.
        // (Refused so fast, on a busy machine, that connecting may fail as the channel closes.)
        if let impostor = try? await SimulatedSwitch.connect(host: "127.0.0.1", port: port, datapathID: 0xb1, tls: try context(b), group: group) {
            try await impostor.channelForTests.closeFuture.get()
        }
        #expect(server.registry.count == 1)
        #expect(server.registry.connection(datapathID: 0xb1) == held && first.channelForTests.isActive)
        #expect(!events.seen.contains { if case .disconnected = $0 { true } else { false } }, "the held session was never dropped")

        // The same certificate reconnecting (a switch restarted) replaces the session.
        let again = try await SimulatedSwitch.connect(host: "127.0.0.1", port: port, datapathID: 0xb1, tls: try context(a), group: group)
        _ = try await events.next("replaced") { if case .disconnected(0xb1, let r) = $0 { r.contains("replaced") } else { false } }
        _ = try await events.next("a again") { if case .connected = $0 { true } else { false } }
        #expect(server.registry.connection(datapathID: 0xb1) != held)
        await again.close()
        await first.close()
        await server.shutdown()
    }
}
