import Foundation

/// How taasd reaches Keystone and who it is there, with keystonemiddleware's `[keystone_authtoken]`
/// names, so that a section copied from neutron.conf works.
public struct KeystoneSettings: Hashable, Sendable {
    /// Keystone's v3 endpoint, e.g. `http://keystone:5000/v3` (a URL without `/v3` gets it).
    public var authURL: String
    public var username: String
    public var password: String
    public var projectName: String
    public var userDomainName: String
    public var projectDomainName: String
    /// CA bundle for an https `auth_url`; `insecure` skips the certificate check (labs only).
    public var caFile: String?
    public var insecure: Bool
    /// How long a validated token is trusted before Keystone is asked again (keystonemiddleware's
    /// default, 300 s): a revoked token keeps working at most this long.
    public var tokenCacheTime: Double
    /// Where clients are told to authenticate (`WWW-Authenticate: Keystone uri=…`); `auth_url`
    /// without `/v3` by default.
    public var wwwAuthenticateURI: String

    /// The section's fields (keystonemiddleware's option names).
    public static let fields = ["auth_url", "auth_type", "username", "password", "project_name", "user_domain_name", "project_domain_name",
                                "cafile", "insecure", "token_cache_time", "www_authenticate_uri"]

    /// Reads the fields of a `keystone:` section, with a message naming what is wrong.
    public init(fields f: [String: String]) throws(KeystoneSettingsError) {
        func need(_ name: String) throws(KeystoneSettingsError) -> String {
            guard let v = f[name], !v.isEmpty else { throw KeystoneSettingsError("keystone: '\(name)' is required (fields: \(Self.fields.joined(separator: ", ")))") }
            return v
        }
        if let type = f["auth_type"], type != "password" {
            throw KeystoneSettingsError("keystone: auth_type '\(type)' is not supported; taasd authenticates with a password")
        }
        var url = try need("auth_url")
        while url.hasSuffix("/") { url.removeLast() }
        guard let c = URLComponents(string: url), ["http", "https"].contains(c.scheme ?? ""), c.host?.isEmpty == false else {
            throw KeystoneSettingsError("keystone: auth_url must be an http or https URL, e.g. http://keystone:5000/v3, not '\(url)'")
        }
        if !url.hasSuffix("/v3") { url += "/v3" }
        authURL = url
        username = try need("username")
        password = try need("password")
        projectName = try need("project_name")
        userDomainName = f["user_domain_name"] ?? "Default"
        projectDomainName = f["project_domain_name"] ?? "Default"
        caFile = f["cafile"]
        switch f["insecure"]?.lowercased() {
        case nil, "false", "no", "0": insecure = false
        case "true", "yes", "1": insecure = true
        case let other?: throw KeystoneSettingsError("keystone: insecure is true or false, not '\(other)'")
        }
        if let t = f["token_cache_time"] {
            guard let seconds = Double(t), (0...86_400).contains(seconds) else {
                throw KeystoneSettingsError("keystone: token_cache_time is seconds from 0 to 86400, not '\(t)'")
            }
            tokenCacheTime = seconds
        } else {
            tokenCacheTime = 300
        }
        wwwAuthenticateURI = f["www_authenticate_uri"] ?? String(url.dropLast("/v3".count))
    }
}

public struct KeystoneSettingsError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
