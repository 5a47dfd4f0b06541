/// The policy's schema, as named migrations (never edited once shipped, only added to), in
/// SQLite's words. The PostgreSQL store runs the same statements with 64-bit integers
/// (`PostgresPolicyStore.postgres`), so both keep the same tables, constraints and history.
enum Schema {
    static let migrations: [(name: String, statements: [String])] = [
        ("v1: tap services, tap flows, tap mirrors, ports", [
            """
            CREATE TABLE tap_service (
                id TEXT PRIMARY KEY NOT NULL,
                project_id TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                port_id TEXT NOT NULL UNIQUE,
                status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DOWN', 'ERROR')),
                status_reason TEXT,
                tunnel_key INTEGER NOT NULL UNIQUE
            )
            """,
            """
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
            """,
            """
            CREATE INDEX tap_flow_service ON tap_flow(tap_service_id)
            """,
            """
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
            """,
            """
            CREATE TABLE tap_mirror_key (
                key INTEGER PRIMARY KEY NOT NULL,
                tap_mirror_id TEXT NOT NULL REFERENCES tap_mirror(id) ON DELETE CASCADE,
                direction TEXT NOT NULL CHECK (direction IN ('IN', 'OUT', 'BOTH')),
                UNIQUE (tap_mirror_id, direction)
            )
            """,
            """
            CREATE TABLE port (
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                mac_address TEXT NOT NULL,
                host_id TEXT NOT NULL,
                openflow_port INTEGER,
                vlan INTEGER CHECK (vlan IS NULL OR vlan BETWEEN 0 AND 4095),
                project_id TEXT NOT NULL,
                up INTEGER NOT NULL
            )
            """,
        ]),
        ("v2: statuses are runtime state, not stored", ["tap_service", "tap_flow", "tap_mirror"].flatMap { table in
            ["ALTER TABLE \(table) DROP COLUMN status_reason", "ALTER TABLE \(table) DROP COLUMN status"]
        }),
        ("v3: snap lengths of tap services and tap mirrors", ["tap_service", "tap_mirror"].map { table in
            "ALTER TABLE \(table) ADD COLUMN snaplen INTEGER CHECK (snaplen IS NULL OR snaplen BETWEEN 14 AND 65535)"
        }),
        ("v4: traffic filters of tap flows",
         ["ethertype TEXT CHECK (ethertype IS NULL OR ethertype IN ('IPv4', 'IPv6'))", "protocol TEXT", "source_ip_prefix TEXT",
          "destination_ip_prefix TEXT"].map { "ALTER TABLE tap_flow ADD COLUMN \($0)" }
            + ["source_port_range_min", "source_port_range_max", "destination_port_range_min", "destination_port_range_max"].map { column in
                "ALTER TABLE tap_flow ADD COLUMN \(column) INTEGER CHECK (\(column) IS NULL OR \(column) BETWEEN 0 AND 65535)"
            }),
        ("v5: rate limits of tap services and tap mirrors", ["tap_service", "tap_mirror"].flatMap { table in
            ["max_kbps", "max_burst_kbps", "max_kpps"].map { column in
                "ALTER TABLE \(table) ADD COLUMN \(column) INTEGER CHECK (\(column) IS NULL OR \(column) BETWEEN 0 AND 2147483647)"
            }
        }),
        ("v6: more tool ports of load-balanced tap services", ["""
            CREATE TABLE tap_service_tool (
                tap_service_id TEXT NOT NULL REFERENCES tap_service(id) ON DELETE CASCADE,
                position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 15),
                port_id TEXT NOT NULL UNIQUE,
                tunnel_key INTEGER NOT NULL UNIQUE,
                PRIMARY KEY (tap_service_id, position)
            )
            """]),
    ]
}
