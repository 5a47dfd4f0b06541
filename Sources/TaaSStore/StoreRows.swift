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

/// The statements that make one change durable, built from the tables' records, with `?`
/// placeholders (the PostgreSQL store numbers them): one schema, two databases. A save changes
/// only what an update may change (`StoreRecord.updatable`), and any other uniqueness violation
/// is an error, never an update of another row.
enum StoreStatements {
    typealias Statement = (sql: String, values: [StoreValue])

    /// The records a change writes, parent first, or the row it deletes.
    enum Write {
        case save(any StoreRecord)
        case delete(any StoreRecord.Type, id: String)
    }

    static func writes(_ change: PolicyChange) -> [Write] {
        switch change {
        case .saveTapService(let s): [.save(TapServiceRow(s))] + ServiceToolRow.rows(s).map { .save($0) }
        case .deleteTapService(let id): [.delete(TapServiceRow.self, id: id.rawValue)]
        case .saveTapFlow(let f): [.save(TapFlowRow(f))]
        case .deleteTapFlow(let id): [.delete(TapFlowRow.self, id: id.rawValue)]
        case .saveTapMirror(let m): [.save(TapMirrorRow(m))] + MirrorKeyRow.rows(m).map { .save($0) }
        case .deleteTapMirror(let id): [.delete(TapMirrorRow.self, id: id.rawValue)]
        case .savePort(let p): [.save(PortRow(p))]
        }
    }

    static func statements(_ change: PolicyChange) throws -> [Statement] {
        try writes(change).map { w in
            switch w {
            case .save(let record): try save(record)
            case .delete(let type, let id): ("DELETE FROM \(type.table) WHERE id = ?", [.text(id)])
            }
        }
    }

    static func save<R: StoreRecord>(_ record: R) throws -> Statement { (R.saveSQL, try ColumnEncoder.values(record)) }

    /// A record's upsert: on its key, changing what may change or nothing.
    static func saveSQL<R: StoreRecord>(_ type: R.Type) -> String {
        let names = R.columns
        let update = R.updatable.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + R.updatable.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return "INSERT INTO \(R.table) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", "))) "
            + "ON CONFLICT(\(R.key.joined(separator: ", "))) \(update)"
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

    /// Every table's rows read with `select` (a query and the kind of resource it reads), as
    /// records. `only`: the statements end in `WHERE … = ANY(?)`, for `select` to bind the ids
    /// of that kind it wants (PostgreSQL).
    static func snapshot(only: Bool = false, _ select: (String, Kind) throws -> [any StoreRow]) throws -> PolicySnapshot {
        func read<R: StoreRecord>(_ type: R.Type, by column: String, _ kind: Kind) throws -> [R] {
            let filter = only ? " WHERE \(column) = ANY(?)" : ""
            return try select("SELECT * FROM \(R.table)\(filter) ORDER BY \(R.order)", kind).map { try RowDecoder.decode(R.self, $0) }
        }
        return try StoreRows(services: read(TapServiceRow.self, by: "id", .service), tools: read(ServiceToolRow.self, by: "tap_service_id", .service),
                             flows: read(TapFlowRow.self, by: "id", .flow), mirrors: read(TapMirrorRow.self, by: "id", .mirror),
                             keys: read(MirrorKeyRow.self, by: "tap_mirror_id", .mirror), ports: read(PortRow.self, by: "id", .port)).snapshot()
    }
}
