import Foundation
import TaaSAPI
import TaaSKeystone
import TaaSPolicy
import Testing

/// What a Keystone token document comes to: roles and scope to a caller, as Neutron's default
/// policy reads them.
@Suite struct KeystoneTokenTests {
    static func token(roles: [String], project: String? = "p1", system: Bool = false, expires: String = "2099-01-01T00:00:00.000000Z") throws
        -> KeystoneToken
    {
        var token: [String: Any] = ["expires_at": expires, "issued_at": "2026-12-07T07:00:00.000000Z", "methods": ["password"],
                                    "user": ["id": "u1", "name": "alice", "domain": ["id": "default", "name": "Default"]],
                                    "roles": roles.enumerated().map { ["id": "r\($0.offset)", "name": $0.element] }, "audit_ids": ["x"]]
        if let project { token["project"] = ["id": project, "name": "demo", "domain": ["id": "default", "name": "Default"]] }
        if system { token["system"] = ["all": true] }
        let data = try JSONSerialization.data(withJSONObject: ["token": token])
        struct Doc: Decodable { var token: KeystoneToken }
        return try JSONDecoder().decode(Doc.self, from: data).token
    }

    @Test func rolesMapToWhatACallerMayDo() throws {
        let now = Date()
        #expect(try Self.token(roles: ["member", "reader"]).verdict(now: now) == .caller(Caller(projectID: "p1", isAdmin: false, canWrite: true)))
        #expect(try Self.token(roles: ["reader"]).verdict(now: now) == .caller(Caller(projectID: "p1", isAdmin: false, canWrite: false)))
        #expect(try Self.token(roles: ["admin"]).verdict(now: now) == .caller(Caller(projectID: "p1", isAdmin: true, canWrite: true)))
        #expect(try Self.token(roles: ["Member"]).verdict(now: now) == .caller(Caller(projectID: "p1", isAdmin: false, canWrite: true)),
                "role names compare without case, as oslo.policy's role check does")
        guard case .forbidden(let why) = try Self.token(roles: ["service"]).verdict(now: now) else { Issue.record("a role taasd does not know"); return }
        #expect(why.contains("service") && why.contains("admin, member, reader"))
    }

    @Test func scopeDecidesTheProject() throws {
        let now = Date()
        guard case .forbidden(let why) = try Self.token(roles: ["member"], project: nil).verdict(now: now) else {
            Issue.record("a domain-scoped token has no project"); return
        }
        #expect(why.contains("not scoped to a project"))
        #expect(try Self.token(roles: ["admin"], project: nil, system: true).verdict(now: now) == .caller(Caller(projectID: "", isAdmin: true)))
        guard case .forbidden = try Self.token(roles: ["reader"], project: nil, system: true).verdict(now: now) else {
            Issue.record("a system reader is not an admin"); return
        }
    }

    @Test func keystoneTimesWithMicrosecondsAreRead() throws {
        let t = try Self.token(roles: ["member"], expires: "2026-12-07T08:11:13.123456Z")
        #expect(abs(t.expiresAt.timeIntervalSince1970 - 1_796_631_073.123) < 0.001)
        #expect(try Self.token(roles: ["member"], expires: "2026-12-07T08:11:13Z").expiresAt.timeIntervalSince1970 == 1_796_631_073)
        guard case .invalid = try Self.token(roles: ["member"], expires: "2020-01-01T00:00:00.000000Z").verdict(now: Date()) else {
            Issue.record("an expired token is no caller"); return
        }
        #expect(throws: DecodingError.self) { try Self.token(roles: ["member"], expires: "tomorrow") }
    }
}
