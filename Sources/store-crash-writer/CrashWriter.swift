import TaaSPolicy
import TaaSState
import TaaSStore

#if canImport(Glibc)
import Glibc
#endif

/// Child process of the store's crash test: creates tap services as fast as it can and prints
/// "ack ID" once each write is durable. The test kills it with SIGKILL mid-stream and checks
/// that every acknowledged id is in the database afterwards.
@main
struct CrashWriter {
    static func main() throws {
        guard CommandLine.arguments.count == 2 else {
            print("usage: store-crash-writer DATABASE")
            exit(64)
        }
        let store = try SQLitePolicyStore(path: CommandLine.arguments[1])
        var rng = SystemRandomNumberGenerator()
        for i in 0..<1_000_000 {
            let id = ResourceID.random(using: &rng)
            let port = PortRecord(id: "port-\(id)", name: "p\(i)", macAddress: "02:00:00:00:00:01", hostID: "node", openflowPort: 1,
                                  vlan: nil, projectID: "p", up: true)
            let service = TapService(id: id, projectID: "p", name: "s\(i)", description: "", portID: port.id, tunnelKey: UInt32(i))
            try store.apply([.savePort(port), .saveTapService(service)])
            // Unbuffered: the line reaches the parent as soon as the write is durable.
            var line = "ack \(id)\n"
            line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
        }
    }
}
