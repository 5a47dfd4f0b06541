/// A local copy of the monitored part of one database, kept current by applying `update`
/// notifications (monitor version 1: each row's "new" holds every monitored column).
public struct Replica: Hashable, Sendable {
    /// Table → row UUID → row.
    public var tables: [String: [String: Row]] = [:]

    public init() {}

    public func rows(_ table: String) -> [String: Row] { tables[table] ?? [:] }

    /// Applies `<table-updates>` (the monitor reply or an update notification). Nothing is applied
    /// when any part is malformed, so the copy is never half-updated.
    public mutating func apply(_ updates: JSONValue) throws(Datum.Invalid) {
        guard case .object(let byTable) = updates else { throw Datum.Invalid(description: "table-updates must be an object") }
        var next = tables
        for (table, rowsJSON) in byTable {
            guard case .object(let rowUpdates) = rowsJSON else { throw Datum.Invalid(description: "updates of \(table) must be an object") }
            var rows = next[table] ?? [:]
            for (uuid, update) in rowUpdates {
                guard case .object(let u) = update else { throw Datum.Invalid(description: "row update \(uuid) must be an object") }
                if let new = u["new"] {
                    guard case .object(let columns) = new else { throw Datum.Invalid(description: "\"new\" of \(uuid) must be an object") }
                    var row: Row = [:]
                    for (c, v) in columns { row[c] = try Datum(v) }
                    rows[uuid] = row
                } else {
                    rows[uuid] = nil
                }
            }
            next[table] = rows
        }
        tables = next
    }
}

/// What taasd reads from each node's Open_vSwitch database.
public enum OpenVSwitchSchema {
    public static let database = "Open_vSwitch"

    /// Table → the columns monitored. Those marked essential must exist; the rest are read when
    /// present (older or newer schemas may lack them).
    public static let columns: [String: [String]] = [
        "Open_vSwitch": ["external_ids", "bridges"],
        "Bridge": ["name", "datapath_id", "controller", "fail_mode", "ports", "external_ids"],
        "Port": ["name", "tag", "trunks", "interfaces", "external_ids"],
        "Interface": ["name", "type", "ofport", "external_ids", "mac_in_use", "options", "error", "link_state"],
        "Controller": ["target", "is_connected"],
    ]
    public static let essential: [String: [String]] = [
        "Open_vSwitch": ["external_ids", "bridges"],
        "Bridge": ["name", "ports"],
        "Port": ["name", "interfaces"],
        "Interface": ["name", "type", "ofport", "external_ids", "options"],
    ]

    /// From a `get_schema` reply: the monitor request's `<monitor-requests>`, or why the schema
    /// cannot serve (an essential table or column missing).
    public static func monitorRequests(schema: JSONValue) -> Result<JSONValue, Datum.Invalid> {
        guard let tables = schema["tables"]?.object else { return .failure(.init(description: "the schema has no \"tables\"")) }
        var missing: [String] = []
        var requests: [String: JSONValue] = [:]
        for (table, wanted) in columns.sorted(by: { $0.key < $1.key }) {
            guard let present = tables[table]?["columns"]?.object else {
                if essential[table] != nil { missing.append("table \(table)") }
                continue
            }
            for c in essential[table] ?? [] where present[c] == nil { missing.append("\(table).\(c)") }
            let cols = wanted.filter { present[$0] != nil }
            requests[table] = ["columns": .array(cols.map { .string($0) })]
        }
        guard missing.isEmpty else {
            return .failure(.init(description: "the Open_vSwitch schema lacks \(missing.joined(separator: ", "))"))
        }
        return .success(.object(requests))
    }
}
