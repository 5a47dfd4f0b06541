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
