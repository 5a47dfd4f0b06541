// The store's share of a bulk create: tap flows written through SQLitePolicyStore (each table's
// upsert, prepared once, bound from the records' columns), side by side in one run with the same
// rows through one hand-written prepared INSERT (the floor: SQLite's own cost).
// Run: cd Benchmarks && swift run -c release bench-store-bulk [TAP_FLOWS, default 100000]
import Foundation
import GRDB
import TaaSPolicy
import TaaSState
import TaaSStore

let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100_000
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-store-bulk-\(getpid())").path
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }

func newID() -> ResourceID {
    var generator = SystemRandomNumberGenerator()
    return .random(using: &generator)
}

func port(_ name: String, _ ofport: Int) -> PortRecord {
    PortRecord(id: name, name: name, macAddress: "02:00:00:00:00:01", hostID: "n", openflowPort: UInt32(ofport), vlan: nil, projectID: "p",
               up: true)
}

let ports = [port("tool", 1)] + (0..<count).map { port("vm\($0)", $0 + 2) }
var table = PolicyTable(ports: ports)
let service = try table.createTapService(.init(portID: "tool"), id: newID(), by: .admin)
let flows = try (0..<count).map { i in
    try table.createTapFlow(.init(tapServiceID: service.id, sourcePort: "vm\(i)", direction: .both), id: newID(), by: .admin)
}

let insert = """
    INSERT INTO tap_flow (id, project_id, name, description, tap_service_id, source_port, direction)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    """
print("tap flows | SQLitePolicyStore | hand-written prepared INSERT | ratio")
print("--- | --- | --- | ---")
for round in 0..<3 {
    let (a, b) = ("\(dir)/store-\(round).sqlite", "\(dir)/raw-\(round).sqlite")
    let store = try SQLitePolicyStore(path: a)
    try store.apply([.saveTapService(service)] + ports.map { .savePort($0) })
    var began = Date()
    try store.apply(flows.map { .saveTapFlow($0) })
    let viaStore = Date().timeIntervalSince(began)

    // The same schema, the same transaction, the same fsync at commit.
    try SQLitePolicyStore(path: b).apply([.saveTapService(service)] + ports.map { .savePort($0) })
    var config = Configuration()
    config.foreignKeysEnabled = true
    let queue = try DatabaseQueue(path: b, configuration: config)
    try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    began = Date()
    try queue.write { db in
        for f in flows {
            try db.cachedStatement(sql: insert).execute(arguments: [f.id.rawValue, f.projectID, f.name, f.description, f.tapServiceID.rawValue,
                                                                    f.sourcePort, f.direction.rawValue])
        }
    }
    let raw = Date().timeIntervalSince(began)
    print(String(format: "%d (round %d) | %.3f s | %.3f s | %.2f", count, round + 1, viaStore, raw, viaStore / raw))
}
