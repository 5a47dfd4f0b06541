import Foundation
import Hummingbird
import Synchronization
import TaaSPolicy

/// How callers are identified: everyone is admin (labs), `X-Auth-Token` looked up in a file, or
/// validated by an authority (Keystone).
public enum AuthMode: Sendable {
    case none
    /// Token → caller.
    case tokens([String: Caller])
    /// Asked of Keystone (or anything else that knows tokens).
    case external(any TokenAuthority)
    /// Whatever the source holds now (replaced on reload, e.g. SIGHUP re-reading the tokens file).
    case reloadable(AuthSource)

    /// Parses a tokens file: one `TOKEN PROJECT ROLE[,ROLE…]` per line; `#` starts a comment.
    /// Roles: admin, member, reader.
    public static func parseTokens(_ text: String) throws -> AuthMode {
        var map: [String: Caller] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.isEmpty { continue }
            guard parts.count == 3 else { throw APIError.badRequest("tokens file line \(n + 1): expected TOKEN PROJECT ROLES") }
            let roles = Set(parts[2].split(separator: ",").map(String.init))
            guard !roles.isEmpty, roles.isSubset(of: ["admin", "member", "reader"]) else {
                throw APIError.badRequest("tokens file line \(n + 1): roles are admin, member, reader")
            }
            map[String(parts[0])] = Caller(projectID: String(parts[1]), isAdmin: roles.contains("admin"),
                                           canWrite: roles.contains("admin") || roles.contains("member"))
        }
        return .tokens(map)
    }

    func caller(for request: Request) async throws -> Caller {
        let token = request.headers.first { $0.name.canonicalName == "x-auth-token" }?.value
        switch self {
        case .none:
            return .admin
        case .tokens(let map):
            guard let token, let caller = Self.lookUp(token, in: map) else {
                throw APIError(.unauthorized, "HTTPUnauthorized", "a valid X-Auth-Token is required")
            }
            return caller
        case .external(let authority):
            let unauthorized = { (why: String) in
                var e = APIError(.unauthorized, "HTTPUnauthorized", why)
                e.challenge = authority.challenge
                return e
            }
            guard let token, !token.isEmpty else { throw unauthorized("a valid X-Auth-Token is required") }
            let verdict: TokenVerdict
            do {
                verdict = try await authority.verdict(for: token)
            } catch {
                // As keystonemiddleware: the identity service is down, not the caller's token.
                throw APIError(.serviceUnavailable, "IdentityServiceUnavailable", "the token could not be validated: \(error)")
            }
            switch verdict {
            case .caller(let caller): return caller
            case .invalid(let why): throw unauthorized("a valid X-Auth-Token is required: \(why)")
            case .forbidden(let why): throw APIError(.forbidden, "PolicyNotAuthorized", why)
            }
        case .reloadable(let source):
            return try await source.current.caller(for: request)
        }
    }
}

/// Something that knows who holds a token (Keystone).
public protocol TokenAuthority: Sendable {
    /// Throws when it cannot tell (unreachable): the request gets 503, not 401.
    func verdict(for token: String) async throws -> TokenVerdict
    /// A `WWW-Authenticate` value for 401 answers: where to get a token.
    var challenge: String? { get }
}

/// What a token comes to.
public enum TokenVerdict: Hashable, Sendable {
    case caller(Caller)
    /// Unknown, expired or revoked: 401.
    case invalid(String)
    /// Valid, but of no use here (no project, no role taasd knows): 403.
    case forbidden(String)
}

extension AuthMode {
    /// The caller a token names, compared with every known token in time that does not depend
    /// on where they differ (a dictionary lookup stops at the first differing byte, which a
    /// client timing many guesses could learn from).
    static func lookUp(_ token: String, in map: [String: Caller]) -> Caller? {
        let given = Array(token.utf8)
        var found: Caller?
        for (known, caller) in map where equalInConstantTime(given, Array(known.utf8)) { found = caller }
        return found
    }

    /// Whether two byte strings are equal, looking at every byte of the longer one.
    static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        for i in 0..<max(a.count, b.count) { difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return difference == 0
    }
}

/// An auth mode that can be swapped while requests are served.
public final class AuthSource: Sendable {
    private let mode: Mutex<AuthMode>

    public init(_ mode: AuthMode) { self.mode = Mutex(mode) }

    public var current: AuthMode { mode.withLock { $0 } }
    public func replace(with mode: AuthMode) { self.mode.withLock { $0 = mode } }
}

/// The request context: who is calling.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller = .admin

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
