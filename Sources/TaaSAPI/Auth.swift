import Foundation
import Hummingbird
import TaaSPolicy

/// How callers are identified: everyone is admin (labs), or `X-Auth-Token` looked up in a file.
public enum AuthMode: Sendable {
    case none
    /// Token → caller.
    case tokens([String: Caller])
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

    func caller(for request: Request) throws -> Caller {
        switch self {
        case .none:
            return .admin
        case .tokens(let map):
            let token = request.headers.first { $0.name.canonicalName == "x-auth-token" }?.value
            guard let token, let caller = map[token] else {
                throw APIError(.unauthorized, "HTTPUnauthorized", "a valid X-Auth-Token is required")
            }
            return caller
        case .reloadable(let source):
            return try source.current.caller(for: request)
        }
    }
}

/// An auth mode that can be swapped while requests are served.
public final class AuthSource: @unchecked Sendable {
    private let lock = NSLock()
    private var mode: AuthMode

    public init(_ mode: AuthMode) { self.mode = mode }

    public var current: AuthMode { lock.withLock { mode } }
    public func replace(with mode: AuthMode) { lock.withLock { self.mode = mode } }
}

/// The request context: who is calling.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller = .admin

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
