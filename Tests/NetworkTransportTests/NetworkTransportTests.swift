import Foundation
import NetworkTransport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@Suite struct ConnectionTargetTests {
    @Test func targetsParse() throws {
        #expect(try ConnectionTarget(parsing: "ptcp:6653") == .passiveTCP(port: 6653, host: "0.0.0.0"))
        #expect(try ConnectionTarget(parsing: "ptcp:") == .passiveTCP(port: 6653, host: "0.0.0.0"))
        #expect(try ConnectionTarget(parsing: "ptcp:0:127.0.0.1") == .passiveTCP(port: 0, host: "127.0.0.1"))
        #expect(try ConnectionTarget(parsing: "pssl:6653:[::1]") == .passiveSSL(port: 6653, host: "::1"))
        #expect(try ConnectionTarget(parsing: "punix:/run/taasd.sock") == .passiveUnix(path: "/run/taasd.sock"))
        #expect(try ConnectionTarget(parsing: "tcp:192.0.2.1") == .activeTCP(host: "192.0.2.1", port: 6653))
        #expect(try ConnectionTarget(parsing: "ssl:[2001:db8::1]:6654") == .activeSSL(host: "2001:db8::1", port: 6654))
        #expect(try ConnectionTarget(parsing: "unix:/var/run/openvswitch/br-int.mgmt") == .activeUnix(path: "/var/run/openvswitch/br-int.mgmt"))
        for bad in ["", "6653", "http:1", "ptcp:99999", "tcp:", "tcp:1.2.3.4:x", "punix:", "ptcp:1:a b"] {
            #expect(throws: ConnectionTarget.ParseError.self, "\(bad)") { try ConnectionTarget(parsing: bad) }
        }
        #expect(try ConnectionTarget(parsing: "ssl:[::1]:6653").description == "ssl:[::1]:6653")
    }
}

@Suite struct TLSFilesTests {
    @Test func plaintextTargetsNeedNoFiles() throws {
        let targets = try ["ptcp:6653", "unix:/run/x.sock"].map { try ConnectionTarget(parsing: $0) }
        let (server, client) = try TLSFiles.contexts(for: targets, nil, what: "OpenFlow targets")
        #expect(server == nil && client == nil)
    }

    @Test func aTLSTargetWithoutFilesNamesWhatIsMissing() throws {
        let targets = [try ConnectionTarget(parsing: "pssl:6653")]
        #expect {
            _ = try TLSFiles.contexts(for: targets, nil, what: "OpenFlow targets")
        } throws: { error in
            "\(error)".contains("OpenFlow targets need --ssl-private-key")
        }
    }

    @Test func unreadableFilesAreNamedInTheError() throws {
        let files = TLSFiles(privateKey: "/nonexistent/key.pem", certificate: "/nonexistent/cert.pem", caCertificate: "/nonexistent/ca.pem")
        #expect {
            _ = try TLSFiles.contexts(for: [try ConnectionTarget(parsing: "ssl:192.0.2.1")], files, what: "OVSDB targets")
        } throws: { error in
            "\(error)".contains("/nonexistent/cert.pem") && "\(error)".contains("/nonexistent/key.pem")
        }
    }
}

/// Binding and connecting on loopback and in a private directory: the module's own I/O.
@Suite struct TransportTests {
    final class Echo: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.writeAndFlush(data, promise: nil)
        }
    }

    static func server() -> ServerBootstrap {
        ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.pipeline.addHandler(Echo()) }
    }

    @Test func portZeroIsResolvedToTheBoundPort() async throws {
        guard let (channel, bound) = try await Transport.bind(try ConnectionTarget(parsing: "ptcp:0:127.0.0.1"), Self.server()) else {
            Issue.record("a passive target was not bound"); return
        }
        defer { channel.close(promise: nil) }
        guard case .passiveTCP(let port, "127.0.0.1") = bound else { Issue.record("bound as \(bound)"); return }
        #expect(port != 0 && port == channel.localAddress?.port)
        // Active targets are not bound.
        #expect(try await Transport.bind(try ConnectionTarget(parsing: "tcp:127.0.0.1"), Self.server()) == nil)
    }

    @Test func aUnixTargetConnectsToWhatIsBound() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("s.sock").path
        guard let (listener, _) = try await Transport.bind(.passiveUnix(path: path), Self.server()) else {
            Issue.record("not bound"); return
        }
        defer { listener.close(promise: nil) }
        let client = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        #expect(try await Transport.connect(.passiveUnix(path: path), client) == nil, "a passive target is not dialled")
        guard let channel = try await Transport.connect(.activeUnix(path: path), client) else {
            Issue.record("not connected"); return
        }
        #expect(channel.isActive)
        try await channel.close()
    }

    @Test func redialTriesAgainUntilCancelled() async throws {
        let attempts = NIOLockedValueBox(0)
        let task = Task {
            await Transport.redial(min: .milliseconds(1), max: .milliseconds(4)) {
                attempts.withLockedValue { $0 += 1 }
                return false
            }
        }
        while attempts.withLockedValue({ $0 }) < 3 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        await task.value
        let after = attempts.withLockedValue { $0 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(attempts.withLockedValue { $0 } == after, "attempts went on after cancellation")
    }
}
