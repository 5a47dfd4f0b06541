import Foundation
import TaaSTestSupport
import Testing

/// The taasd executable serving its API on loopback, spoken to with curl.
@Suite(.offCooperativePool) struct LiveDaemonTests {
    @Test func servesTheDescriptionAndEnforcesTokens() async throws {
        let dir = "/tmp/taas-live-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "t-admin admin admin\n".write(toFile: "\(dir)/tokens", atomically: true, encoding: .utf8)
        let port = TestPorts.block()
        let d = try Daemon(BuiltProducts.path("taasd"), ["--db", "\(dir)/taasd.sqlite", "--api", "127.0.0.1:\(port)",
                                                         "--openflow", "punix:\(dir)/of.sock", "--auth", "tokens:\(dir)/tokens"],
                           logPath: "\(dir)/taasd.log")
        defer { d.stop() }
        let base = "http://127.0.0.1:\(port)"
        func curl(_ args: String...) async throws -> String {
            try await Command.runOffPool(try Command.tool("curl"), ["-s", "--retry", "50", "--retry-connrefused", "--retry-delay", "0",
                                                                   "--max-time", "20", "-w", "\n%{http_code}"] + args).stdout
        }
        // The served description is the repository's, and needs no token.
        let served = try await curl("\(base)/openapi.json")
        let file = try String(contentsOf: Repository.openAPI, encoding: .utf8)
        #expect(served == file + "\n200", "\(d.log)")
        // Everything else does.
        #expect(try await curl("\(base)/v2.0/taas/tap_services").hasSuffix("\n401"))
        let created = try await curl("-H", "X-Auth-Token: t-admin", "-H", "Content-Type: application/json",
                                     "-d", #"{"tap_service": {"port_id": "absent"}}"#, "\(base)/v2.0/taas/tap_services")
        #expect(created.contains("PortNotFound") && created.hasSuffix("\n404"), "\(created)")
        let listed = try await curl("-H", "X-Auth-Token: t-admin", "\(base)/v2.0/ports")
        #expect(listed == "{\"ports\":[]}\n200", "\(listed)")
    }
}
