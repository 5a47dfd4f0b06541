import Foundation
import OVSDB
import Pipeline
import TaaSPolicy
import Topology

/// The canonical scenarios of flows/: a small three-node topology and the policies on it.
enum Scenarios {
    struct Scenario {
        var name: String
        var summary: String
        var services: [TapService] = []
        var flows: [TapFlow] = []
        var mirrors: [TapMirror] = []
        /// Nodes whose programs go into the golden files.
        var nodes: [String]
        /// Ports whose link is down.
        var down: Set<String> = []
    }

    static func id(_ n: Int) -> ResourceID { ResourceID(String(format: "00000000-0000-4000-8000-%012x", n))! }

    /// node1, node2, node3, each with a tunnel port 100; VMs with fixed numbers and MACs; the
    /// scenario's service ports isolated in VLAN 4095 as taasd leaves them. (The real-OVS lab
    /// builds the same.)
    static func topology(servicePorts: Set<String>, down: Set<String> = []) -> Topology {
        func port(_ name: String, _ node: Int, _ ofport: UInt32, vlan: UInt16? = nil) -> NodeView.Port {
            let vlan = servicePorts.contains(name) ? 4095 : vlan
            let mac = String(format: "02:00:00:00:%02x:%02x", node, ofport)
            return NodeView.Port(uuid: name, name: name, tag: vlan, interfaces: [
                NodeView.Interface(uuid: name, name: name, type: "", ofport: Int64(ofport),
                                   externalIDs: ["iface-id": name, "attached-mac": mac], linkState: down.contains(name) ? "down" : "up"),
            ])
        }
        func tunnel() -> NodeView.Port {
            NodeView.Port(uuid: "t", name: "taas-tun", externalIDs: [ManagedPort.marker: "true"],
                          interfaces: [NodeView.Interface(uuid: "t", name: "taas-tun", type: "vxlan", ofport: 100, externalIDs: [:])])
        }
        func mirror(_ name: String, _ ofport: Int64) -> NodeView.Port {
            NodeView.Port(uuid: name, name: name, externalIDs: [ManagedPort.marker: "true"],
                          interfaces: [NodeView.Interface(uuid: name, name: name, type: "gre", ofport: ofport, externalIDs: [:])])
        }
        let m = id(90)
        let node1 = [port("vm-a", 1, 1), port("vm-b", 1, 2), port("vm-c", 1, 3, vlan: 10), port("vm-d", 1, 4, vlan: 10),
                     port("vm-t", 1, 5), port("vm-s", 1, 9), port("uplink", 1, 50), tunnel(),
                     mirror(MirrorPortName.make(m, .in), 201), mirror(MirrorPortName.make(m, .out), 202),
                     mirror(MirrorPortName.make(id(91), .both), 203)]
        let node2 = [port("vm-e", 2, 1), port("vm-s2", 2, 9), port("uplink", 2, 50), tunnel()]
        let node3 = [port("vm-f", 3, 1), port("vm-s3", 3, 9), port("uplink", 3, 50), tunnel()]
        func view(_ n: Int, _ ports: [NodeView.Port]) -> NodeView {
            NodeView(systemID: "node\(n)", hostname: "node\(n)", encapIP: "192.0.2.\(n)", bridges: [
                NodeView.Bridge(uuid: "br\(n)", name: "br-int", datapathID: UInt64(0xa0 + n), failMode: "secure", ports: ports),
            ])
        }
        return Topology(connected: ["s1": view(1, node1), "s2": view(2, node2), "s3": view(3, node3)], openflow: [0xa1, 0xa2, 0xa3],
                        bridge: "br-int")
    }

    static func service(_ n: Int, port: String, key: UInt32, snaplen: UInt16? = nil, rate: RateLimit? = nil,
                        more: [ServiceTool] = []) -> TapService {
        TapService(id: id(n), projectID: "p", name: "s\(n)", description: "", portID: port, tunnelKey: key, snaplen: snaplen, rateLimit: rate,
                   moreTools: more)
    }

    /// Tools vm-s (node1), vm-t (node1) and vm-s2 (node2).
    static let threeTools = [ServiceTool(portID: "vm-t", tunnelKey: 0xf00001), ServiceTool(portID: "vm-s2", tunnelKey: 0xf00002)]

    static func flow(_ n: Int, _ source: String, _ service: Int, _ direction: Direction, filter: String? = nil,
                     traffic: TrafficFilter.Request? = nil) -> TapFlow {
        TapFlow(id: id(n), projectID: "p", name: "f\(n)", description: "", tapServiceID: id(service), sourcePort: source, direction: direction,
                vlanFilter: filter.flatMap { try? VLANFilter(parsing: $0) }, trafficFilter: traffic.flatMap { try? TrafficFilter.make($0) })
    }

    static let tcp443 = TrafficFilter.Request(protocol: "tcp", destinationPortMin: 443, destinationPortMax: 443)

    static let all: [Scenario] = [
        Scenario(name: "local-both", summary: "vm-a BOTH → a service on the same node (vm-s)",
                 services: [service(1, port: "vm-s", key: 0xf00000)], flows: [flow(11, "vm-a", 1, .both)], nodes: ["node1"]),
        Scenario(name: "in-only", summary: "vm-c (access VLAN 10) IN → vm-s",
                 services: [service(1, port: "vm-s", key: 0xf00000)], flows: [flow(11, "vm-c", 1, .in)], nodes: ["node1"]),
        Scenario(name: "out-only", summary: "vm-a OUT → vm-s",
                 services: [service(1, port: "vm-s", key: 0xf00000)], flows: [flow(11, "vm-a", 1, .out)], nodes: ["node1"]),
        Scenario(name: "vlan-filter", summary: "vm-t (untagged, carries tagged frames) BOTH with vlan_filter 10,20-30 → vm-s",
                 services: [service(1, port: "vm-s", key: 0xf00000)], flows: [flow(11, "vm-t", 1, .both, filter: "10,20-30")], nodes: ["node1"]),
        Scenario(name: "two-flows-one-service", summary: "vm-a OUT and vm-b IN → vm-s: a frame from vm-a to vm-b is copied once",
                 services: [service(1, port: "vm-s", key: 0xf00000)], flows: [flow(11, "vm-a", 1, .out), flow(12, "vm-b", 1, .in)],
                 nodes: ["node1"]),
        Scenario(name: "one-source-two-services", summary: "vm-a BOTH → vm-s (node1) and BOTH → vm-s2 (node2)",
                 services: [service(1, port: "vm-s", key: 0xf00000), service(2, port: "vm-s2", key: 0xf00001)],
                 flows: [flow(11, "vm-a", 1, .both), flow(12, "vm-a", 2, .both)], nodes: ["node1", "node2"]),
        Scenario(name: "remote-service", summary: "vm-a on node1 BOTH → vm-s2 on node2 (sending and receiving side)",
                 services: [service(2, port: "vm-s2", key: 0xf00000)], flows: [flow(11, "vm-a", 2, .both)], nodes: ["node1", "node2"]),
        Scenario(name: "service-node-without-sources", summary: "vm-a (node1) and vm-e (node2) OUT → vm-s3 on node3, which has no sources",
                 services: [service(3, port: "vm-s3", key: 0xf00000)], flows: [flow(11, "vm-a", 3, .out), flow(12, "vm-e", 3, .out)],
                 nodes: ["node1", "node2", "node3"]),
        Scenario(name: "gre-erspan-mirrors", summary: "vm-a mirrored over ERSPAN v1 (IN key 101, OUT key 102) and GRE (BOTH key 7)",
                 mirrors: [
                    TapMirror(id: id(90), projectID: "p", name: "erspan", description: "", portID: "vm-a", directions: [.in: 101, .out: 102],
                              remoteIP: "198.51.100.1", mirrorType: .erspanv1),
                    TapMirror(id: id(91), projectID: "p", name: "gre", description: "", portID: "vm-a", directions: [.both: 7],
                              remoteIP: "198.51.100.2", mirrorType: .gre),
                 ], nodes: ["node1"]),
        Scenario(name: "snaplen", summary: "vm-a BOTH → vm-s (node1, snaplen 128) and → vm-s2 (node2, snaplen 96); vm-b mirrored over GRE with snaplen 64",
                 services: [service(1, port: "vm-s", key: 0xf00000, snaplen: 128), service(2, port: "vm-s2", key: 0xf00001, snaplen: 96)],
                 flows: [flow(11, "vm-a", 1, .both), flow(12, "vm-a", 2, .both)],
                 mirrors: [TapMirror(id: id(91), projectID: "p", name: "gre", description: "", portID: "vm-b", directions: [.both: 7],
                                     remoteIP: "198.51.100.2", mirrorType: .gre, snaplen: 64)],
                 nodes: ["node1", "node2"]),
        Scenario(name: "rate-limit", summary: "vm-a BOTH → vm-s (node1, 20,000 kbit/s, burst 2,000) and → vm-s2 (node2, 1,000 kbit/s and 10 kpps)",
                 services: [service(1, port: "vm-s", key: 0xf00000, rate: RateLimit(maxKbps: 20000, maxBurstKbps: 2000)),
                            service(2, port: "vm-s2", key: 0xf00001, rate: RateLimit(maxKbps: 1000, maxKpps: 10))],
                 flows: [flow(11, "vm-a", 1, .both), flow(12, "vm-a", 2, .both)], nodes: ["node1", "node2"]),
        Scenario(name: "filter", summary: "vm-a BOTH → vm-s, only TCP to port 443 (IPv4 and IPv6)",
                 services: [service(1, port: "vm-s", key: 0xf00000)], flows: [flow(11, "vm-a", 1, .both, traffic: tcp443)], nodes: ["node1"]),
        Scenario(name: "filter-overlap", summary: "vm-a OUT → vm-s twice (TCP 80-90 and 10.0.0.0/8 TCP) and vm-b IN → vm-s (everything): one copy per frame",
                 services: [service(1, port: "vm-s", key: 0xf00000)],
                 flows: [flow(11, "vm-a", 1, .out, traffic: .init(protocol: "tcp", destinationPortMin: 80, destinationPortMax: 90)),
                         flow(12, "vm-a", 1, .out, traffic: .init(protocol: "tcp", destinationIPPrefix: "10.0.0.0/8")),
                         flow(13, "vm-b", 1, .in)],
                 nodes: ["node1"]),
        Scenario(name: "filter-vlan", summary: "vm-t BOTH with vlan_filter 10 and UDP from 2001:db8::/32 → vm-s",
                 services: [service(1, port: "vm-s", key: 0xf00000)],
                 flows: [flow(11, "vm-t", 1, .both, filter: "10", traffic: .init(protocol: "udp", sourceIPPrefix: "2001:db8::/32"))],
                 nodes: ["node1"]),
        Scenario(name: "filter-remote", summary: "vm-a (node1) OUT → vm-s2 (node2), only ICMP; vm-e (node2) IN → vm-s2, everything",
                 services: [service(2, port: "vm-s2", key: 0xf00000)],
                 flows: [flow(11, "vm-a", 2, .out, traffic: .init(ethertype: "IPv4", protocol: "icmp")), flow(12, "vm-e", 2, .in)],
                 nodes: ["node1", "node2"]),
        Scenario(name: "balance", summary: "vm-a (node1) BOTH and vm-e (node2) IN → one service with three tools: vm-s and vm-t (node1), vm-s2 (node2)",
                 services: [service(1, port: "vm-s", key: 0xf00000, more: threeTools)],
                 flows: [flow(11, "vm-a", 1, .both), flow(12, "vm-e", 1, .in)], nodes: ["node1", "node2"]),
        Scenario(name: "balance-down", summary: "balance with vm-t's link down: its share hashes again over vm-s and vm-s2",
                 services: [service(1, port: "vm-s", key: 0xf00000, more: threeTools)],
                 flows: [flow(11, "vm-a", 1, .both), flow(12, "vm-e", 1, .in)], nodes: ["node1", "node2"], down: ["vm-t"]),
        Scenario(name: "balance-limited", summary: "vm-a BOTH → vm-s, vm-t and vm-s2 balanced, snaplen 128 and 50,000 kbit/s",
                 services: [service(1, port: "vm-s", key: 0xf00000, snaplen: 128, rate: RateLimit(maxKbps: 50000), more: threeTools)],
                 flows: [flow(11, "vm-a", 1, .both)], nodes: ["node1", "node2"]),
    ]

    static func programs(_ s: Scenario) -> [String: BridgeProgram] {
        Compiler(services: s.services, flows: s.flows, mirrors: s.mirrors,
                 topology: topology(servicePorts: Set(s.services.flatMap(\.portIDs)), down: s.down))
            .programs()
    }
}
