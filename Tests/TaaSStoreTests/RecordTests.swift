import Foundation
import TaaSPolicy
import TaaSState
@testable import TaaSStore
import Testing

/// The tables' records: what a statement binds is what its SQL names, and a record read back by
/// column (as PostgreSQL's rows are) is the resource written.
@Suite struct RecordTests {
    /// A row by column name, as PostgreSQL's decoder sees one (text and integers kept apart).
    struct Row: StoreRow {
        var cells: [String: StoreValue]
        func text(_ column: String) throws -> String? {
            switch cells[column] {
            case .text(let s)?: return s
            case .integer?: throw StoreError("\(column) is an integer")
            default: return nil
            }
        }
        func integer(_ column: String) throws -> Int64? {
            switch cells[column] {
            case .integer(let n)?: return n
            case .text?: throw StoreError("\(column) is text")
            default: return nil
            }
        }
    }

    static func roundTrip<R: StoreRecord & Equatable>(_ record: R) throws -> R {
        let names = try ColumnEncoder.names(record), values = try ColumnEncoder.values(record)
        #expect(names == R.columns, "\(R.self) encodes its columns in another order than its SQL names them")
        #expect(R.saveSQL.hasPrefix("INSERT INTO \(R.table) (\(names.joined(separator: ", ")))"))
        return try RowDecoder.decode(R.self, Row(cells: Dictionary(uniqueKeysWithValues: zip(names, values))))
    }

    @Test func recordsCarryEveryColumnAndReadBackTheSame() throws {
        let id = ResourceID("5a1c6a4e-0b4e-4c61-9c1d-000000000009")!
        let service = TapService(id: id, projectID: "p", name: "ids", description: "d", portID: "tool", tunnelKey: 4_000_000_000, snaplen: 128,
                                 rateLimit: RateLimit(maxKbps: 5000, maxBurstKbps: nil, maxKpps: 3),
                                 moreTools: [ServiceTool(portID: "tool2", tunnelKey: 9)])
        #expect(try Self.roundTrip(TapServiceRow(service)).policy(tools: service.moreTools) == service)
        for tool in ServiceToolRow.rows(service) { #expect(try Self.roundTrip(tool) == tool) }

        let traffic = try TrafficFilter.make(.init(protocol: "tcp", sourceIPPrefix: "10.0.0.0/8", destinationPortMin: 443, destinationPortMax: 443))
        let flow = TapFlow(id: ResourceID("5a1c6a4e-0b4e-4c61-9c1d-00000000000a")!, projectID: "p", name: "f", description: "",
                           tapServiceID: id, sourcePort: "vm1", direction: .both, vlanFilter: try VLANFilter(parsing: "9,18,27-36"),
                           trafficFilter: traffic)
        #expect(try Self.roundTrip(TapFlowRow(flow)).policy() == flow)

        let mirror = TapMirror(id: ResourceID("5a1c6a4e-0b4e-4c61-9c1d-00000000000b")!, projectID: "p", name: "m", description: "",
                               portID: "vm2", directions: [.in: 101, .out: 102], remoteIP: "192.0.2.9", mirrorType: .erspanv1, snaplen: nil,
                               rateLimit: nil)
        #expect(try Self.roundTrip(TapMirrorRow(mirror)).policy(keys: mirror.directions) == mirror)
        #expect(MirrorKeyRow.rows(mirror).map(\.key) == [101, 102])
        for key in MirrorKeyRow.rows(mirror) { #expect(try Self.roundTrip(key) == key) }

        let port = PortRecord(id: "vm1", name: "vm1", macAddress: "02:00:00:00:00:01", hostID: "n1", openflowPort: 7, vlan: nil, projectID: "p",
                              up: true)
        #expect(try Self.roundTrip(PortRow(port)).policy == port)
    }

    @Test func aSaveChangesOnlyWhatMayChange() {
        #expect(TapFlowRow.saveSQL.hasSuffix("ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description"))
        #expect(ServiceToolRow.saveSQL.hasSuffix("ON CONFLICT(tap_service_id, position) DO NOTHING"))
        #expect(MirrorKeyRow.saveSQL.hasSuffix("ON CONFLICT(key) DO NOTHING"))
        #expect(!TapServiceRow.saveSQL.contains("tunnel_key = excluded") && !TapServiceRow.saveSQL.contains("port_id = excluded"))
    }

    @Test func aRowThePolicyWouldRefuseIsAnErrorNotAResource() throws {
        var row = TapFlowRow(TapFlow(id: ResourceID("5a1c6a4e-0b4e-4c61-9c1d-00000000000a")!, projectID: "p", name: "", description: "",
                                     tapServiceID: ResourceID("5a1c6a4e-0b4e-4c61-9c1d-000000000009")!, sourcePort: "vm1", direction: .in,
                                     vlanFilter: nil))
        row.direction = "SIDEWAYS"
        #expect(throws: StoreError.self) { try row.policy() }
        row.direction = "IN"
        row.tapServiceID = "not-a-uuid"
        #expect(throws: StoreError.self) { try row.policy() }
    }
}
