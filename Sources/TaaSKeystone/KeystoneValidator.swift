import Foundation
import Logging
import Metrics
import TaaSAPI

/// Says who holds a token by asking Keystone, as keystonemiddleware does: with taasd's own
/// service token (renewed before it expires, and at once when Keystone refuses it), caching each
/// answer until the token expires or `token_cache_time` passes, and asking only once for a token
/// that many requests bring at the same time.
public actor KeystoneValidator: TokenAuthority {
    nonisolated public let settings: KeystoneSettings
    let client: KeystoneClient
    let cacheTime: Double
    nonisolated public let challenge: String?
    let logger: Logger
    var cache: TokenCache
    var service: (token: String, expires: Date)?
    var pending: [String: Task<TokenVerdict, any Error>] = [:]
    var issuing: Task<(token: String, expires: Date), any Error>?
    let asked = Counter(label: "taas_keystone_validations_total")
    let cached = Counter(label: "taas_keystone_cache_hits_total")
    let failures = Counter(label: "taas_keystone_failures_total")

    public init(settings: KeystoneSettings, client: KeystoneClient? = nil, capacity: Int = 10_000, logger: Logger) {
        self.settings = settings
        self.client = client ?? KeystoneClient(settings: settings)
        cacheTime = settings.tokenCacheTime
        challenge = "Keystone uri=\"\(settings.wwwAuthenticateURI)\""
        cache = TokenCache(capacity: capacity)
        self.logger = logger
    }

    public func verdict(for token: String) async throws -> TokenVerdict {
        if let v = cache.lookUp(token, now: Date()) {
            cached.increment()
            return v
        }
        if let waiting = pending[token] { return try await waiting.value }
        let task = Task { try await self.ask(token) }
        pending[token] = task
        defer { pending[token] = nil }
        return try await task.value
    }

    private func ask(_ token: String) async throws -> TokenVerdict {
        asked.increment()
        do {
            for _ in 0..<2 {
                let serviceToken = try await currentServiceToken()
                let now = Date()
                switch try await client.validate(token, serviceToken: serviceToken) {
                case .token(let document):
                    let v = document.verdict(now: now)
                    cache.store(token, v, until: min(document.expiresAt, now.addingTimeInterval(cacheTime)), now: now)
                    return v
                case .notFound:
                    // A token Keystone does not know never becomes valid; asked again after a minute at most.
                    let v = TokenVerdict.invalid("Keystone does not know the token (unknown, expired or revoked)")
                    cache.store(token, v, until: now.addingTimeInterval(min(cacheTime, 60)), now: now)
                    return v
                case .serviceTokenRefused:
                    logger.notice("Keystone refused taasd's service token; getting a new one")
                    service = nil
                }
            }
            throw KeystoneFailure("Keystone refused a service token it had just issued")
        } catch {
            failures.increment()
            logger.error("cannot validate a token with Keystone", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// taasd's token, renewed once less than a minute is left; one request for it at a time.
    private func currentServiceToken() async throws -> String {
        if let s = service, s.expires.timeIntervalSinceNow > 60 { return s.token }
        if let waiting = issuing { return try await waiting.value.token }
        let task = Task { try await self.client.issueServiceToken() }
        issuing = task
        defer { issuing = nil }
        let issued = try await task.value
        service = issued
        logger.info("service token from Keystone", metadata: ["expires": "\(issued.expires)"])
        return issued.token
    }
}
