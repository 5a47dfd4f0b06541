import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import TaaSAPI
import TaaSKeystone
import TaaSPolicy
import Testing

/// The validator against a stand-in Keystone on loopback speaking the identity API's two calls:
/// real HTTP through the real client, counted. (The real Keystone is in the end-to-end tests.)
@Suite struct KeystoneValidatorTests {
    /// What the stand-in knows and how often it was asked.
    final class Fake: Sendable {
        struct State {
            var serviceTokens = 0
            var validations = 0
            var current = ""
            var users: [String: (project: String, roles: [String])] = [:]
        }
        let state = Mutex(State())

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.post("/v3/auth/tokens") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 16)
                let text = String(buffer: body)
                guard text.contains("\"secret\"") && text.contains("\"service\"") else {
                    return Response(status: .unauthorized)
                }
                let token = self.state.withLock { s in
                    s.serviceTokens += 1
                    s.current = "svc-\(s.serviceTokens)"
                    return s.current
                }
                var headers = HTTPFields()
                headers[.init("X-Subject-Token")!] = token
                return Response(status: .created, headers: headers,
                                body: .init(byteBuffer: ByteBuffer(string: #"{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "roles": [{"id": "s", "name": "service"}], "project": {"id": "svc"}}}"#)))
            }
            router.get("/v3/auth/tokens") { request, _ -> Response in
                let auth = request.headers[.init("X-Auth-Token")!] ?? ""
                let subject = request.headers[.init("X-Subject-Token")!] ?? ""
                let (ok, user) = self.state.withLock { s in
                    s.validations += 1
                    return (auth == s.current, s.users[subject])
                }
                guard ok else { return Response(status: .unauthorized) }
                guard let user else { return Response(status: .notFound) }
                try await Task.sleep(for: .milliseconds(50))
                let roles = user.roles.map { #"{"id": "x", "name": "\#($0)"}"# }.joined(separator: ",")
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(
                    string: #"{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "project": {"id": "\#(user.project)"}, "roles": [\#(roles)]}}"#)))
            }
            return router
        }
    }

    static func withKeystone(_ body: @Sendable (Fake, KeystoneSettings) async throws -> Void) async throws {
        let fake = Fake()
        fake.state.withLock { $0.users = ["alice": ("p1", ["member", "reader"]), "bob": ("p2", ["reader"])] }
        try await Application(router: fake.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
            let port = try #require(client.port)
            let settings = try KeystoneSettings(fields: ["auth_url": "http://127.0.0.1:\(port)/v3", "username": "taas", "password": "secret",
                                                         "project_name": "service"])
            try await body(fake, settings)
        }
    }

    /// The fake answers from this process: on a loaded machine (the whole unit suite on 2 cores)
    /// an answer can wait longer than taasd's 5 s, which is not what these tests are about.
    static func validator(_ settings: KeystoneSettings) -> KeystoneValidator {
        KeystoneValidator(settings: settings, client: KeystoneClient(settings: settings, timeout: .seconds(60)), logger: Logger(label: "test"))
    }

    @Test func concurrentRequestsWithOneTokenAskKeystoneOnce() async throws {
        try await Self.withKeystone { fake, settings in
            let v = Self.validator(settings)
            let verdicts = try await withThrowingTaskGroup(of: TokenVerdict.self) { group in
                for _ in 0..<50 { group.addTask { try await v.verdict(for: "alice") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(verdicts) == [.caller(Caller(projectID: "p1", isAdmin: false, canWrite: true))])
            #expect(try await v.verdict(for: "bob") == .caller(Caller(projectID: "p2", isAdmin: false, canWrite: false)))
            guard case .invalid = try await v.verdict(for: "mallory") else { Issue.record("an unknown token"); return }
            _ = try await v.verdict(for: "mallory")
            _ = try await v.verdict(for: "alice")
            let s = fake.state.withLock { $0 }
            #expect(s.serviceTokens == 1 && s.validations == 3, "one service token; alice, bob, mallory asked once each: \(s.validations)")
        }
    }

    @Test func aRefusedServiceTokenIsReplacedAndTheRequestGoesThrough() async throws {
        try await Self.withKeystone { fake, settings in
            let v = Self.validator(settings)
            _ = try await v.verdict(for: "alice")
            fake.state.withLock { $0.current = "revoked" }
            #expect(try await v.verdict(for: "bob") == .caller(Caller(projectID: "p2", isAdmin: false, canWrite: false)))
            #expect(fake.state.withLock { $0.serviceTokens } == 2)
        }
    }

    @Test func wrongCredentialsOrNoKeystoneThrowRatherThanSayInvalid() async throws {
        try await Self.withKeystone { _, settings in
            var wrong = settings
            wrong.password = "wrong"
            await #expect(throws: KeystoneFailure.self) { try await KeystoneValidator(settings: wrong, logger: Logger(label: "test")).verdict(for: "alice") }
        }
        let nobody = try KeystoneSettings(fields: ["auth_url": "http://127.0.0.1:1/v3", "username": "taas", "password": "secret", "project_name": "service"])
        await #expect(throws: KeystoneFailure.self) { try await KeystoneValidator(settings: nobody, logger: Logger(label: "test")).verdict(for: "alice") }
    }
}
