import Foundation
import NIOCore
import OpenFlow
import Topology

/// Which switches to simulate: datapath ids and the ports each reports in PORT_DESC.
public struct SimulatedFleet: Sendable {
    public var switches: [(datapathID: UInt64, ports: [PortDescription]?)]

    /// Switches 1…count with only their local port.
    public init(count: Int) {
        switches = (1...count).map { (UInt64($0), nil) }
    }

    /// The nodes of a topology file (the one taasd reads with `--topology`): each node's declared
    /// ports, numbered from 1 in file order, and a tunnel port `taas-tun` (number 4000).
    public init(topologyFile path: String) throws {
        try self.init(topology: StaticTopology(yaml: String(contentsOfFile: path, encoding: .utf8)))
    }

    public init(topology: StaticTopology) {
        var byNode: [String: [StaticTopology.Port]] = [:]
        for p in topology.ports { byNode[p.node, default: []].append(p) }
        switches = topology.nodes.map { n in
            var ports = (byNode[n.id] ?? []).enumerated().map { i, p in
                PortDescription(portNumber: PortNumber(UInt32(i + 1)), hardwareAddress: EthernetAddress(p.mac) ?? EthernetAddress(rawValue: 0), name: p.name)
            }
            ports.append(PortDescription(portNumber: 4000, hardwareAddress: EthernetAddress(rawValue: n.datapathID), name: "taas-tun"))
            ports.append(PortDescription(portNumber: .local, hardwareAddress: EthernetAddress(rawValue: n.datapathID), name: "br-int"))
            return (n.datapathID, ports)
        }
    }

    /// Connects every switch, `parallel` at a time so that the listen backlog is never overrun;
    /// `tables` are what switches hold as they connect (by datapath id; default empty).
    public func connect(host: String, port: Int, parallel: Int, tables: [UInt64: SimulatedTables] = [:],
                        group: EventLoopGroup) async throws -> [SimulatedSwitch] {
        var out: [SimulatedSwitch] = []
        out.reserveCapacity(switches.count)
        var next = 0
        while next < switches.count {
            let wave = switches[next..<min(switches.count, next + parallel)]
            out += try await withThrowingTaskGroup(of: SimulatedSwitch.self) { g in
                for s in wave {
                    g.addTask { try await SimulatedSwitch.connect(host: host, port: port, datapathID: s.datapathID, ports: s.ports,
                                                                  tables: tables[s.datapathID] ?? SimulatedTables(), group: group) }
                }
                var made: [SimulatedSwitch] = []
                for try await s in g { made.append(s) }
                return made
            }
            next += wave.count
        }
        return out
    }
}
