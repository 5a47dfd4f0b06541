import Foundation
import OVSDB
import Testing
import Topology

@Suite struct StaticTopologyTests {
    static let text = """
        nodes:
          - id: compute-1
            datapath_id: "00000000000000a1"
            encap_ip: 192.0.2.1
          - id: compute-2
            datapath_id: "0xa2"
        ports:
          - id: port-1
            node: compute-1
            name: tap1
            mac: "02:00:00:00:00:01"
            vlan: 10
            project: alice
          - id: port-2
            node: compute-2
            name: tap2
            mac: "02:00:00:00:00:02"
        """

    @Test func declaredPortsAreNumberedByOpenFlow() throws {
        let s = try StaticTopology(yaml: Self.text)
        #expect(s.nodes.map(\.datapathID) == [0xa1, 0xa2])
        let views = s.views(bridge: "br-int", openflow: [0xa1: ["tap1": .init(number: 7, up: true), "taas-tun": .init(number: 9, up: true)]])
        let t = Topology(connected: [:], declared: views, openflow: [0xa1], bridge: "br-int")
        #expect(t.ports["port-1"]?.ofport == 7 && t.ports["port-1"]?.up == true && t.ports["port-1"]?.vlan == 10
                && t.ports["port-1"]?.projectID == "alice")
        #expect(t.ports["port-2"]?.ofport == nil && t.ports["port-2"]?.up == false, "compute-2 has not connected")
        #expect(t.nodes["compute-1"]?.tunnelPorts == ["taas-tun": 9] && t.nodes["compute-1"]?.encapIP == "192.0.2.1")
        #expect(t.nodes["compute-1"]?.openflowConnected == true && t.nodes["compute-1"]?.ovsdbConnected == false)
    }

    /// A compacted topology is the same topology, its long strings (MACs, UUIDs) in new storage.
    @Test func compactedIsTheSameTopologyInStringsOfItsOwn() throws {
        let text = Self.text.replacingOccurrences(of: "id: port-1", with: "id: 5a1c6a4e-0b4e-4c61-9c1d-000000000001")
        let s = try StaticTopology(yaml: text)
        let c = s.compacted()
        #expect(c == s && c.ports == s.ports && c.nodes == s.nodes)
        func address(_ x: String) -> UnsafeRawPointer? {
            var x = x
            return x.withUTF8 { UnsafeRawPointer($0.baseAddress) }
        }
        for (a, b) in zip(s.ports, c.ports) {
            #expect(address(a.mac) != address(b.mac), "\(a.mac) was not copied")
            if a.id.utf8.count > 15 { #expect(address(a.id) != address(b.id), "\(a.id) was not copied") }
        }
        #expect(c.ports.first?.id == "5a1c6a4e-0b4e-4c61-9c1d-000000000001")
    }

    @Test(arguments: [
        ("nodes:\n  - id: a\n", "nodes[0].datapath_id: missing"),
        ("nodes:\n  - id: a\n    datapath_id: xyz\n", "not a datapath id"),
        ("nodes:\n  - id: a\n    datapath_id: '1'\nports:\n  - id: p\n    node: b\n    name: t\n    mac: m\n", "ports[0]: node b is not declared"),
        ("nodes:\n  - id: a\n    datapath_id: '1'\n  - id: a\n    datapath_id: '2'\n", "nodes[1]: id a is already nodes[0]"),
        ("nodes:\n  - id: a\n    datapath_id: '1'\n  - id: b\n    datapath_id: '1'\n", "nodes[1]: datapath_id is already node a's"),
        ("nodes:\n  - id: a\n    datapath_id: '1'\nports:\n  - id: p\n    node: a\n    name: t\n    mac: m\n    vlan: 5000\n", "ports[0]: vlan 5000"),
        ("nodes: [\n  - id: a\n", "line"),
    ])
    func mistakesAreNamed(text: String, problem: String) {
        #expect {
            _ = try StaticTopology(yaml: text)
        } throws: { e in
            let d = (e as? StaticTopology.Invalid)?.description ?? ""
            return d.contains(problem)
        }
    }
}
