import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import TaaSPolicy
import TaaSState

/// The policy in PostgreSQL (postgres-nio), for several taasd replicas on one database: the
/// schema and named migrations of the SQLite store (`Schema`), in PostgreSQL's types; each `apply` one
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
    /// The longest a statement, or opening the connection, may take: a database that stops
    /// answering fails the call (the API answers 503) rather than hanging it.
    public static let timeout = TimeAmount.seconds(5)

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
            throw StoreError("--db: not a postgresql://USER@HOST/DATABASE URL")
        }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        guard let user = c.user, !user.isEmpty, !database.isEmpty else {
            throw StoreError("--db: give a user and a database (postgresql://USER@HOST/DATABASE)")
        }
        let socketDirectory = c.queryItems?.first { $0.name == "host" }?.value
        let port = c.port ?? 5432
        let shown = "postgresql://\(user)@\(c.host ?? "")\(c.port.map { ":\($0)" } ?? "")/\(database)"
            + (socketDirectory.map { "?host=\($0)" } ?? "")
        if let dir = socketDirectory, dir.hasPrefix("/") {
            return (.init(unixSocketPath: "\(dir)/.s.PGSQL.\(port)", username: user, password: c.password, database: database), shown)
        }
        guard let host = c.host, !host.isEmpty else { throw StoreError("--db \(shown): give a host, or ?host=/socket/directory") }
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
                // A connection that comes up after the wait gave up is closed at once.
                connection = try Self.wait(PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                                      id: 1, logger: logger), "connecting",
                                           late: { let _: EventLoopFuture<Void> = $0.close() })
            } catch let e as TimedOut {
                connection = nil
                throw timedOut(e)
            } catch {
                connection = nil
                logger.error("cannot reach PostgreSQL", metadata: ["postgresql": "\(location)", "error": "\(String(reflecting: error))"])
                throw StoreError("cannot reach PostgreSQL (taasd's log has the details)")
            }
        }
        guard let c = connection else { throw StoreError("no connection to PostgreSQL") }
        do {
            return try body(c)
        } catch let e as TimedOut {
            // Whatever the server does with it later, this connection is not used again.
            let _: EventLoopFuture<Void> = c.close()
            connection = nil
            throw timedOut(e)
        }
    }

    /// The error a caller (and through the API, a client) sees: no address, no password; the
    /// log has where.
    private func timedOut(_ e: TimedOut) -> StoreError {
        logger.error("PostgreSQL did not answer", metadata: ["postgresql": "\(location)", "waiting for": "\(e.what)"])
        return StoreError("PostgreSQL did not answer within \(Self.timeout.nanoseconds / 1_000_000_000) s (\(e.what))")
    }

    struct TimedOut: Error {
        var what: String
    }

    /// Waits for `f`, at most `timeout`; a value that arrives after that goes to `late`.
    static func wait<T: Sendable>(_ f: EventLoopFuture<T>, _ what: String, late: @escaping @Sendable (T) -> Void = { _ in }) throws -> T {
        let promise = f.eventLoop.makePromise(of: T.self)
        let done = NIOLockedValueBox(false)
        func finish(_ r: Result<T, any Error>) -> Bool {
            guard done.withLockedValue({ d in defer { d = true }; return !d }) else { return false }
            promise.completeWith(r)
            return true
        }
        let timer = f.eventLoop.scheduleTask(in: timeout) { _ = finish(.failure(TimedOut(what: what))) }
        f.whenComplete { r in
            timer.cancel()
            if !finish(r), case .success(let value) = r { late(value) }
        }
        return try promise.futureResult.wait()
    }

    /// One statement, its `?` placeholders numbered as PostgreSQL wants them.
    static func run(_ c: PostgresConnection, _ sql: String, _ values: [StoreValue], _ logger: Logger) throws -> [PostgresRow] {
        var bindings = PostgresBindings(capacity: values.count)
        for v in values {
            switch v {
            case .text(let s): try bindings.append(s)
            case .integer(let n): try bindings.append(n)
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
            return try wait(c.query(PostgresQuery(unsafeSQL: numbered, binds: bindings), logger: logger), String(numbered.prefix(40))).rows
        } catch let e as TimedOut {
            throw e
        } catch {
            // The full error (with the server's message) goes to the log, not to API clients.
            logger.error("PostgreSQL refused a statement", metadata: ["statement": "\(numbered.prefix(60))", "error": "\(String(reflecting: error))"])
            throw StoreError("PostgreSQL refused \(numbered.prefix(60))… (taasd's log has the server's reason)")
        }
    }

    /// BEGIN, `body`, COMMIT; ROLLBACK when `body` throws (the connection is closed when even
    /// that fails, or the server stopped answering, so the next call starts clean). A COMMIT
    /// that times out may still have happened: the call fails (nothing acknowledged), and the
    /// database may hold the write; it is read back at the next start.
    static func transaction(_ c: PostgresConnection, _ logger: Logger, _ body: () throws -> Void) throws {
        _ = try run(c, "BEGIN", [], logger)
        do {
            try body()
            _ = try run(c, "COMMIT", [], logger)
        } catch let e as TimedOut {
            throw e
        } catch {
            do { _ = try run(c, "ROLLBACK", [], logger) } catch { let _: EventLoopFuture<Void> = c.close() }
            throw error
        }
    }

    // MARK: Schema

    /// The schema's named migrations in PostgreSQL's types: SQLite's INTEGER is 64-bit, and
    /// PostgreSQL's is not (tunnel keys and port numbers are unsigned 32-bit).
    static let postgres: [(name: String, statements: [String])] = Schema.migrations.map { m in
        (m.name, m.statements.map { $0.replacingOccurrences(of: "INTEGER", with: "BIGINT") })
    }

    /// A key for `pg_advisory_xact_lock`: taasd's migrations, whichever replica runs them.
    static let migrationLock: Int64 = 0x7aa5_0000_0001

    static func migrate(_ c: PostgresConnection, _ logger: Logger) throws {
        try transaction(c, logger) {
            _ = try run(c, "SELECT pg_advisory_xact_lock(?)", [.integer(migrationLock)], logger)
            _ = try run(c, "CREATE TABLE IF NOT EXISTS taas_migration (name TEXT PRIMARY KEY NOT NULL)", [], logger)
            let done = Set(try run(c, "SELECT name FROM taas_migration", [], logger).map { try PostgresRandomAccessRow($0).text("name") ?? "" })
            for m in postgres where !done.contains(m.name) {
                for sql in m.statements { _ = try run(c, sql, [], logger) }
                _ = try run(c, "INSERT INTO taas_migration (name) VALUES (?)", [.text(m.name)], logger)
                logger.info("store migrated", metadata: ["migration": "\(m.name)"])
            }
        }
    }
}

extension PostgresRandomAccessRow: StoreRow {
    func text(_ column: String) throws -> String? { try cell(column)?.decode(String?.self) ?? nil }
    func integer(_ column: String) throws -> Int64? { try cell(column)?.decode(Int64?.self) ?? nil }

    /// nil when the row has no such column.
    private func cell(_ column: String) -> PostgresCell? { contains(column) ? self[column] : nil }
}
