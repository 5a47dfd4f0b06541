import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Keystone's identity API over HTTP(S): a token for taasd itself, and the document of a caller's
/// token. Every call waits at most `timeout`.
public struct KeystoneClient: Sendable {
    public enum Validation: Sendable {
        case token(KeystoneToken)
        /// Keystone does not know the token (404): unknown, expired or revoked.
        case notFound
        /// Keystone refused taasd's own token (401/403): get a new one.
        case serviceTokenRefused
    }

    let settings: KeystoneSettings
    let timeout: TimeAmount
    let http: HTTPClient

    public init(settings: KeystoneSettings, timeout: TimeAmount = .seconds(5), http: HTTPClient = .shared) {
        self.settings = settings
        self.timeout = timeout
        self.http = http
    }

    var tls: TLSConfiguration? {
        guard settings.authURL.hasPrefix("https:") else { return nil }
        var c = TLSConfiguration.makeClientConfiguration()
        if let file = settings.caFile { c.trustRoots = .file(file) }
        if settings.insecure { c.certificateVerification = .none }
        return c
    }

    /// taasd's own token, scoped to its project (`POST /v3/auth/tokens`, password method).
    public func issueServiceToken() async throws(KeystoneFailure) -> (token: String, expires: Date) {
        let body = PasswordAuth(settings)
        let (status, headers, data) = try await send(.POST, "/auth/tokens?nocatalog", headers: [:], body: try encode(body))
        guard status == 201 || status == 200 else {
            throw KeystoneFailure("Keystone refused taasd's credentials (user \(settings.username), project \(settings.projectName)): "
                                  + "HTTP \(status) \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        guard let token = headers.first(name: "X-Subject-Token"), !token.isEmpty else {
            throw KeystoneFailure("Keystone issued a token without X-Subject-Token")
        }
        return (token, try decode(data).expiresAt)
    }

    /// What Keystone says of `subject` (`GET /v3/auth/tokens`, as taasd).
    public func validate(_ subject: String, serviceToken: String) async throws(KeystoneFailure) -> Validation {
        let (status, _, data) = try await send(.GET, "/auth/tokens?nocatalog", headers: ["X-Auth-Token": serviceToken, "X-Subject-Token": subject],
                                               body: nil)
        switch status {
        case 200: return .token(try decode(data))
        case 404: return .notFound
        case 401, 403: return .serviceTokenRefused
        default: throw KeystoneFailure("Keystone answered HTTP \(status) to a token validation")
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, headers: [String: String], body: Data?) async throws(KeystoneFailure)
        -> (Int, HTTPHeaders, Data)
    {
        var request = HTTPClientRequest(url: settings.authURL + path)
        request.method = method
        request.tlsConfiguration = tls
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "taasd")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 4 << 20)
            return (Int(response.status.code), response.headers, Data(buffer.readableBytesView))
        } catch {
            throw KeystoneFailure("Keystone at \(settings.authURL) did not answer: \(error)")
        }
    }

    private func encode(_ value: some Encodable) throws(KeystoneFailure) -> Data {
        do { return try JSONEncoder().encode(value) } catch { throw KeystoneFailure("cannot encode a Keystone request: \(error)") }
    }

    private func decode(_ data: Data) throws(KeystoneFailure) -> KeystoneToken {
        do { return try JSONDecoder().decode(TokenDocument.self, from: data).token } catch {
            throw KeystoneFailure("Keystone's token document is not as expected: \(error)")
        }
    }
}

struct TokenDocument: Decodable {
    var token: KeystoneToken
}

/// The body of a password authentication scoped to a project by names.
struct PasswordAuth: Encodable {
    struct Domain: Encodable { var name: String }
    struct User: Encodable { var name: String; var domain: Domain; var password: String }
    struct Password: Encodable { var user: User }
    struct Identity: Encodable { var methods = ["password"]; var password: Password }
    struct Project: Encodable { var name: String; var domain: Domain }
    struct Scope: Encodable { var project: Project }
    struct Auth: Encodable { var identity: Identity; var scope: Scope }
    var auth: Auth

    init(_ s: KeystoneSettings) {
        auth = Auth(identity: Identity(password: Password(user: User(name: s.username, domain: Domain(name: s.userDomainName), password: s.password))),
                    scope: Scope(project: Project(name: s.projectName, domain: Domain(name: s.projectDomainName))))
    }
}

/// Keystone could not say who a caller is (unreachable, refusing taasd, answering nonsense): 503.
public struct KeystoneFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
