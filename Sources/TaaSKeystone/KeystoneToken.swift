import Foundation
import TaaSAPI
import TaaSPolicy

/// The part of Keystone's token document (`GET /v3/auth/tokens`, `POST /v3/auth/tokens`) that
/// decides who a caller is.
public struct KeystoneToken: Decodable, Hashable, Sendable {
    public struct Named: Decodable, Hashable, Sendable {
        public var id: String
        public var name: String?
    }
    public struct System: Decodable, Hashable, Sendable {
        public var all: Bool?
    }

    public var expiresAt: Date
    public var project: Named?
    public var system: System?
    public var roles: [Named]
    public var user: Named?

    enum CodingKeys: String, CodingKey {
        case expiresAt = "expires_at", project, system, roles, user
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .expiresAt)
        guard let date = Self.date(text) else {
            throw DecodingError.dataCorruptedError(forKey: .expiresAt, in: c, debugDescription: "not an ISO 8601 time: \(text)")
        }
        expiresAt = date
        project = try c.decodeIfPresent(Named.self, forKey: .project)
        system = try c.decodeIfPresent(System.self, forKey: .system)
        roles = try c.decodeIfPresent([Named].self, forKey: .roles) ?? []
        user = try c.decodeIfPresent(Named.self, forKey: .user)
    }

    /// Keystone writes `2026-12-07T08:11:13.000000Z` (microseconds), which ISO8601DateFormatter's
    /// fractional option does not read; the fraction is cut to milliseconds first.
    static func date(_ text: String) -> Date? {
        var t = text
        if let dot = t.firstIndex(of: "."), let end = t[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) {
            let fraction = t[t.index(after: dot)..<end].prefix(3)
            t = String(t[..<dot]) + "." + fraction.padding(toLength: 3, withPad: "0", startingAt: 0) + t[end...]
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = t.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return f.date(from: t)
    }

    /// Who the token's holder is to taasd, as Neutron's default policy sees roles: admin acts on
    /// every project, member (and manager) writes in its project, reader only reads.
    public func verdict(now: Date) -> TokenVerdict {
        guard expiresAt > now else { return .invalid("the token expired at \(expiresAt)") }
        let names = Set(roles.compactMap { $0.name?.lowercased() })
        let isAdmin = names.contains("admin")
        let canWrite = isAdmin || !names.isDisjoint(with: ["member", "_member_", "manager"])
        guard canWrite || names.contains("reader") else {
            return .forbidden("the token's roles (\(names.sorted().joined(separator: ", "))) include none of admin, member, reader")
        }
        if let project {
            return .caller(Caller(projectID: project.id, isAdmin: isAdmin, canWrite: canWrite))
        }
        if system?.all == true, isAdmin {
            return .caller(Caller(projectID: "", isAdmin: true, canWrite: true))
        }
        return .forbidden("the token is not scoped to a project")
    }
}
