import Yams

/// One setting of taasd: its name (the long flag without dashes, also the config file's key and,
/// upper-cased with underscores, the environment variable after `TAASD_`), its kind and default.
public struct SettingKey: Sendable {
    public enum Kind: Sendable {
        case text, list, number
        /// A mapping of these fields to strings (`postgres: {host: db, user: taas}`; in the
        /// environment and on the command line `host=db,user=taas`).
        case section([String])
    }
    public var name: String
    public var kind: Kind
    /// What an unset setting is (nil: absent).
    public var defaultValue: SettingValue?

    public init(_ name: String, _ kind: Kind, default value: SettingValue? = nil) {
        self.name = name
        self.kind = kind
        defaultValue = value
    }

    /// `TAASD_LOG_LEVEL` for `log-level`.
    public var environmentName: String { "TAASD_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }
}

public enum SettingValue: Hashable, Sendable {
    case text(String)
    case list([String])
    case number(Double)
    case fields([String: String])

    public var text: String? { if case .text(let s) = self { s } else { nil } }
    public var fields: [String: String]? { if case .fields(let f) = self { f } else { nil } }
    public var list: [String]? { if case .list(let l) = self { l } else { nil } }
    public var number: Double? { if case .number(let n) = self { n } else { nil } }
}

/// A problem in a config file or the environment, with where it is (`FILE:LINE:COLUMN: …`).
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(source: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.source = source
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var at = source
        if let line { at += ":\(line)" }
        if let column { at += ":\(column)" }
        return "\(at): \(message)"
    }
}

/// Settings from a file (YAML), the environment and the command line, in that order of
/// increasing precedence. Pure: it is given text and variables, never reads them itself.
public struct Settings: Sendable {
    public let keys: [SettingKey]
    /// Checks a value (one list element at a time) beyond its kind; returns the problem, if any.
    public typealias Check = @Sendable (String) -> String?
    let checks: [String: Check]
    public private(set) var values: [String: SettingValue] = [:]
    /// Where each value came from: "default", "FILE:LINE", "TAASD_X", "command line".
    public private(set) var origins: [String: String] = [:]

    public init(keys: [SettingKey], checks: [String: Check] = [:]) {
        self.keys = keys
        self.checks = checks
        for k in keys { if let v = k.defaultValue { values[k.name] = v; origins[k.name] = "default" } }
    }

    public func key(_ name: String) -> SettingKey? { keys.first { $0.name == name } }

    /// Applies a YAML file: a mapping of setting names to values. Unknown keys, wrong kinds and
    /// values their check refuses are errors naming the line and column.
    public mutating func apply(yaml text: String, source: String) throws(ConfigError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw Self.describe(e, source: source)
        } catch {
            throw ConfigError(source: source, message: "\(error)")
        }
        guard let root else { return }  // an empty file sets nothing
        guard case .mapping(let mapping) = root else {
            throw ConfigError(source: source, line: root.mark?.line, column: root.mark?.column,
                              message: "expected a mapping of setting names to values, e.g. `log-level: debug`")
        }
        // All or nothing: a file with a mistake changes no setting.
        var staged: [String: SettingValue] = [:], stagedOrigins: [String: String] = [:]
        var seen: Set<String> = []
        for (keyNode, valueNode) in mapping {
            let name = keyNode.string ?? ""
            func fail(_ node: Node, _ message: String) -> ConfigError {
                ConfigError(source: source, line: node.mark?.line, column: node.mark?.column, message: message)
            }
            guard let key = key(name) else {
                let near = keys.map(\.name).filter { $0.hasPrefix(String(name.prefix(3))) }
                throw fail(keyNode, "unknown setting '\(name)'" + (near.isEmpty ? "" : " (did you mean \(near.joined(separator: ", "))?)")
                    + "; known: \(keys.map(\.name).joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw fail(keyNode, "'\(name)' is set twice") }
            let value: SettingValue
            switch (key.kind, valueNode) {
            case (.list, .sequence(let seq)):
                var items: [String] = []
                for item in seq {
                    guard case .scalar(let s) = item else { throw fail(item, "'\(name)' takes a list of strings") }
                    if let problem = check(name, s.string) { throw fail(item, problem) }
                    items.append(s.string)
                }
                value = .list(items)
            case (.list, .scalar(let s)):
                if let problem = check(name, s.string) { throw fail(valueNode, problem) }
                value = .list([s.string])
            case (.number, .scalar(let s)):
                guard let n = Double(s.string) else { throw fail(valueNode, "'\(name)' takes a number, not '\(s.string)'") }
                if let problem = check(name, s.string) { throw fail(valueNode, problem) }
                value = .number(n)
            case (.text, .scalar(let s)):
                if let problem = check(name, s.string) { throw fail(valueNode, problem) }
                value = .text(s.string)
            case (.section(let allowed), .mapping(let m)):
                var fields: [String: String] = [:]
                for (k, v) in m {
                    let field = k.string ?? ""
                    guard allowed.contains(field) else {
                        throw fail(k, "'\(name)' has no field '\(field)'; its fields: \(allowed.joined(separator: ", "))")
                    }
                    guard case .scalar(let s) = v else { throw fail(v, "'\(name).\(field)' takes a string") }
                    fields[field] = s.string
                }
                value = .fields(fields)
            default:
                throw fail(valueNode, "'\(name)' takes \(Self.describe(key.kind))")
            }
            staged[name] = value
            stagedOrigins[name] = "\(source):\(keyNode.mark?.line ?? 0)"
        }
        values.merge(staged) { $1 }
        origins.merge(stagedOrigins) { $1 }
    }

    /// Applies `TAASD_*` variables (lists comma-separated). An unknown `TAASD_` variable is an
    /// error: a misspelt override must not pass silently.
    public mutating func apply(environment: [String: String]) throws(ConfigError) {
        let known = Dictionary(uniqueKeysWithValues: keys.map { ($0.environmentName, $0) })
        // One field of a section each: TAASD_KEYSTONE_PASSWORD sets keystone's password.
        var fieldVariables: [String: (key: SettingKey, field: String)] = [:]
        for key in keys {
            guard case .section(let fields) = key.kind else { continue }
            for field in fields { fieldVariables[key.environmentName + "_" + field.uppercased()] = (key, field) }
        }
        for (variable, text) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix("TAASD_") {
            if let key = known[variable] {
                try set(key, text, origin: variable)
            } else if let (key, field) = fieldVariables[variable] {
                var fields = values[key.name]?.fields ?? [:]
                fields[field] = text
                values[key.name] = .fields(fields)
                origins[key.name] = variable
            } else {
                throw ConfigError(source: variable, message: "unknown environment variable; known: \((Array(known.keys) + Array(fieldVariables.keys)).sorted().joined(separator: ", "))")
            }
        }
    }

    /// Applies a value given on the command line.
    public mutating func apply(flag name: String, _ text: String) throws(ConfigError) {
        guard let key = key(name) else { throw ConfigError(source: "--\(name)", message: "unknown setting") }
        try set(key, text, origin: "command line")
    }

    /// Applies a list given on the command line (a repeated flag).
    public mutating func apply(flag name: String, list: [String]) throws(ConfigError) {
        guard key(name) != nil else { throw ConfigError(source: "--\(name)", message: "unknown setting") }
        for item in list { if let problem = check(name, item) { throw ConfigError(source: "--\(name)", message: problem) } }
        values[name] = .list(list)
        origins[name] = "command line"
    }

    private mutating func set(_ key: SettingKey, _ text: String, origin: String) throws(ConfigError) {
        let value: SettingValue
        switch key.kind {
        case .text: value = .text(text)
        case .list: value = .list(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        case .number:
            guard let n = Double(text) else { throw ConfigError(source: origin, message: "'\(key.name)' takes a number, not '\(text)'") }
            value = .number(n)
        case .section(let allowed):
            var fields: [String: String] = [:]
            for part in text.split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2, allowed.contains(kv[0]) else {
                    throw ConfigError(source: origin, message: "'\(key.name)' takes FIELD=VALUE,… with fields \(allowed.joined(separator: ", ")), not '\(part)'")
                }
                fields[kv[0]] = kv[1]
            }
            values[key.name] = .fields(fields)
            origins[key.name] = origin
            return
        }
        for item in value.list ?? [text] { if let problem = check(key.name, item) { throw ConfigError(source: origin, message: problem) } }
        values[key.name] = value
        origins[key.name] = origin
    }

    private func check(_ name: String, _ text: String) -> String? { checks[name]?(text) }

    public subscript(text name: String) -> String? { values[name]?.text }
    public subscript(list name: String) -> [String] { values[name]?.list ?? [] }
    public subscript(number name: String) -> Double? { values[name]?.number }
    public subscript(fields name: String) -> [String: String]? { values[name]?.fields }

    static func describe(_ kind: SettingKey.Kind) -> String {
        switch kind {
        case .text: "a string"
        case .list: "a list of strings (or one string)"
        case .number: "a number"
        case .section(let fields): "a mapping of \(fields.joined(separator: ", "))"
        }
    }

    static func describe(_ e: YamlError, source: String) -> ConfigError {
        switch e {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return ConfigError(source: source, line: mark.line, column: mark.column, message: "not valid YAML: \(problem)")
        default:
            return ConfigError(source: source, message: "not valid YAML: \(e)")
        }
    }
}
