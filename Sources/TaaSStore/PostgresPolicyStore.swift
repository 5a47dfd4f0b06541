import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import TaaSPolicy
import TaaSState

/// The policy in PostgreSQL (postgres-nio), for several taasd replicas on one database: the
/// schema and named migrations of the SQLite store, in PostgreSQL's types; each `apply` one
/// transaction, acknowledged only once PostgreSQL has committed it (`synchronous_commit` as the
/// server has it, `on` by default: on disk). The store protocol is synchronous, as SQLite's
/// is: a call waits on postgres-nio's event loop, never on Swift's cooperative pool. One
/// connection, used by one caller at a time (the policy service); it is opened again when lost.
public final class PostgresPolicyStore: PolicyStore, @unchecked Sendable {
    public let configuration: PostgresConnection.Configuration
    /// The URL without its password, for logs and errors.
    public let location: String
    private let logger: Logger
    private let lock = NSLock()
    private var connection: PostgresConnection?

    /// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, or with `?host=/run/postgresql` (a
    /// socket directory, as libpq takes it) for a unix socket.
    public init(url: String, logger: Logger = Logger(label: "taasd.postgres")) throws {
        (configuration, location) = try Self.parse(url)
        self.logger = logger
        try withConnection { c in try Self.migrate(c, logger) }
    }

    deinit { try? connection?.close().wait() }

    // MARK: URL

    static func parse(_ url: String) throws -> (PostgresConnection.Configuration, String) {
        guard let c = URLComponents(string: url), ["postgresql", "postgres"].contains(c.scheme ?? "") else {
            throw StoreError("\(url): not a postgresql://USER@HOST/DATABASE URL")
        }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        guard let user = c.user, !user.isEmpty, !database.isEmpty else {
            throw StoreError("\(url): give a user and a database (postgresql://USER@HOST/DATABASE)")
        }
        let socketDirectory = c.queryItems?.first { $0.name == "host" }?.value
        let port = c.port ?? 5432
        let shown = "postgresql://\(user)@\(c.host ?? "")\(c.port.map { ":\($0)" } ?? "")/\(database)"
            + (socketDirectory.map { "?host=\($0)" } ?? "")
        if let dir = socketDirectory, dir.hasPrefix("/") {
            return (.init(unixSocketPath: "\(dir)/.s.PGSQL.\(port)", username: user, password: c.password, database: database), shown)
        }
        guard let host = c.host, !host.isEmpty else { throw StoreError("\(url): give a host, or ?host=/socket/directory") }
        return (.init(host: host, port: port, username: user, password: c.password, database: database, tls: .disable), shown)
    }

    // MARK: Store

    public func load() throws -> PolicySnapshot {
        try withConnection { c in
            try StoreStatements.snapshot { sql in try Self.run(c, sql, [], logger).map { PostgresRandomAccessRow($0) } }
        }
    }

    public func apply(_ changes: [PolicyChange]) throws {
        guard !changes.isEmpty else { return }
        try withConnection { c in
            try Self.transaction(c, logger) {
                for change in changes {
                    for (sql, values) in StoreStatements.statements(change) { _ = try Self.run(c, sql, values, logger) }
                }
            }
        }
    }

    // MARK: Connection

    /// Runs `body` on the connection, opening it first when there is none or it was lost.
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if connection?.isClosed ?? true {
            do {
                connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                            id: 1, logger: logger).wait()
            } catch {
                connection = nil
                throw StoreError("cannot reach PostgreSQL at \(location): \(String(reflecting: error))")
            }
        }
        guard let c = connection else { throw StoreError("no connection to \(location)") }
        return try body(c)
    }

    /// One statement, its `?` placeholders numbered as PostgreSQL wants them.
    static func run(_ c: PostgresConnection, _ sql: String, _ values: [StoreValue], _ logger: Logger) throws -> [PostgresRow] {
        var bindings = PostgresBindings(capacity: values.count)
        for v in values {
            switch v {
            case .text(let s): try bindings.append(s)
            case .integer(let n): try bindings.append(n)
            case .bool(let b): try bindings.append(b)
            case .null: bindings.appendNull()
            }
        }
        var numbered = "", n = 0
        for ch in sql {
            if ch == "?" {
                n += 1
                numbered += "$\(n)"
            } else {
                numbered.append(ch)
            }
        }
        do {
            return try c.query(PostgresQuery(unsafeSQL: numbered, binds: bindings), logger: logger).wait().rows
        } catch {
            throw StoreError("PostgreSQL refused \(numbered.prefix(60))…: \(String(reflecting: error))")
        }
    }

    /// BEGIN, `body`, COMMIT; ROLLBACK when `body` throws (the connection is closed when even
    /// that fails, so the next call starts clean).
    static func transaction(_ c: PostgresConnection, _ logger: Logger, _ body: () throws -> Void) throws {
        _ = try run(c, "BEGIN", [], logger)
        do {
            try body()
            _ = try run(c, "COMMIT", [], logger)
        } catch {
            do { _ = try run(c, "ROLLBACK", [], logger) } catch { try? c.close().wait() }
            throw error
        }
    }

    // MARK: Schema

    /// Named migrations, as the SQLite store's, in PostgreSQL's types; applied once each, in
    /// order, under an advisory lock so that replicas starting together do not race.
    static let migrations: [(name: String, sql: [String])] = [
        ("v1: tap services, tap flows, tap mirrors, ports", ["""
            CREATE TABLE tap_service (
                id TEXT PRIMARY KEY NOT NULL,
                project_id TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                port_id TEXT NOT NULL UNIQUE,
                status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DOWN', 'ERROR')),
                status_reason TEXT,
                tunnel_key BIGINT NOT NULL UNIQUE
            )
            """, """
            CREATE TABLE tap_flow (
                id TEXT PRIMARY KEY NOT NULL,
                project_id TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                tap_service_id TEXT NOT NULL REFERENCES tap_service(id) ON DELETE CASCADE,
                source_port TEXT NOT NULL,
                direction TEXT NOT NULL CHECK (direction IN ('IN', 'OUT', 'BOTH')),
                vlan_filter TEXT,
                status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DOWN', 'ERROR')),
                status_reason TEXT
            )
            """, "CREATE INDEX tap_flow_service ON tap_flow(tap_service_id)", """
            CREATE TABLE tap_mirror (
                id TEXT PRIMARY KEY NOT NULL,
                project_id TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                port_id TEXT NOT NULL,
                remote_ip TEXT NOT NULL,
                mirror_type TEXT NOT NULL CHECK (mirror_type IN ('erspanv1', 'gre')),
                status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DOWN', 'ERROR')),
                status_reason TEXT
            )
            """, """
            CREATE TABLE tap_mirror_key (
                key BIGINT PRIMARY KEY NOT NULL,
                tap_mirror_id TEXT NOT NULL REFERENCES tap_mirror(id) ON DELETE CASCADE,
                direction TEXT NOT NULL CHECK (direction IN ('IN', 'OUT', 'BOTH')),
                UNIQUE (tap_mirror_id, direction)
            )
            """, """
            CREATE TABLE port (
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                mac_address TEXT NOT NULL,
                host_id TEXT NOT NULL,
                openflow_port BIGINT,
                vlan BIGINT CHECK (vlan IS NULL OR vlan BETWEEN 0 AND 4095),
                project_id TEXT NOT NULL,
                up BOOLEAN NOT NULL
            )
            """]),
        ("v2: statuses are runtime state, not stored", ["tap_service", "tap_flow", "tap_mirror"].map {
            "ALTER TABLE \($0) DROP COLUMN status_reason, DROP COLUMN status"
        }),
        ("v3: snap lengths of tap services and tap mirrors", ["tap_service", "tap_mirror"].map {
            "ALTER TABLE \($0) ADD COLUMN snaplen BIGINT CHECK (snaplen IS NULL OR snaplen BETWEEN 14 AND 65535)"
        }),
        ("v4: traffic filters of tap flows", [
            "ALTER TABLE tap_flow ADD COLUMN ethertype TEXT CHECK (ethertype IS NULL OR ethertype IN ('IPv4', 'IPv6')), "
                + "ADD COLUMN protocol TEXT, ADD COLUMN source_ip_prefix TEXT, ADD COLUMN destination_ip_prefix TEXT, "
                + ["source_port_range_min", "source_port_range_max", "destination_port_range_min", "destination_port_range_max"].map {
                    "ADD COLUMN \($0) BIGINT CHECK (\($0) IS NULL OR \($0) BETWEEN 0 AND 65535)"
                }.joined(separator: ", "),
        ]),
        ("v5: rate limits of tap services and tap mirrors", ["tap_service", "tap_mirror"].map { table in
            "ALTER TABLE \(table) " + ["max_kbps", "max_burst_kbps", "max_kpps"].map {
                "ADD COLUMN \($0) BIGINT CHECK (\($0) IS NULL OR \($0) BETWEEN 0 AND 2147483647)"
            }.joined(separator: ", ")
        }),
        ("v6: more tool ports of load-balanced tap services", ["""
            CREATE TABLE tap_service_tool (
                tap_service_id TEXT NOT NULL REFERENCES tap_service(id) ON DELETE CASCADE,
                position BIGINT NOT NULL CHECK (position BETWEEN 1 AND 15),
                port_id TEXT NOT NULL UNIQUE,
                tunnel_key BIGINT NOT NULL UNIQUE,
                PRIMARY KEY (tap_service_id, position)
            )
            """]),
    ]

    /// A key for `pg_advisory_xact_lock`: taasd's migrations, whichever replica runs them.
    static let migrationLock: Int64 = 0x7aa5_0000_0001

    static func migrate(_ c: PostgresConnection, _ logger: Logger) throws {
        try transaction(c, logger) {
            _ = try run(c, "SELECT pg_advisory_xact_lock(?)", [.integer(migrationLock)], logger)
            _ = try run(c, "CREATE TABLE IF NOT EXISTS taas_migration (name TEXT PRIMARY KEY NOT NULL)", [], logger)
            let done = Set(try run(c, "SELECT name FROM taas_migration", [], logger).map { try PostgresRandomAccessRow($0).text("name") ?? "" })
            for m in migrations where !done.contains(m.name) {
                for sql in m.sql { _ = try run(c, sql, [], logger) }
                _ = try run(c, "INSERT INTO taas_migration (name) VALUES (?)", [.text(m.name)], logger)
                logger.info("store migrated", metadata: ["migration": "\(m.name)"])
            }
        }
    }
}

extension PostgresRandomAccessRow: StoreRow {
    func text(_ column: String) throws -> String? { try cell(column)?.decode(String?.self) ?? nil }
    func integer(_ column: String) throws -> Int64? { try cell(column)?.decode(Int64?.self) ?? nil }
    func bool(_ column: String) throws -> Bool? { try cell(column)?.decode(Bool?.self) ?? nil }

    /// nil when the row has no such column.
    private func cell(_ column: String) -> PostgresCell? { contains(column) ? self[column] : nil }
}
