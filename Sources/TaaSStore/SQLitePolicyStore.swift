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
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            // WAL plus FULL: every commit is fsynced, so an acknowledged write survives power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
    }

    /// Named migrations; never edited once shipped, only added to.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: tap services, tap flows, tap mirrors, ports") { db in
            try db.execute(sql: """
                CREATE TABLE tap_service (
                    id TEXT PRIMARY KEY NOT NULL,
                    project_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    port_id TEXT NOT NULL UNIQUE,
                    status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DOWN', 'ERROR')),
                    status_reason TEXT,
                    tunnel_key INTEGER NOT NULL UNIQUE
                );
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
                );
                CREATE INDEX tap_flow_service ON tap_flow(tap_service_id);
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
                );
                CREATE TABLE tap_mirror_key (
                    key INTEGER PRIMARY KEY NOT NULL,
                    tap_mirror_id TEXT NOT NULL REFERENCES tap_mirror(id) ON DELETE CASCADE,
                    direction TEXT NOT NULL CHECK (direction IN ('IN', 'OUT', 'BOTH')),
                    UNIQUE (tap_mirror_id, direction)
                );
                CREATE TABLE port (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    mac_address TEXT NOT NULL,
                    host_id TEXT NOT NULL,
                    openflow_port INTEGER,
                    vlan INTEGER CHECK (vlan IS NULL OR vlan BETWEEN 0 AND 4095),
                    project_id TEXT NOT NULL,
                    up INTEGER NOT NULL
                );
                """)
        }
        m.registerMigration("v2: statuses are runtime state, not stored") { db in
            for table in ["tap_service", "tap_flow", "tap_mirror"] {
                try db.execute(sql: "ALTER TABLE \(table) DROP COLUMN status_reason")
                try db.execute(sql: "ALTER TABLE \(table) DROP COLUMN status")
            }
        }
        m.registerMigration("v3: snap lengths of tap services and tap mirrors") { db in
            for table in ["tap_service", "tap_mirror"] {
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN snaplen INTEGER CHECK (snaplen IS NULL OR snaplen BETWEEN 14 AND 65535)")
            }
        }
        m.registerMigration("v4: traffic filters of tap flows") { db in
            for column in ["ethertype TEXT CHECK (ethertype IS NULL OR ethertype IN ('IPv4', 'IPv6'))", "protocol TEXT",
                           "source_ip_prefix TEXT", "destination_ip_prefix TEXT"] {
                try db.execute(sql: "ALTER TABLE tap_flow ADD COLUMN \(column)")
            }
            for column in ["source_port_range_min", "source_port_range_max", "destination_port_range_min", "destination_port_range_max"] {
                try db.execute(sql: "ALTER TABLE tap_flow ADD COLUMN \(column) INTEGER CHECK (\(column) IS NULL OR \(column) BETWEEN 0 AND 65535)")
            }
        }
        m.registerMigration("v5: rate limits of tap services and tap mirrors") { db in
            for table in ["tap_service", "tap_mirror"] {
                for column in ["max_kbps", "max_burst_kbps", "max_kpps"] {
                    try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(column) INTEGER CHECK (\(column) IS NULL OR \(column) BETWEEN 0 AND 2147483647)")
                }
            }
        }
        m.registerMigration("v6: more tool ports of load-balanced tap services") { db in
            try db.execute(sql: """
                CREATE TABLE tap_service_tool (
                    tap_service_id TEXT NOT NULL REFERENCES tap_service(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 15),
                    port_id TEXT NOT NULL UNIQUE,
                    tunnel_key INTEGER NOT NULL UNIQUE,
                    PRIMARY KEY (tap_service_id, position)
                )
                """)
        }
        return m
    }

    public func load() throws -> PolicySnapshot {
        try pool.read { db in try StoreStatements.snapshot { sql in try Row.fetchAll(db, sql: sql) } }
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
    func bool(_ column: String) throws -> Bool? { self[column] }
}

extension StoreValue {
    var sqlite: (any DatabaseValueConvertible)? {
        switch self {
        case .text(let s): s
        case .integer(let n): n
        case .bool(let b): b
        case .null: nil
        }
    }
}
