import Foundation
import Hummingbird
import TaaSAPI
import TaaSPolicy
import TaaSState
import TaaSStore

/// The REST API on a real SQLite store, with a few ports and nodes, for tests of the router and
/// of clients that speak to it.
public enum APIFixture {
    public static let ports = [
        PortRecord(id: "5a1c6a4e-0b4e-4c61-9c1d-000000000001", name: "analyzer", macAddress: "02:00:00:00:00:01", hostID: "node1",
                   openflowPort: 1, vlan: nil, projectID: "alice", up: true),
        PortRecord(id: "5a1c6a4e-0b4e-4c61-9c1d-000000000002", name: "web", macAddress: "02:00:00:00:00:02", hostID: "node2",
                   openflowPort: 2, vlan: 10, projectID: "alice", up: true),
        PortRecord(id: "5a1c6a4e-0b4e-4c61-9c1d-000000000003", name: "db", macAddress: "02:00:00:00:00:03", hostID: "node2",
                   openflowPort: 3, vlan: 10, projectID: "bob", up: false),
    ]

    public struct Env {
        public let path: String
        public let service: PolicyService
        public let app: Application<RouterResponder<APIContext>>
        /// The database's directory, removed when the test lets go of the fixture.
        let directory: TemporaryDirectory
    }

    /// A directory that goes with the last reference to it.
    public final class TemporaryDirectory: Sendable {
        public let path: String
        public init(_ path: String) throws {
            self.path = path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    struct Nodes: NodeInventory {
        func nodes() async -> [NodeSummary] {
            [NodeSummary(id: "node1", hostname: "compute-1", bridge: "br-int", datapathID: "00000000000000a1", encapIP: "192.0.2.1",
                         failMode: "secure", openflowConnected: true, ovsdbConnected: true, tunnelPorts: ["taas-tun": 7]),
             NodeSummary(id: "node2", hostname: nil, bridge: "br-int", datapathID: nil, encapIP: nil, failMode: nil,
                         openflowConnected: false, ovsdbConnected: true, tunnelPorts: [:])]
        }
    }

    public static func env(auth: AuthMode = .none) throws -> Env {
        let dir = try TemporaryDirectory("/tmp/taas-api-\(UInt32.random(in: 0...UInt32.max))")
        let path = "\(dir.path)/taasd.sqlite"
        let service = try PolicyService(store: try SQLitePolicyStore(path: path))
        return Env(path: path, service: service,
                   app: Application(router: TaaSAPI.makeRouter(service: service, auth: auth, maxBodySize: 4096, nodes: Nodes())),
                   directory: dir)
    }

}
