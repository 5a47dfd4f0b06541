import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import TaaSPolicy
import TaaSState

/// The policy in PostgreSQL (postgres-nio), for several taasd replicas on one database: the
/// schema and named migrations of the SQLite store (`Schema`), in PostgreSQL's types, plus a
/// change log. Each write is one transaction, acknowledged only once PostgreSQL has committed
/// it (`synchronous_commit` as the server has it, `on` by default: on disk).
///
/// Writers take one advisory lock for the length of their transaction, so every replica checks
/// a change against the whole policy (it first takes what the others committed, from the log)
/// and the log's sequence numbers become visible in order: a replica that has read up to N has
/// seen every change up to N. Each commit notifies `taas_policy`; `catchUp` reads the log
/// after what this replica has seen.
public final class PostgresPolicyStore: PolicyStore, @unchecked Sendable {
    public var configuration: PostgresConnection.Configuration { link.configuration }
    /// The URL without its password, for logs and errors.
    public var location: String { link.location }
    let link: PostgresLink
    private var logger: Logger { link.logger }
    /// The last change-log entry this replica has taken (guarded by the link's lock: only
    /// touched inside `link.with`).
    private var seen: Int64 = 0

    /// The longest a statement, or opening the connection, may take (the API answers 503 then).
    public static let timeout = TimeAmount.seconds(5)
    /// The channel every commit notifies.
    public static let channel = "taas_policy"

    public init(url: String, logger: Logger = Logger(label: "taasd.postgres")) throws {
        let (configuration, location) = try PostgresLink.parse(url)
        link = PostgresLink(configuration: configuration, location: location, timeout: Self.timeout, logger: logger)
        try link.with { c in try Self.migrate(c, link) }
    }

    static func parse(_ url: String) throws -> (PostgresConnection.Configuration, String) { try PostgresLink.parse(url) }

    /// The fields of a `postgres:` section of taasd's configuration.
    public static let urlFields = ["host", "port", "user", "password", "database", "socket-dir"]

    /// The URL a `postgres:` section stands for: `user` and `database` are needed, `host` or
    /// `socket-dir` (a unix socket's directory); user and password are percent-encoded.
    public static func url(fields f: [String: String]) throws -> String {
        guard let user = f["user"], !user.isEmpty, let database = f["database"], !database.isEmpty else {
            throw StoreError("postgres: give at least user and database (and host or socket-dir)")
        }
        func encoded(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? s }
        var url = "postgresql://\(encoded(user))"
        if let pw = f["password"], !pw.isEmpty { url += ":" + (pw.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? pw) }
        url += "@\(f["host"] ?? "")"
        if let port = f["port"] {
            guard let n = Int(port), (1...65535).contains(n) else { throw StoreError("postgres: port is 1 to 65535, not '\(port)'") }
            url += ":\(n)"
        }
        url += "/" + (database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? database)
        if let dir = f["socket-dir"] { url += "?host=" + (dir.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? dir) }
        else if (f["host"] ?? "").isEmpty { throw StoreError("postgres: give host, or socket-dir for a unix socket") }
        // Checked as any URL is.
        _ = try PostgresLink.parse(url)
        return url
    }

    // MARK: Store

    /// Everything, and the change log's position it corresponds to (under the writers' lock).
    public func load() throws -> PolicySnapshot {
        try link.with { c in
            try link.transaction(c) {
                _ = try link.run(c, "SELECT pg_advisory_xact_lock(?)", [.integer(Self.writersLock)])
                let (snapshot, top) = try everything(c)
                seen = top
                return snapshot
            }
        }
    }

    /// Writes changes made without looking at what other replicas committed: for a store no
    /// other replica writes to (tests, the crash test's writer); refused otherwise, since what
    /// the others committed would be skipped.
    public func apply(_ changes: [PolicyChange]) throws {
        guard !changes.isEmpty else { return }
        try write(fence: nil) { remote in
            if case .changed(let s, let f, let m, let p) = remote, s.isEmpty && f.isEmpty && m.isEmpty && p.isEmpty { return changes }
            throw StoreError("other replicas wrote to this database: use write(fence:_:), which takes their changes first")
        }
    }

    public var patience: Duration? { Duration(link.timeout) }

    public func write(fence: WriteFence?, _ body: (RemoteChanges) throws -> [PolicyChange]) throws {
        try link.with { c in
            let top: Int64? = try link.transaction(c) {
                _ = try link.run(c, "SELECT pg_advisory_xact_lock(?)", [.integer(Self.writersLock)])
                if let fence {
                    let holds = try link.run(c, "SELECT 1 AS one FROM taas_leader WHERE holder = ? AND epoch = ? AND expires > now()",
                                             [.text(fence.replica), .integer(Int64(clamping: fence.epoch))])
                    guard !holds.isEmpty else { throw StoreError("this replica no longer leads (epoch \(fence.epoch)): not written") }
                }
                // What others committed is taken whatever becomes of this write.
                let remote = try changes(c)
                let changes = try body(remote)
                guard !changes.isEmpty else { return nil }
                for change in changes {
                    for (sql, values) in try StoreStatements.statements(change) { _ = try link.run(c, sql, values) }
                }
                let subjects = changes.map(StoreStatements.subject)
                var bindings = PostgresBindings(capacity: 2)
                bindings.append(subjects.map(\.kind.rawValue))
                bindings.append(subjects.map(\.id))
                let rows = try link.run(c, """
                    WITH logged AS (INSERT INTO taas_change (kind, id) SELECT * FROM unnest(?::text[], ?::text[]) RETURNING seq)
                    SELECT max(seq) AS top FROM logged
                    """, bindings)
                let top = try rows.first.map { try PostgresRandomAccessRow($0).integer("top") } ?? nil
                _ = try link.run(c, "SELECT pg_notify(?, ?)", [.text(Self.channel), .text(String(top ?? 0))])
                return top
            }
            // Nobody else wrote between what was taken and this write's entries.
            if let top { seen = max(seen, top) }
        }
    }

    /// What others committed since this replica last looked, in one consistent snapshot.
    public func catchUp() throws -> RemoteChanges {
        try link.with { c in
            // Taken only if the transaction ends well: the caller adopts what this returns.
            let before = seen
            do {
                return try link.transaction(c, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { try changes(c) }
            } catch {
                seen = before
                throw error
            }
        }
    }

    /// Forgets change-log entries older than `age` (every replica has long taken them; one that
    /// had not reads everything again).
    public func prune(olderThan age: Duration) throws {
        try link.with { c in
            try link.transaction(c) {
                _ = try link.run(c, "SELECT pg_advisory_xact_lock(?)", [.integer(Self.writersLock)])
                _ = try link.run(c, """
                    WITH gone AS (DELETE FROM taas_change WHERE at < now() - make_interval(secs => ?) RETURNING seq)
                    UPDATE taas_change_horizon SET upto = greatest(upto, (SELECT coalesce(max(seq), 0) FROM gone))
                    """, [.integer(age.components.seconds)])
            }
        }
    }

    /// Wakes `onChange` at every commit on any replica, until cancelled; a lost connection is
    /// opened again (what was missed meanwhile is in the log: callers catch up after each wake
    /// and now and then anyway).
    public func listen(_ onChange: @Sendable () async -> Void) async {
        while !Task.isCancelled {
            do {
                let c = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                             id: 2, logger: logger).get()
                defer { PostgresLink.discard(c) }
                await onChange()
                try await c.listen(on: Self.channel) { notifications in
                    for try await _ in notifications { await onChange() }
                }
            } catch {
                logger.warning("listening for policy changes failed; again in 1 s", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    // MARK: Change log

    /// Everything, and the newest change-log entry it includes.
    private func everything(_ c: PostgresConnection) throws -> (PolicySnapshot, Int64) {
        let top = try link.run(c, "SELECT coalesce(max(seq), 0) AS top FROM taas_change", []).first
            .map { try PostgresRandomAccessRow($0).integer("top") } ?? nil
        let snapshot = try StoreStatements.snapshot { sql, _ in try link.run(c, sql, []).map { PostgresRandomAccessRow($0) } }
        return (snapshot, top ?? 0)
    }

    /// The log after `seen`, as the resources it names now are.
    private func changes(_ c: PostgresConnection) throws -> RemoteChanges {
        let horizon = try link.run(c, "SELECT upto FROM taas_change_horizon", []).first.map { try PostgresRandomAccessRow($0).integer("upto") } ?? nil
        if let horizon, horizon > seen {
            let (snapshot, top) = try everything(c)
            logger.info("change log pruned past what this replica had seen: read everything again", metadata: ["seen": "\(seen)"])
            seen = top
            return .everything(snapshot)
        }
        var named: [StoreStatements.Kind: Set<String>] = [:]
        var top = seen
        for row in try link.run(c, "SELECT seq, kind, id FROM taas_change WHERE seq > ? ORDER BY seq", [.integer(seen)]) {
            let r = PostgresRandomAccessRow(row)
            guard let seq = try r.integer("seq"), let k = try r.text("kind").flatMap(StoreStatements.Kind.init), let id = try r.text("id") else {
                continue
            }
            named[k, default: []].insert(id)
            top = max(top, seq)
        }
        guard !named.isEmpty else { return .none }
        let found = try StoreStatements.snapshot(only: true) { sql, kind in
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(Array(named[kind] ?? []))
            return try link.run(c, sql, bindings).map { PostgresRandomAccessRow($0) }
        }
        seen = top
        func now<V>(_ kind: StoreStatements.Kind, _ values: [V], _ id: (V) -> String, _ make: (String) -> ResourceID?) -> [ResourceID: V?] {
            var out: [ResourceID: V?] = [:]
            for text in named[kind] ?? [] { if let rid = make(text) { out[rid] = .some(nil) } }
            for v in values { if let rid = make(id(v)) { out[rid] = .some(v) } }
            return out
        }
        var ports: [String: PortRecord?] = [:]
        for id in named[.port] ?? [] { ports[id] = .some(nil) }
        for p in found.ports { ports[p.id] = .some(p) }
        return .changed(services: now(.service, found.services, \.id.rawValue, ResourceID.init),
                        flows: now(.flow, found.flows, \.id.rawValue, ResourceID.init),
                        mirrors: now(.mirror, found.mirrors, \.id.rawValue, ResourceID.init), ports: ports)
    }

    // MARK: Schema

    /// The schema's named migrations in PostgreSQL's types (SQLite's INTEGER is 64-bit, and
    /// PostgreSQL's is not: tunnel keys and port numbers are unsigned 32-bit), then what only
    /// replicas sharing a database need.
    static let postgres: [(name: String, statements: [String])] = Schema.migrations.map { m in
        (m.name, m.statements.map { $0.replacingOccurrences(of: "INTEGER", with: "BIGINT") })
    } + [
        ("pg1: change log, leader lease, replicas", [
            "CREATE TABLE taas_change (seq BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now())",
            "CREATE INDEX taas_change_at ON taas_change(at)",
            "CREATE TABLE taas_change_horizon (id INT PRIMARY KEY CHECK (id = 1), upto BIGINT NOT NULL)",
            "INSERT INTO taas_change_horizon VALUES (1, 0)",
            """
            CREATE TABLE taas_leader (id INT PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL, epoch BIGINT NOT NULL,
                                      expires TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE taas_replica (id TEXT PRIMARY KEY, name TEXT NOT NULL, api TEXT NOT NULL, started TIMESTAMPTZ NOT NULL,
                                       seen TIMESTAMPTZ NOT NULL)
            """,
        ]),
        ("pg2: statuses as the leader states them", [
            "CREATE SEQUENCE taas_status_version",
            """
            CREATE TABLE taas_status (kind TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, version BIGINT NOT NULL,
                                      at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (kind, id))
            """,
            "CREATE INDEX taas_status_by_version ON taas_status(version)",
        ]),
    ]

    /// Keys for `pg_advisory_xact_lock`: taasd's migrations; every write; status writes.
    static let migrationLock: Int64 = 0x7aa5_0000_0001
    static let writersLock: Int64 = 0x7aa5_0000_0002
    static let statusLock: Int64 = 0x7aa5_0000_0003

    static func migrate(_ c: PostgresConnection, _ link: PostgresLink) throws {
        try link.transaction(c) {
            _ = try link.run(c, "SELECT pg_advisory_xact_lock(?)", [.integer(migrationLock)])
            _ = try link.run(c, "CREATE TABLE IF NOT EXISTS taas_migration (name TEXT PRIMARY KEY NOT NULL)", [])
            let done = Set(try link.run(c, "SELECT name FROM taas_migration", []).map { try PostgresRandomAccessRow($0).text("name") ?? "" })
            for m in postgres where !done.contains(m.name) {
                for sql in m.statements { _ = try link.run(c, sql, []) }
                _ = try link.run(c, "INSERT INTO taas_migration (name) VALUES (?)", [.text(m.name)])
                link.logger.info("store migrated", metadata: ["migration": "\(m.name)"])
            }
        }
    }
}
