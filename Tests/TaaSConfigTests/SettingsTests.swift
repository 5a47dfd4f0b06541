import Testing
import TaaSConfig

/// The config file, the environment and flags: precedence, kinds, checks, and errors that say
/// where the problem is.
@Suite struct SettingsTests {
    static let keys = [
        SettingKey("openflow", .list, default: .list(["ptcp:6653"])),
        SettingKey("log-level", .text, default: .text("info")),
        SettingKey("echo-interval", .number, default: .number(5)),
        SettingKey("topology", .text),
    ]
    static let checks: [String: Settings.Check] = [
        "log-level": { ["debug", "info"].contains($0) ? nil : "is debug or info, not '\($0)'" },
        "openflow": { $0.hasPrefix("ptcp:") || $0.hasPrefix("tcp:") ? nil : "bad target '\($0)'" },
    ]

    static func settings() -> Settings { Settings(keys: keys, checks: checks) }

    @Test func defaultsFileEnvironmentFlagsInThatOrder() throws {
        var s = Self.settings()
        #expect(s[text: "log-level"] == "info")
        #expect(s[list: "openflow"] == ["ptcp:6653"])
        #expect(s[text: "topology"] == nil)
        try s.apply(yaml: "log-level: debug\nopenflow:\n  - ptcp:1\n  - tcp:10.0.0.1:6653\necho-interval: 2.5\n", source: "f.yaml")
        #expect(s[text: "log-level"] == "debug")
        #expect(s[list: "openflow"] == ["ptcp:1", "tcp:10.0.0.1:6653"])
        #expect(s[number: "echo-interval"] == 2.5)
        #expect(s.origins["log-level"] == "f.yaml:1")
        try s.apply(environment: ["TAASD_LOG_LEVEL": "info", "TAASD_OPENFLOW": "ptcp:2, ptcp:3", "HOME": "/root"])
        #expect(s[text: "log-level"] == "info")
        #expect(s[list: "openflow"] == ["ptcp:2", "ptcp:3"])
        #expect(s.origins["openflow"] == "TAASD_OPENFLOW")
        try s.apply(flag: "log-level", "debug")
        try s.apply(flag: "openflow", list: ["ptcp:4"])
        #expect(s[text: "log-level"] == "debug")
        #expect(s[list: "openflow"] == ["ptcp:4"])
        #expect(s.origins["log-level"] == "command line")
    }

    /// A section: fields from a YAML mapping, or FIELD=VALUE,… from the environment; unknown
    /// fields and wrong shapes are errors naming where.
    @Test func aSectionTakesItsFieldsFromAMappingOrTheEnvironment() throws {
        let keys = Self.keys + [SettingKey("postgres", .section(["host", "user", "database"]))]
        var s = Settings(keys: keys)
        try s.apply(yaml: "postgres:\n  host: db.example.org\n  user: taas\n", source: "f.yaml")
        #expect(s[fields: "postgres"] == ["host": "db.example.org", "user": "taas"])
        try s.apply(environment: ["TAASD_POSTGRES": "user=ops, database=taas"])
        #expect(s[fields: "postgres"] == ["user": "ops", "database": "taas"])
        #expect(throws: ConfigError.self) { try s.apply(yaml: "postgres:\n  hots: x\n", source: "f.yaml") }
        do { try s.apply(yaml: "postgres:\n  hots: x\n", source: "f.yaml") } catch {
            #expect(error.description.contains("f.yaml:2") && error.description.contains("no field 'hots'"), "\(error)")
        }
        #expect(throws: ConfigError.self) { try s.apply(yaml: "postgres: db.example.org\n", source: "f.yaml") }
        #expect(throws: ConfigError.self) { try s.apply(environment: ["TAASD_POSTGRES": "host"]) }
    }

    @Test func aSingleValueIsAListOfOne() throws {
        var s = Self.settings()
        try s.apply(yaml: "openflow: ptcp:9\n", source: "f")
        #expect(s[list: "openflow"] == ["ptcp:9"])
    }

    @Test func emptyFileChangesNothing() throws {
        var s = Self.settings()
        try s.apply(yaml: "# nothing yet\n", source: "f")
        #expect(s[text: "log-level"] == "info")
    }

    /// Each mistake is an error with the file, line and column, and says what is wrong.
    @Test(arguments: [
        ("log-levle: debug\n", "f.yaml:1:1: unknown setting 'log-levle' (did you mean log-level?)"),
        ("log-level: debug\nlog-level: info\n", "f.yaml: not valid YAML: Parser: expected all keys to be unique"),
        ("log-level: loud\n", "f.yaml:1:12: is debug or info, not 'loud'"),
        ("openflow:\n  - ptcp:1\n  - udp:2\n", "f.yaml:3:5: bad target 'udp:2'"),
        ("echo-interval: soon\n", "f.yaml:1:16: 'echo-interval' takes a number, not 'soon'"),
        ("log-level: [a, b]\n", "f.yaml:1:12: 'log-level' takes a string"),
        ("openflow: {a: 1}\n", "f.yaml:1:11: 'openflow' takes a list of strings (or one string)"),
        ("- just\n- a list\n", "f.yaml:1:1: expected a mapping"),
        ("log-level: [debug\n", "f.yaml:2:1: not valid YAML"),
    ])
    func fileMistakesPointAtTheLine(text: String, expected: String) {
        var s = Self.settings()
        do {
            try s.apply(yaml: text, source: "f.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
        #expect(s[text: "log-level"] == "info", "nothing is applied from a file with a mistake before it")
    }

    @Test func environmentMistakesNameTheVariable() {
        var s = Self.settings()
        #expect(throws: ConfigError.self) { try s.apply(environment: ["TAASD_LOGLEVEL": "debug"]) }
        do {
            try s.apply(environment: ["TAASD_ECHO_INTERVAL": "soon"])
            Issue.record("accepted a non-number")
        } catch {
            #expect(error.description == "TAASD_ECHO_INTERVAL: 'echo-interval' takes a number, not 'soon'")
        }
        do {
            try s.apply(environment: ["TAASD_OPENFLOW": "ptcp:1,udp:2"])
            Issue.record("accepted a bad target")
        } catch {
            #expect(error.description == "TAASD_OPENFLOW: bad target 'udp:2'")
        }
    }

    @Test func environmentNames() {
        #expect(SettingKey("ssl-ca-cert", .text).environmentName == "TAASD_SSL_CA_CERT")
    }
}
