import Foundation
import GRDB
import TaaSPolicy
import TaaSState

/// The policy in SQLite through GRDB: WAL mode, `synchronous=FULL` so a commit is on disk
/// before `apply` returns, and a schema that enforces what it can (foreign keys, cascades,
/// uniqueness of destination ports, tunnel keys and mirror keys).
public final class SQLitePolicyStore: PolicyStore {
    let pool: DatabasePool
    public let path: String

    public static let defaultPath = "/var/lib/taasd/taasd.sqlite"

    public init(path: String) throws {
        self.path = path
        // The policy is for taasd's eyes: the file is made readable by its owner only, and SQLite
        // gives its -wal and -shm files the database file's permissions.
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            // WAL plus FULL: every commit is fsynced, so an acknowledged write survives power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
    }

    /// The schema's named migrations (`Schema`), each applied once.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        for migration in Schema.migrations {
            m.registerMigration(migration.name) { db in
                for sql in migration.statements { try db.execute(sql: sql) }
            }
        }
        return m
    }

    public func load() throws -> PolicySnapshot {
        try pool.read { db in try StoreStatements.snapshot { sql, _ in try Row.fetchAll(db, sql: sql) } }
    }

    /// Statements are prepared once per connection (GRDB's cache): a bulk create writes
    /// thousands of rows, and parsing each one's SQL cost as much as writing it.
    public func apply(_ changes: [PolicyChange]) throws {
        try pool.write { db in
            for change in changes {
                for (sql, values) in StoreStatements.statements(change) {
                    try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(values.map(\.sqlite)))
                }
            }
        }
    }
}

extension Row: StoreRow {
    func text(_ column: String) throws -> String? { self[column] }
    func integer(_ column: String) throws -> Int64? { self[column] }
}

extension StoreValue {
    var sqlite: (any DatabaseValueConvertible)? {
        switch self {
        case .text(let s): s
        case .integer(let n): n
        case .null: nil
        }
    }
}
