import NetworkTransport
import Foundation
import Logging
import OVSDBClient
import SwitchSession
import TaaSConfig
import TaaSKeystone
import TaaSStore

/// Every setting of taasd, as flags, config file keys and `TAASD_*` variables.
enum TaasdSettings {
    static let keys: [SettingKey] = [
        SettingKey("openflow", .list, default: .list(["ptcp:6653"])),
        SettingKey("ovsdb", .list, default: .list([])),
        SettingKey("bridge", .text, default: .text("br-int")),
        SettingKey("tunnel-type", .text, default: .text("vxlan")),
        SettingKey("topology", .text),
        SettingKey("ssl-private-key", .text),
        SettingKey("ssl-certificate", .text),
        SettingKey("ssl-ca-cert", .text),
        SettingKey("echo-interval", .number, default: .number(5)),
        SettingKey("echo-timeout", .number, default: .number(10)),
        SettingKey("api", .text, default: .text("127.0.0.1:9696")),
        SettingKey("api-tls-certificate", .text),
        SettingKey("api-tls-private-key", .text),
        SettingKey("api-tls-ca-cert", .text),
        SettingKey("metrics", .text),
        SettingKey("db", .text, default: .text(SQLitePolicyStore.defaultPath)),
        SettingKey("auth", .text, default: .text("none")),
        SettingKey("log-level", .text, default: .text("info")),
        SettingKey("log-format", .text, default: .text("text")),
        SettingKey("stats-interval", .number, default: .number(10)),
        SettingKey("settle", .number, default: .number(10)),
        SettingKey("replica-name", .text),
        SettingKey("lease", .number, default: .number(1.5)),
        // The PostgreSQL database as fields, instead of a URL in `db`.
        SettingKey("postgres", .section(PostgresPolicyStore.urlFields)),
        // Keystone, for `auth: keystone` (keystonemiddleware's names).
        SettingKey("keystone", .section(KeystoneSettings.fields)),
    ]

    static let checks: [String: Settings.Check] = [
        "openflow": { t in
            do { _ = try ConnectionTarget(parsing: t); return nil } catch { return "\(error)" }
        },
        "ovsdb": { t in
            do { _ = try OVSDBManager.target(t); return nil } catch { return "\(error)" }
        },
        "bridge": { $0.isEmpty ? "needs a bridge name" : nil },
        "tunnel-type": { ["vxlan", "geneve", "gre"].contains($0) ? nil : "is vxlan, geneve or gre, not '\($0)'" },
        "echo-interval": { seconds($0, "echo-interval") },
        "echo-timeout": { seconds($0, "echo-timeout") },
        "stats-interval": { seconds($0, "stats-interval") },
        "settle": { t in Double(t).map { (0...600).contains($0) } == true ? nil : "settle is seconds from 0 to 600, not '\(t)'" },
        "lease": { t in Double(t).map { (0.5...60).contains($0) } == true ? nil : "lease is seconds from 0.5 to 60, not '\(t)'" },
        "replica-name": { $0.isEmpty ? "needs a name" : nil },
        "api": { hostPort($0) == nil ? "must be HOST:PORT, e.g. 127.0.0.1:9696, not '\($0)'" : nil },
        "metrics": { hostPort($0) == nil ? "must be HOST:PORT, e.g. 127.0.0.1:9697, not '\($0)'" : nil },
        "auth": { $0 == "none" || $0 == "keystone" || $0.hasPrefix("tokens:") ? nil : "is none, tokens:FILE or keystone, not '\($0)'" },
        "log-level": { Logger.Level(rawValue: $0) == nil ? "is trace, debug, info, notice, warning, error or critical, not '\($0)'" : nil },
        "log-format": { ["text", "json"].contains($0) ? nil : "is text or json, not '\($0)'" },
    ]

    static func seconds(_ text: String, _ name: String) -> String? {
        guard let n = Double(text), (0.1...3600).contains(n) else { return "\(name) is seconds from 0.1 to 3600, not '\(text)'" }
        return nil
    }

    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    /// File, then environment, then flags given on the command line.
    static func resolve(file: String?, environment: [String: String], flags: [String: String], lists: [String: [String]]) throws -> Settings {
        var s = Settings(keys: keys, checks: checks)
        if let file {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch { throw ConfigError(source: file, message: "cannot read: \(error.localizedDescription)") }
            try s.apply(yaml: text, source: file)
        }
        try s.apply(environment: environment)
        for (name, value) in flags.sorted(by: { $0.key < $1.key }) { try s.apply(flag: name, value) }
        for (name, list) in lists.sorted(by: { $0.key < $1.key }) where !list.isEmpty { try s.apply(flag: name, list: list) }
        let tls = ["ssl-private-key", "ssl-certificate", "ssl-ca-cert"].map { s[text: $0] }
        if tls.contains(where: { $0 != nil }) && tls.contains(where: { $0 == nil }) {
            throw ConfigError(source: "settings", message: "ssl-private-key, ssl-certificate and ssl-ca-cert go together")
        }
        if (s[text: "api-tls-certificate"] == nil) != (s[text: "api-tls-private-key"] == nil) {
            throw ConfigError(source: "settings", message: "api-tls-certificate and api-tls-private-key go together")
        }
        if s[text: "api-tls-ca-cert"] != nil && s[text: "api-tls-certificate"] == nil {
            throw ConfigError(source: "settings", message: "api-tls-ca-cert needs api-tls-certificate and api-tls-private-key")
        }
        return s
    }
}
