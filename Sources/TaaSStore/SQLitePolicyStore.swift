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
        try pool.read { db in
            var tools: [String: [ServiceTool]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM tap_service_tool ORDER BY tap_service_id, position") {
                tools[row["tap_service_id"], default: []].append(ServiceTool(portID: row["port_id"],
                                                                             tunnelKey: UInt32(truncatingIfNeeded: row["tunnel_key"] as Int64)))
            }
            let services = try Row.fetchAll(db, sql: "SELECT * FROM tap_service ORDER BY id").map { try Self.service($0, tools) }
            let flows = try Row.fetchAll(db, sql: "SELECT * FROM tap_flow ORDER BY id").map(Self.flow)
            var keys: [String: [Direction: UInt32]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM tap_mirror_key") {
                let id: String = row["tap_mirror_id"]
                guard let d = Direction(rawValue: row["direction"]) else { throw StoreError("bad direction in tap_mirror_key") }
                keys[id, default: [:]][d] = UInt32(row["key"] as Int64)
            }
            let mirrors = try Row.fetchAll(db, sql: "SELECT * FROM tap_mirror ORDER BY id").map { try Self.mirror($0, keys) }
            let ports = try Row.fetchAll(db, sql: "SELECT * FROM port ORDER BY id").map(Self.port)
            return PolicySnapshot(services: services, flows: flows, mirrors: mirrors, ports: ports)
        }
    }

    /// Statements are prepared once per connection (GRDB's cache): a bulk create writes
    /// thousands of rows, and parsing each one's SQL cost as much as writing it.
    public func apply(_ changes: [PolicyChange]) throws {
        try pool.write { db in
            for change in changes {
                switch change {
                case .saveTapService(let s):
                    try db.cachedStatement(sql: """
                        INSERT INTO tap_service (id, project_id, name, description, port_id, tunnel_key, snaplen, max_kbps, max_burst_kbps,
                                                 max_kpps)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, snaplen = excluded.snaplen,
                            max_kbps = excluded.max_kbps, max_burst_kbps = excluded.max_burst_kbps, max_kpps = excluded.max_kpps
                        """).execute(arguments: StatementArguments(
                            [s.id.rawValue, s.projectID, s.name, s.description, s.portID, Int64(s.tunnelKey), s.snaplen.map { Int64($0) }]
                                + Self.columns(s.rateLimit)))
                    // A service's tools are set at creation; an update leaves them as they are.
                    for (i, t) in s.moreTools.enumerated() {
                        try db.cachedStatement(sql: """
                            INSERT INTO tap_service_tool (tap_service_id, position, port_id, tunnel_key) VALUES (?, ?, ?, ?)
                            ON CONFLICT(tap_service_id, position) DO NOTHING
                            """).execute(arguments: [s.id.rawValue, i + 1, t.portID, Int64(t.tunnelKey)])
                    }
                case .deleteTapService(let id):
                    try db.cachedStatement(sql: "DELETE FROM tap_service WHERE id = ?").execute(arguments: [id.rawValue])
                case .saveTapFlow(let f):
                    try db.cachedStatement(sql: """
                        INSERT INTO tap_flow (id, project_id, name, description, tap_service_id, source_port, direction, vlan_filter,
                                              ethertype, protocol, source_ip_prefix, destination_ip_prefix, source_port_range_min,
                                              source_port_range_max, destination_port_range_min, destination_port_range_max)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description
                        """).execute(arguments: StatementArguments(
                            [f.id.rawValue, f.projectID, f.name, f.description, f.tapServiceID.rawValue, f.sourcePort, f.direction.rawValue,
                             f.vlanFilter?.description] + Self.columns(f.trafficFilter)))
                case .deleteTapFlow(let id):
                    try db.cachedStatement(sql: "DELETE FROM tap_flow WHERE id = ?").execute(arguments: [id.rawValue])
                case .saveTapMirror(let m):
                    try db.cachedStatement(sql: """
                        INSERT INTO tap_mirror (id, project_id, name, description, port_id, remote_ip, mirror_type, snaplen, max_kbps,
                                                max_burst_kbps, max_kpps)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, snaplen = excluded.snaplen,
                            max_kbps = excluded.max_kbps, max_burst_kbps = excluded.max_burst_kbps, max_kpps = excluded.max_kpps
                        """).execute(arguments: StatementArguments(
                            [m.id.rawValue, m.projectID, m.name, m.description, m.portID, m.remoteIP, m.mirrorType.rawValue,
                             m.snaplen.map { Int64($0) }] + Self.columns(m.rateLimit)))
                    for (d, key) in m.directions {
                        try db.cachedStatement(sql: "INSERT OR IGNORE INTO tap_mirror_key (key, tap_mirror_id, direction) VALUES (?, ?, ?)")
                            .execute(arguments: [Int64(key), m.id.rawValue, d.rawValue])
                    }
                case .deleteTapMirror(let id):
                    try db.cachedStatement(sql: "DELETE FROM tap_mirror WHERE id = ?").execute(arguments: [id.rawValue])
                case .savePort(let p):
                    try db.cachedStatement(sql: """
                        INSERT INTO port (id, name, mac_address, host_id, openflow_port, vlan, project_id, up)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET name = excluded.name, mac_address = excluded.mac_address,
                            host_id = excluded.host_id, openflow_port = excluded.openflow_port, vlan = excluded.vlan,
                            project_id = excluded.project_id, up = excluded.up
                        """).execute(arguments: [p.id, p.name, p.macAddress, p.hostID, p.openflowPort.map { Int64($0) }, p.vlan.map { Int64($0) },
                                         p.projectID, p.up])
                }
            }
        }
    }

    // MARK: Rows

    struct StoreError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func id(_ row: Row, _ column: String) throws -> ResourceID {
        let text: String = row[column]
        guard let id = ResourceID(text) else { throw StoreError("\(column) \(text) is not a UUID") }
        return id
    }

    static func service(_ row: Row, _ tools: [String: [ServiceTool]]) throws -> TapService {
        let sid = try id(row, "id")
        return TapService(id: sid, projectID: row["project_id"], name: row["name"], description: row["description"],
                          portID: row["port_id"], tunnelKey: UInt32(truncatingIfNeeded: row["tunnel_key"] as Int64? ?? 0), snaplen: snaplen(row),
                          rateLimit: rateLimit(row), moreTools: tools[sid.rawValue] ?? [])
    }

    static func flow(_ row: Row) throws -> TapFlow {
        guard let direction = Direction(rawValue: row["direction"]) else { throw StoreError("bad direction") }
        let filterText: String? = row["vlan_filter"]
        let filter = try filterText.map { t throws in
            do { return try VLANFilter(parsing: t) } catch { throw StoreError("bad vlan_filter \(t)") }
        }
        let request = TrafficFilter.Request(
            ethertype: row["ethertype"], protocol: row["protocol"], sourceIPPrefix: row["source_ip_prefix"],
            destinationIPPrefix: row["destination_ip_prefix"], sourcePortMin: row["source_port_range_min"],
            sourcePortMax: row["source_port_range_max"], destinationPortMin: row["destination_port_range_min"],
            destinationPortMax: row["destination_port_range_max"])
        let traffic: TrafficFilter?
        do { traffic = try TrafficFilter.make(request) } catch { throw StoreError("bad traffic filter: \(error.message)") }
        return TapFlow(id: try id(row, "id"), projectID: row["project_id"], name: row["name"], description: row["description"],
                       tapServiceID: try id(row, "tap_service_id"), sourcePort: row["source_port"], direction: direction,
                       vlanFilter: filter, trafficFilter: traffic)
    }

    /// The schema keeps them within 0–2^31-1.
    static func rateLimit(_ row: Row) -> RateLimit? {
        func value(_ c: String) -> UInt32? { (row[c] as Int64?).map { UInt32(clamping: $0) } }
        let r = RateLimit(maxKbps: value("max_kbps"), maxBurstKbps: value("max_burst_kbps"), maxKpps: value("max_kpps"))
        return r == RateLimit() ? nil : r
    }

    static func columns(_ r: RateLimit?) -> [(any DatabaseValueConvertible)?] {
        [(r?.maxKbps).map { Int64($0) }, (r?.maxBurstKbps).map { Int64($0) }, (r?.maxKpps).map { Int64($0) }]
    }

    /// A traffic filter's columns, in the order of the insert above.
    static func columns(_ t: TrafficFilter?) -> [(any DatabaseValueConvertible)?] {
        [t?.ethertype?.rawValue, t?.protocol, t?.sourceIPPrefix?.text, t?.destinationIPPrefix?.text,
         (t?.sourcePorts?.min).map { Int64($0) }, (t?.sourcePorts?.max).map { Int64($0) },
         (t?.destinationPorts?.min).map { Int64($0) }, (t?.destinationPorts?.max).map { Int64($0) }]
    }

    static func mirror(_ row: Row, _ keys: [String: [Direction: UInt32]]) throws -> TapMirror {
        guard let type = TapMirror.MirrorType(rawValue: row["mirror_type"]) else { throw StoreError("bad mirror_type") }
        let mid = try id(row, "id")
        return TapMirror(id: mid, projectID: row["project_id"], name: row["name"], description: row["description"],
                         portID: row["port_id"], directions: keys[mid.rawValue] ?? [:], remoteIP: row["remote_ip"], mirrorType: type,
                         snaplen: snaplen(row), rateLimit: rateLimit(row))
    }

    /// The schema keeps it within 14–65535.
    static func snaplen(_ row: Row) -> UInt16? {
        (row["snaplen"] as Int64?).map { UInt16(clamping: $0) }
    }

    static func port(_ row: Row) throws -> PortRecord {
        let ofport: Int64? = row["openflow_port"]
        let vlan: Int64? = row["vlan"]
        return PortRecord(id: row["id"], name: row["name"], macAddress: row["mac_address"], hostID: row["host_id"],
                          openflowPort: ofport.map { UInt32(truncatingIfNeeded: $0) }, vlan: vlan.map { UInt16(truncatingIfNeeded: $0) },
                          projectID: row["project_id"], up: row["up"])
    }
}
