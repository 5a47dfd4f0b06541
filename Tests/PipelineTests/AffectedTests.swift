import OVSDB
import Pipeline
import TaaSPolicy
import Testing
import Topology

/// Recompiling only the nodes a change touches gives exactly what compiling everything gives.
@Suite struct AffectedTests {
    static func inputs(_ flows: [TapFlow], services: [TapService], mirrors: [TapMirror] = [], topology: Topology = Scenarios.topology(servicePorts: [])) -> PipelineInputs {
        PipelineInputs(services: services, flows: flows, mirrors: mirrors, topology: topology)
    }

    /// Moves a port to another node (as a VM migration would), in a copy of the topology.
    static func moved(_ t: Topology, _ port: String, to node: String, ofport: UInt32) -> Topology {
        var t = t
        t.ports[port]?.node = node
        t.ports[port]?.ofport = ofport
        return t
    }

    @Test func incrementalEqualsFull() throws {
        let s1 = Scenarios.service(1, port: "vm-s", key: 0xf00000), s2 = Scenarios.service(2, port: "vm-s2", key: 0xf00001)
        let f1 = Scenarios.flow(11, "vm-a", 1, .out), f2 = Scenarios.flow(12, "vm-b", 1, .in), f3 = Scenarios.flow(13, "vm-e", 2, .both)
        let f4 = Scenarios.flow(14, "vm-f", 1, .both, filter: "5-9"), f5 = Scenarios.flow(15, "vm-a", 2, .in)
        var s2moved = s2
        s2moved.portID = "vm-s3"
        var f1status = f1
        f1status.status = .active
        let base = Self.inputs([f1, f2, f3], services: [s1, s2])
        let steps: [(String, PipelineInputs)] = [
            ("add a remote tap flow", Self.inputs([f1, f2, f3, f4], services: [s1, s2])),
            ("add an IN flow that overlaps another service's OUT", Self.inputs([f1, f2, f3, f4, f5], services: [s1, s2])),
            ("delete a tap flow", Self.inputs([f1, f3, f4, f5], services: [s1, s2])),
            ("a service's port changes", Self.inputs([f1, f3, f4, f5], services: [s1, s2moved])),
            ("a source port migrates", Self.inputs([f1, f3, f4, f5], services: [s1, s2moved],
                                                   topology: Self.moved(Scenarios.topology(servicePorts: []), "vm-f", to: "node2", ofport: 7))),
            ("only a status changes", Self.inputs([f1status, f3, f4, f5], services: [s1, s2moved],
                                                  topology: Self.moved(Scenarios.topology(servicePorts: []), "vm-f", to: "node2", ofport: 7))),
            ("a tap mirror is added", Self.inputs([f1status, f3, f4, f5], services: [s1, s2moved], mirrors: [
                TapMirror(id: Scenarios.id(90), projectID: "p", name: "", description: "", portID: "vm-a", directions: [.in: 101, .out: 102],
                          remoteIP: "198.51.100.1", mirrorType: .erspanv1, status: .down, statusReason: nil),
            ], topology: Self.moved(Scenarios.topology(servicePorts: []), "vm-f", to: "node2", ofport: 7))),
        ]
        var previous = base
        var programs = base.compiler.programs()
        for (what, next) in steps {
            let touched = try #require(Affected.nodes(from: previous, to: next), "\(what): nodes did not change")
            let compiler = next.compiler
            // As the pipeline service does it: the touched nodes side by side.
            let fresh = compiler.programs(nodes: touched)
            for node in touched { programs[node] = fresh[node] }
            #expect(programs == compiler.programs(), "\(what): recompiling \(touched.sorted()) is not enough")
            #expect(compiler.programs(nodes: nil) == compiler.programs(), "\(what): compiling side by side differs")
            if what == "only a status changes" { #expect(touched.isEmpty) }
            previous = next
        }
    }

    @Test func aNodeChangeRecompilesEverything() {
        var t = Scenarios.topology(servicePorts: [])
        let before = Self.inputs([], services: [], topology: t)
        t.nodes["node2"]?.encapIP = "192.0.2.99"
        #expect(Affected.nodes(from: before, to: Self.inputs([], services: [], topology: t)) == nil)
    }
}
