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
        try pool.read { db in
            func all<R: StoreRecord & FetchableRecord & TableRecord>(_ type: R.Type) throws -> [R] {
                try R.order(R.key.map { Column($0) }).fetchAll(db)
            }
            return try StoreRows(services: all(TapServiceRow.self), tools: all(ServiceToolRow.self), flows: all(TapFlowRow.self),
                                 mirrors: all(TapMirrorRow.self), keys: all(MirrorKeyRow.self), ports: all(PortRow.self)).snapshot()
        }
    }

    /// Each save is its table's one upsert, built from the record's columns and prepared once per
    /// connection (GRDB's statement cache): a bulk create writes 100,000 rows, which took 3.0 s
    /// through GRDB's per-record `insert` (and more through `upsertAndFetch`), 1.6 s this way and
    /// 1.1 s with a hand-written statement (release build, this machine). Deletes the same: a
    /// tap service's delete takes its 10,000 tap flows, 0.55 s through GRDB's `deleteOne`,
    /// which builds its statement anew for each row.
    public func apply(_ changes: [PolicyChange]) throws {
        try pool.write { db in
            for change in changes {
                for (sql, values) in try StoreStatements.statements(change) {
                    try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(values.map(\.sqlite)))
                }
            }
        }
    }
}

/// The records as GRDB's: fetched by their coding keys, in their primary keys' order.
protocol SQLiteRecord: StoreRecord, FetchableRecord, TableRecord {}

extension SQLiteRecord {
    static var databaseTableName: String { table }
}

extension TapServiceRow: SQLiteRecord {}
extension ServiceToolRow: SQLiteRecord {}
extension TapFlowRow: SQLiteRecord {}
extension TapMirrorRow: SQLiteRecord {}
extension MirrorKeyRow: SQLiteRecord {}
extension PortRow: SQLiteRecord {}

extension StoreValue {
    var sqlite: (any DatabaseValueConvertible)? {
        switch self {
        case .text(let s): s
        case .integer(let n): n
        case .null: nil
        }
    }
}
