import TaaSPolicy
import TaaSState

/// A value bound to a statement, whichever database runs it.
enum StoreValue: Sendable {
    case text(String)
    case integer(Int64)
    case null

    static func text(_ s: String?) -> StoreValue { s.map { .text($0) } ?? .null }
    static func integer<I: BinaryInteger>(_ n: I?) -> StoreValue { n.map { .integer(Int64($0)) } ?? .null }
}

/// A row read back, by column name, whichever database it came from.
protocol StoreRow {
    func text(_ column: String) throws -> String?
    func integer(_ column: String) throws -> Int64?
}

struct StoreError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The statements that make one change durable, with `?` placeholders (SQLite's; the
/// PostgreSQL store numbers them), and the mapping of rows back to resources: one schema, two
/// databases. Upserts change only what an update may change.
enum StoreStatements {
    typealias Statement = (sql: String, values: [StoreValue])

    static func statements(_ change: PolicyChange) -> [Statement] {
        switch change {
        case .saveTapService(let s):
            var out: [Statement] = [("""
                INSERT INTO tap_service (id, project_id, name, description, port_id, tunnel_key, snaplen, max_kbps, max_burst_kbps, max_kpps)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, snaplen = excluded.snaplen,
                    max_kbps = excluded.max_kbps, max_burst_kbps = excluded.max_burst_kbps, max_kpps = excluded.max_kpps
                """, [.text(s.id.rawValue), .text(s.projectID), .text(s.name), .text(s.description), .text(s.portID),
                      .integer(s.tunnelKey), .integer(s.snaplen)] + rate(s.rateLimit))]
            // A service's tools are set at creation; an update leaves them as they are.
            for (i, t) in s.moreTools.enumerated() {
                out.append(("""
                    INSERT INTO tap_service_tool (tap_service_id, position, port_id, tunnel_key) VALUES (?, ?, ?, ?)
                    ON CONFLICT(tap_service_id, position) DO NOTHING
                    """, [.text(s.id.rawValue), .integer(i + 1), .text(t.portID), .integer(t.tunnelKey)]))
            }
            return out
        case .deleteTapService(let id):
            return [("DELETE FROM tap_service WHERE id = ?", [.text(id.rawValue)])]
        case .saveTapFlow(let f):
            let t = f.trafficFilter
            return [("""
                INSERT INTO tap_flow (id, project_id, name, description, tap_service_id, source_port, direction, vlan_filter,
                                      ethertype, protocol, source_ip_prefix, destination_ip_prefix, source_port_range_min,
                                      source_port_range_max, destination_port_range_min, destination_port_range_max)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description
                """, [.text(f.id.rawValue), .text(f.projectID), .text(f.name), .text(f.description), .text(f.tapServiceID.rawValue),
                      .text(f.sourcePort), .text(f.direction.rawValue), .text(f.vlanFilter?.description),
                      .text(t?.ethertype?.rawValue), .text(t?.protocol), .text(t?.sourceIPPrefix?.text), .text(t?.destinationIPPrefix?.text),
                      .integer(t?.sourcePorts?.min), .integer(t?.sourcePorts?.max), .integer(t?.destinationPorts?.min),
                      .integer(t?.destinationPorts?.max)])]
        case .deleteTapFlow(let id):
            return [("DELETE FROM tap_flow WHERE id = ?", [.text(id.rawValue)])]
        case .saveTapMirror(let m):
            var out: [Statement] = [("""
                INSERT INTO tap_mirror (id, project_id, name, description, port_id, remote_ip, mirror_type, snaplen, max_kbps,
                                        max_burst_kbps, max_kpps)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, snaplen = excluded.snaplen,
                    max_kbps = excluded.max_kbps, max_burst_kbps = excluded.max_burst_kbps, max_kpps = excluded.max_kpps
                """, [.text(m.id.rawValue), .text(m.projectID), .text(m.name), .text(m.description), .text(m.portID), .text(m.remoteIP),
                      .text(m.mirrorType.rawValue), .integer(m.snaplen)] + rate(m.rateLimit))]
            for (d, key) in m.directions.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                out.append(("INSERT INTO tap_mirror_key (key, tap_mirror_id, direction) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                            [.integer(key), .text(m.id.rawValue), .text(d.rawValue)]))
            }
            return out
        case .deleteTapMirror(let id):
            return [("DELETE FROM tap_mirror WHERE id = ?", [.text(id.rawValue)])]
        case .savePort(let p):
            return [("""
                INSERT INTO port (id, name, mac_address, host_id, openflow_port, vlan, project_id, up)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, mac_address = excluded.mac_address,
                    host_id = excluded.host_id, openflow_port = excluded.openflow_port, vlan = excluded.vlan,
                    project_id = excluded.project_id, up = excluded.up
                """, [.text(p.id), .text(p.name), .text(p.macAddress), .text(p.hostID), .integer(p.openflowPort), .integer(p.vlan),
                      .text(p.projectID), .integer(p.up ? 1 : 0)])]
        }
    }

    static func rate(_ r: RateLimit?) -> [StoreValue] {
        [.integer(r?.maxKbps), .integer(r?.maxBurstKbps), .integer(r?.maxKpps)]
    }

    // MARK: Rows back to resources

    static func required(_ row: StoreRow, _ column: String) throws -> String {
        guard let s = try row.text(column) else { throw StoreError("\(column) is null") }
        return s
    }

    static func id(_ row: StoreRow, _ column: String) throws -> ResourceID {
        let text = try required(row, column)
        guard let id = ResourceID(text) else { throw StoreError("\(column) \(text) is not a UUID") }
        return id
    }

    static func service(_ row: StoreRow, _ tools: [String: [ServiceTool]]) throws -> TapService {
        let sid = try id(row, "id")
        return TapService(id: sid, projectID: try required(row, "project_id"), name: try required(row, "name"),
                          description: try required(row, "description"), portID: try required(row, "port_id"),
                          tunnelKey: UInt32(truncatingIfNeeded: try row.integer("tunnel_key") ?? 0), snaplen: try snaplen(row),
                          rateLimit: try rateLimit(row), moreTools: tools[sid.rawValue] ?? [])
    }

    static func tool(_ row: StoreRow) throws -> (service: String, tool: ServiceTool) {
        (try required(row, "tap_service_id"),
         ServiceTool(portID: try required(row, "port_id"), tunnelKey: UInt32(truncatingIfNeeded: try row.integer("tunnel_key") ?? 0)))
    }

    static func flow(_ row: StoreRow) throws -> TapFlow {
        guard let direction = Direction(rawValue: try required(row, "direction")) else { throw StoreError("bad direction") }
        let filter = try (try row.text("vlan_filter")).map { t throws in
            do { return try VLANFilter(parsing: t) } catch { throw StoreError("bad vlan_filter \(t)") }
        }
        func int(_ c: String) throws -> Int? { try row.integer(c).map { Int($0) } }
        let request = TrafficFilter.Request(
            ethertype: try row.text("ethertype"), protocol: try row.text("protocol"), sourceIPPrefix: try row.text("source_ip_prefix"),
            destinationIPPrefix: try row.text("destination_ip_prefix"), sourcePortMin: try int("source_port_range_min"),
            sourcePortMax: try int("source_port_range_max"), destinationPortMin: try int("destination_port_range_min"),
            destinationPortMax: try int("destination_port_range_max"))
        let traffic: TrafficFilter?
        do { traffic = try TrafficFilter.make(request) } catch { throw StoreError("bad traffic filter: \(error.message)") }
        return TapFlow(id: try id(row, "id"), projectID: try required(row, "project_id"), name: try required(row, "name"),
                       description: try required(row, "description"), tapServiceID: try id(row, "tap_service_id"),
                       sourcePort: try required(row, "source_port"), direction: direction, vlanFilter: filter, trafficFilter: traffic)
    }

    static func mirrorKey(_ row: StoreRow) throws -> (mirror: String, direction: Direction, key: UInt32) {
        guard let d = Direction(rawValue: try required(row, "direction")) else { throw StoreError("bad direction in tap_mirror_key") }
        return (try required(row, "tap_mirror_id"), d, UInt32(truncatingIfNeeded: try row.integer("key") ?? 0))
    }

    static func mirror(_ row: StoreRow, _ keys: [String: [Direction: UInt32]]) throws -> TapMirror {
        guard let type = TapMirror.MirrorType(rawValue: try required(row, "mirror_type")) else { throw StoreError("bad mirror_type") }
        let mid = try id(row, "id")
        return TapMirror(id: mid, projectID: try required(row, "project_id"), name: try required(row, "name"),
                         description: try required(row, "description"), portID: try required(row, "port_id"),
                         directions: keys[mid.rawValue] ?? [:], remoteIP: try required(row, "remote_ip"), mirrorType: type,
                         snaplen: try snaplen(row), rateLimit: try rateLimit(row))
    }

    static func port(_ row: StoreRow) throws -> PortRecord {
        PortRecord(id: try required(row, "id"), name: try required(row, "name"), macAddress: try required(row, "mac_address"),
                   hostID: try required(row, "host_id"), openflowPort: try row.integer("openflow_port").map { UInt32(truncatingIfNeeded: $0) },
                   vlan: try row.integer("vlan").map { UInt16(truncatingIfNeeded: $0) }, projectID: try required(row, "project_id"),
                   up: (try row.integer("up") ?? 0) != 0)
    }

    /// The schema keeps it within 14–65535.
    static func snaplen(_ row: StoreRow) throws -> UInt16? { try row.integer("snaplen").map { UInt16(clamping: $0) } }

    /// The schema keeps them within 0–2^31-1.
    static func rateLimit(_ row: StoreRow) throws -> RateLimit? {
        func value(_ c: String) throws -> UInt32? { try row.integer(c).map { UInt32(clamping: $0) } }
        let r = RateLimit(maxKbps: try value("max_kbps"), maxBurstKbps: try value("max_burst_kbps"), maxKpps: try value("max_kpps"))
        return r == RateLimit() ? nil : r
    }

    /// The resource kinds a change names, as the PostgreSQL store's change log spells them.
    enum Kind: String, CaseIterable {
        case service = "tap_service", flow = "tap_flow", mirror = "tap_mirror", port
    }

    /// The resource a change is about.
    static func subject(_ change: PolicyChange) -> (kind: Kind, id: String) {
        switch change {
        case .saveTapService(let s): (.service, s.id.rawValue)
        case .deleteTapService(let id): (.service, id.rawValue)
        case .saveTapFlow(let f): (.flow, f.id.rawValue)
        case .deleteTapFlow(let id): (.flow, id.rawValue)
        case .saveTapMirror(let m): (.mirror, m.id.rawValue)
        case .deleteTapMirror(let id): (.mirror, id.rawValue)
        case .savePort(let p): (.port, p.id)
        }
    }

    /// Every table's rows, in the order the snapshot needs them, from `select` (a query's rows
    /// and the kind of resource it reads). `only`: the statements end in `WHERE … = ANY(?)`,
    /// for `select` to bind the ids of that kind it wants (PostgreSQL).
    static func snapshot(only: Bool = false, _ select: (String, Kind) throws -> [StoreRow]) throws -> PolicySnapshot {
        func ids(_ column: String) -> String { only ? " WHERE \(column) = ANY(?)" : "" }
        var tools: [String: [ServiceTool]] = [:]
        for row in try select("SELECT * FROM tap_service_tool\(ids("tap_service_id")) ORDER BY tap_service_id, position", .service) {
            let (service, tool) = try Self.tool(row)
            tools[service, default: []].append(tool)
        }
        let services = try select("SELECT * FROM tap_service\(ids("id")) ORDER BY id", .service).map { try service($0, tools) }
        let flows = try select("SELECT * FROM tap_flow\(ids("id")) ORDER BY id", .flow).map(flow)
        var keys: [String: [Direction: UInt32]] = [:]
        for row in try select("SELECT * FROM tap_mirror_key\(ids("tap_mirror_id"))", .mirror) {
            let (m, d, key) = try mirrorKey(row)
            keys[m, default: [:]][d] = key
        }
        let mirrors = try select("SELECT * FROM tap_mirror\(ids("id")) ORDER BY id", .mirror).map { try mirror($0, keys) }
        let ports = try select("SELECT * FROM port\(ids("id")) ORDER BY id", .port).map(port)
        return PolicySnapshot(services: services, flows: flows, mirrors: mirrors, ports: ports)
    }
}
