import Benchmark
import OVSDB
import Pipeline
import TaaSPolicy
import Topology

// Compiling tap flows into every bridge's program, and the reconciler's diff: a cloud of 100
// nodes, each with 1,000 VM ports (MACs and numbers), 10 tap service ports per node; tap flows
// BOTH from distinct source ports, each into a service on another node (so every copy crosses
// a tunnel and needs a group).
struct Cloud {
    let services: [TapService]
    let flows: [TapFlow]
    let topology: Topology

    init(tapFlows: Int, nodes: Int = 100, portsPerNode: Int = 1_000) {
        func id(_ n: Int) -> ResourceID {
            let hex = String(n, radix: 16)
            return ResourceID("00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex)!
        }
        var views: [String: NodeView] = [:]
        for n in 0..<nodes {
            var ports = [NodeView.Port(uuid: "t\(n)", name: "taas-tun", externalIDs: [ManagedPort.marker: "true"],
                                       interfaces: [.init(uuid: "t\(n)", name: "taas-tun", type: "vxlan", ofport: 60_000, externalIDs: [:])])]
            for p in 0..<portsPerNode {
                let name = "n\(n)p\(p)"
                let mac = String(format: "02:00:%02x:%02x:%02x:%02x", n >> 8, n & 0xff, p >> 8, p & 0xff)
                ports.append(NodeView.Port(uuid: name, name: name, tag: p < 10 ? 4095 : nil, interfaces: [
                    .init(uuid: name, name: name, type: "", ofport: Int64(p + 1), externalIDs: ["iface-id": name, "attached-mac": mac], linkState: "up"),
                ]))
            }
            views["s\(n)"] = NodeView(systemID: "node\(n)", encapIP: "10.\(n >> 8).\(n & 0xff).1", bridges: [
                .init(uuid: "b\(n)", name: "br-int", datapathID: UInt64(n + 1), ports: ports),
            ])
        }
        topology = Topology(connected: views, openflow: Set((1...UInt64(nodes))), bridge: "br-int")
        var services: [TapService] = []
        for n in 0..<nodes {
            for p in 0..<10 {
                services.append(TapService(id: id(n * 10 + p + 1), projectID: "p", name: "", description: "", portID: "n\(n)p\(p)",
                                           tunnelKey: UInt32(0xf00000 + n * 10 + p)))
            }
        }
        self.services = services
        var flows: [TapFlow] = []
        for i in 0..<tapFlows {
            let node = i % nodes, port = 10 + (i / nodes) % (portsPerNode - 10)
            let service = services[((node + 1) % nodes) * 10 + i % 10]
            flows.append(TapFlow(id: id(1_000_000 + i), projectID: "p", name: "", description: "", tapServiceID: service.id,
                                 sourcePort: "n\(node)p\(port)", direction: .both, vlanFilter: nil))
        }
        self.flows = flows
    }

    var compiler: Compiler { Compiler(services: services, flows: flows, mirrors: [], topology: topology) }
}

/// The fleet of `scripts/bench-sim.py sessions`: nodes n1…nN with one VM port each (node i's on
/// VLAN (i − 1) mod 4094 + 1, as `scripts/sim-topology.py N 1` writes), a tap service on node 1,
/// and a BOTH tap flow from every VM port: a change to it touches every bridge.
struct Fleet {
    let service: TapService
    let flows: [TapFlow]
    let topology: Topology

    init(nodes: Int) {
        func id(_ n: Int) -> ResourceID {
            let hex = String(n, radix: 16)
            return ResourceID("00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex)!
        }
        var t = Topology()
        for i in 1...nodes {
            let vlan = UInt16((i - 1) % 4094 + 1)
            t.nodes["n\(i)"] = Topology.Node(id: "n\(i)", datapathID: UInt64(i), encapIP: "10.\(i >> 16).\((i >> 8) & 255).\(i & 255)",
                                             tunnelPorts: ["taas-tun": 4000], portTags: i == 1 ? [1: vlan, 2: nil] : [1: vlan])
            t.ports["n\(i)-vm1"] = Topology.Port(id: "n\(i)-vm1", name: "vm1", node: "n\(i)", datapathID: UInt64(i), ofport: 1,
                                                 mac: String(format: "02:%02x:%02x:%02x:00:01", i >> 16, (i >> 8) & 255, i & 255), vlan: vlan)
        }
        t.ports["tap"] = Topology.Port(id: "tap", name: "tap", node: "n1", datapathID: 1, ofport: 2, mac: "02:ff:00:00:00:01", vlan: nil)
        topology = t
        service = TapService(id: id(1), projectID: "p", name: "t", description: "", portID: "tap", tunnelKey: 0xf00000)
        flows = (1...nodes).map { i in
            TapFlow(id: id(1000 + i), projectID: "p", name: "", description: "", tapServiceID: id(1), sourcePort: "n\(i)-vm1",
                    direction: .both, vlanFilter: nil)
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(10),
                                           maxIterations: 20)
    for count in [1_000, 100_000] {
        let cloud = Cloud(tapFlows: count)
        Benchmark("compile \(count) tap flows (100 bridges), from scratch") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(cloud.compiler.programs()) }
        }
    }
    // One tap flow created, then deleted, in a policy of 100,000: what the engine does for a
    // change before anything goes to a switch (its program deltas, two bridges at most).
    let big = Cloud(tapFlows: 100_000)
    // Held in a box the benchmark's closure can mutate without copying the engine.
    final class Box: @unchecked Sendable { var engine: PipelineEngine; init(_ e: PipelineEngine) { engine = e } }
    let box = Box(big.compiler.engine)
    var extra = big.flows[0]
    extra.id = ResourceID("00000000-0000-4000-8000-00000fffffff")!
    extra.sourcePort = "n3p999"
    extra.tapServiceID = big.services[55].id
    var add = PolicyDelta(), remove = PolicyDelta()
    add.tapFlows[extra.id] = .added(extra)
    remove.tapFlows[extra.id] = .removed(extra)
    Benchmark("one tap flow added to 100,000 and deleted again: the engine's deltas") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(box.engine.apply(policy: add))
            blackHole(box.engine.apply(policy: remove))
        }
    }
    // A change to every bridge of 10,000 (the sessions benchmark's push): the tap service and
    // its 10,000 tap flows deleted, then created again, one change each.
    let fleet = Fleet(nodes: 10_000)
    var deleteAll = PolicyDelta(), createAll = PolicyDelta()
    deleteAll.tapServices[fleet.service.id] = .removed(fleet.service)
    createAll.tapServices[fleet.service.id] = .added(fleet.service)
    for f in fleet.flows {
        deleteAll.tapFlows[f.id] = .removed(f)
        createAll.tapFlows[f.id] = .added(f)
    }
    let fleetBox = Box(Compiler(services: [fleet.service], flows: fleet.flows, mirrors: [], topology: fleet.topology).engine)
    Benchmark("a tap service and its tap flow on each of 10,000 bridges deleted, then created again: the engine's deltas",
              configuration: .init(maxIterations: 5)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(fleetBox.engine.apply(policy: deleteAll))
            blackHole(fleetBox.engine.apply(policy: createAll))
        }
    }
    // The diff when 1% of 100,000 tap flows changed service.
    let before = Cloud(tapFlows: 100_000)
    let installed = before.compiler.programs()
    var changed = before.flows
    for i in stride(from: 0, to: changed.count, by: 100) { changed[i].tapServiceID = before.services[(i / 100) % before.services.count].id }
    let desired = Compiler(services: before.services, flows: changed, mirrors: [], topology: before.topology).programs()
    Benchmark("diff 100,000 installed against desired with 1% changed (100 bridges)") { benchmark in
        for _ in benchmark.scaledIterations {
            for (node, program) in desired {
                let have = installed[node] ?? BridgeProgram()
                let plan = ReconcilePlan(desired: program, installedFlows: Array(have.flows.values), installedGroups: Array(have.groups.values))
                // The messages too: a plan finds the difference, and makes them as they are sent.
                plan.pieces { blackHole($0) }
            }
        }
    }
}
