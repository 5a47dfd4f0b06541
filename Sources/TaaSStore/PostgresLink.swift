import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import TaaSState

/// One connection to PostgreSQL, used by one caller at a time and opened again when lost. Calls
/// are synchronous (the store protocol's, as SQLite's are): they wait on postgres-nio's event
/// loop, never on Swift's cooperative pool, and at most `timeout`, so a database that stops
/// answering fails the call rather than hanging it.
final class PostgresLink: @unchecked Sendable {
    let configuration: PostgresConnection.Configuration
    /// The URL without its password, for logs.
    let location: String
    let timeout: TimeAmount
    let logger: Logger
    private let lock = NSLock()
    private var connection: PostgresConnection?

    init(configuration: PostgresConnection.Configuration, location: String, timeout: TimeAmount, logger: Logger) {
        self.configuration = configuration
        self.location = location
        self.timeout = timeout
        self.logger = logger
    }

    deinit { try? connection?.close().wait() }

    /// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, or with `?host=/run/postgresql` (a
    /// socket directory, as libpq takes it) for a unix socket. Returns the configuration and the
    /// URL without its password.
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

    /// Opens a connection of its own, waiting at most `within` (default: as long as a call may).
    func open(id: Int, within: TimeAmount? = nil) throws -> PostgresConnection {
        try Self.wait(PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                 id: id, logger: logger), "connecting", timeout: within ?? timeout,
                      late: { Self.discard($0) })
    }

    /// Runs `body` on the connection, opening it first when there is none or it was lost. Getting
    /// the connection (waiting for the call ahead, opening it, setting it up) takes at most
    /// `timeout` in all: behind a call stuck on a server that stopped answering (a catch-up, say),
    /// a write would otherwise wait that call's timeout, then the connection's, then its own.
    /// Within a write's `StoreDeadline`, getting the connection takes at most what is left of it:
    /// none left (the write waited behind calls to a server that stopped answering), it fails at once.
    func with<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        var by = NIODeadline.now() + timeout
        if let deadline = StoreDeadline.by {
            let left = TimeAmount(ContinuousClock.now.duration(to: deadline))
            guard left > .zero else { throw timedOut(TimedOut(what: "the calls to the store ahead of this one")) }
            by = min(by, NIODeadline.now() + left)
        }
        func left() -> TimeAmount { max(by - .now(), .zero) }
        guard lock.lock(before: Date(timeIntervalSinceNow: Double(left().nanoseconds) / 1e9)) else {
            throw timedOut(TimedOut(what: "the connection, busy with another statement"))
        }
        defer { lock.unlock() }
        if connection?.isClosed ?? true {
            do {
                // A connection that comes up after the wait gave up is closed at once.
                let c = try open(id: 1, within: left())
                do {
                    // A replica stopped inside a transaction (SIGSTOP, a hung host) would hold the
                    // writers' lock for ever: the server ends such a session instead.
                    _ = try run(c, "SET idle_in_transaction_session_timeout = \(Self.idleInTransaction)", [], within: left())
                } catch {
                    // Never dropped unclosed (postgres-nio traps on that in debug builds).
                    Self.discard(c)
                    throw error
                }
                connection = c
            } catch let e as TimedOut {
                connection = nil
                throw timedOut(e)
            } catch let e as StoreError {
                connection = nil
                throw e
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
            Self.discard(c)
            connection = nil
            throw timedOut(e)
        }
    }

    /// Closes a connection without waiting, keeping it alive until it is closed (postgres-nio
    /// traps, in debug builds, on a connection freed before its close completed).
    static func discard(_ c: PostgresConnection) {
        c.close().whenComplete { _ in withExtendedLifetime(c) {} }
    }

    /// Milliseconds a session may sit idle inside a transaction before the server ends it.
    static let idleInTransaction = 3000

    /// The error a caller (and through the API, a client) sees: no address, no password; the
    /// log has where.
    private func timedOut(_ e: TimedOut) -> StoreError {
        logger.error("PostgreSQL did not answer", metadata: ["postgresql": "\(location)", "waiting for": "\(e.what)"])
        return StoreError("PostgreSQL did not answer within \(timeout.nanoseconds / 1_000_000) ms (\(e.what))")
    }

    struct TimedOut: Error {
        var what: String
    }

    /// Waits for `f`, at most `timeout`; a value that arrives after that goes to `late`.
    static func wait<T: Sendable>(_ f: EventLoopFuture<T>, _ what: String, timeout: TimeAmount,
                                  late: @escaping @Sendable (T) -> Void = { _ in }) throws -> T {
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

    /// One statement, its `?` placeholders numbered as PostgreSQL wants them; answered within
    /// `within` (default `timeout`).
    func run(_ c: PostgresConnection, _ sql: String, _ values: [StoreValue], within: TimeAmount? = nil) throws -> [PostgresRow] {
        var bindings = PostgresBindings(capacity: values.count)
        for v in values {
            switch v {
            case .text(let s): try bindings.append(s)
            case .integer(let n): try bindings.append(n)
            case .null: bindings.appendNull()
            }
        }
        return try run(c, sql, bindings, within: within)
    }

    func run(_ c: PostgresConnection, _ sql: String, _ bindings: PostgresBindings, within: TimeAmount? = nil) throws -> [PostgresRow] {
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
            return try Self.wait(c.query(PostgresQuery(unsafeSQL: numbered, binds: bindings), logger: logger), String(numbered.prefix(40)),
                                 timeout: within ?? timeout).rows
        } catch let e as TimedOut {
            throw e
        } catch {
            // The full error (with the server's message) goes to the log, not to API clients.
            logger.error("PostgreSQL refused a statement", metadata: ["statement": "\(numbered.prefix(60))", "error": "\(String(reflecting: error))"])
            throw StoreError("PostgreSQL refused \(numbered.prefix(60))… (taasd's log has the server's reason)")
        }
    }

    /// `begin`, `body`, COMMIT; ROLLBACK when `body` throws (the connection is closed when even
    /// that fails, or the server stopped answering, so the next call starts clean). A COMMIT
    /// that times out may still have happened: the call fails (nothing acknowledged), and the
    /// database may hold the write (the change log shows it to every replica).
    func transaction<T>(_ c: PostgresConnection, begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        _ = try run(c, begin, [])
        do {
            let result = try body()
            _ = try run(c, "COMMIT", [])
            return result
        } catch let e as TimedOut {
            throw e
        } catch {
            do { _ = try run(c, "ROLLBACK", []) } catch { Self.discard(c) }
            throw error
        }
    }
}

extension PostgresRandomAccessRow: StoreRow {
    func text(_ column: String) throws -> String? { try cell(column)?.decode(String?.self) ?? nil }
    func integer(_ column: String) throws -> Int64? { try cell(column)?.decode(Int64?.self) ?? nil }

    /// nil when the row has no such column.
    private func cell(_ column: String) -> PostgresCell? { contains(column) ? self[column] : nil }
}
