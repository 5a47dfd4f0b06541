import Foundation
import Logging
import NIOCore
import NIOPosix
import OVSDB
import OVSDBClient
import SwitchSession
import TaaSAPI
import TaaSController
import TaaSPolicy
import TaaSState
import TaaSStore
import TaaSTestSupport
import Testing
import Topology

/// The OVSDB client and topology against a real ovsdb-server and ovs-vswitchd, over the node's
/// unix socket.
@Suite(.serialized, .offCooperativePool) final class OVSDBLiveTests {
    let node: OVSNode

    init() throws {
        node = try OVSNode()
        do {
            try node.addIntegrationBridge(datapathID: 0xa1)
            try node.vsctl(["set", "open_vswitch", ".", "external_ids:system-id=node-a", "external_ids:hostname=host-a"])
        } catch {
            node.stop()
            throw error
        }
    }

    deinit { node.stop() }

    struct Running {
        let manager: OVSDBManager
        let topology: TopologyService
        let events: Collected<TopologyEvent>
        let tasks: [Task<Void, Never>]
        func stop() { tasks.forEach { $0.cancel() } }
    }

    static let logger: Logger = {
        var l = Logger(label: "test")
        l.logLevel = .debug
        return l
    }()

    func start(policy: PolicyService, target: String) async throws -> Running {
        let manager = try OVSDBManager(configuration: .init(targets: [try OVSDBManager.target(target)], probeInterval: .seconds(1)),
                                       group: MultiThreadedEventLoopGroup.singleton, logger: Self.logger)
        let topology = TopologyService(configuration: .init(), policy: policy, logger: Self.logger,
                                       transact: { try await manager.transact(session: $0, $1) })
        let events = Collected<TopologyEvent>()
        let (_, policyChanges) = await policy.subscribe()
        let tasks = [
            Task { do { try await manager.run() } catch {} },
            // Tap mirrors reach the topology as the controller hands them on: as deltas.
            Task { for await d in policyChanges { await topology.policyChanged(d) } },
            Task { for await e in manager.events { for t in await topology.handle(e) { await events.add(t) } } },
        ]
        return Running(manager: manager, topology: topology, events: events, tasks: tasks)
    }

    func portNames() throws -> [String] {
        try node.vsctl(["list-ports", "br-int"]).split(separator: "\n").map(String.init)
    }

    @Test func portsAreSeenAsTheyComeRenumberAndGoAndTheTunnelPortIsKept() async throws {
        let dir = "\(node.dir)/store"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let policy = try PolicyService(store: try SQLitePolicyStore(path: "\(dir)/taasd.sqlite"))
        let r = try await start(policy: policy, target: "unix:\(node.dir)/db.sock")
        defer { r.stop() }
        _ = try await r.events.wait { if case .nodeAppeared(let n) = $0 { n.id == "node-a" && n.datapathID == 0xa1 } else { false } }
        var latencies: [Double] = []

        // A VM port with an iface-id appears with its OpenFlow number and MAC.
        var n = await r.events.items.count
        var t0 = Date()
        try node.vsctl(["add-port", "br-int", "vm1", "--", "set", "interface", "vm1", "type=internal", "external_ids:iface-id=port-1",
                        "external_ids:attached-mac=02:00:00:00:00:01", "external_ids:project-id=alice", "--", "set", "port", "vm1", "tag=10"])
        let (t1, _) = try await r.events.wait(from: n) { if case .portAppeared(let p) = $0 { p.id == "port-1" } else { false } }
        latencies.append(t1.timeIntervalSince(t0))
        // Its number follows as soon as vswitchd adds it; it is up once its link is.
        try Command.check("ip", ["netns", "exec", node.name, "ip", "link", "set", "vm1", "up"])
        let (_, up) = try await r.events.wait(from: n) {
            switch $0 {
            case .portAppeared(let p), .portChanged(_, let p): p.id == "port-1" && p.ofport != nil && p.up
            default: false
            }
        }
        guard case .portChanged(_, let p) = up else { return }
        #expect(p.node == "node-a" && p.mac == "02:00:00:00:00:01" && p.vlan == 10 && p.projectID == "alice")

        // Renumbered.
        n = await r.events.items.count
        t0 = Date()
        try node.vsctl(["set", "interface", "vm1", "ofport_request=42"])
        let (t2, _) = try await r.events.wait(from: n) { if case .portChanged(_, let p) = $0 { p.id == "port-1" && p.ofport == 42 } else { false } }
        latencies.append(t2.timeIntervalSince(t0))

        // Removed: gone from the topology, still known to the inventory, down.
        n = await r.events.items.count
        t0 = Date()
        try node.vsctl(["del-port", "br-int", "vm1"])
        let (t3, _) = try await r.events.wait(from: n) { if case .portGone(let p) = $0 { p.id == "port-1" } else { false } }
        latencies.append(t3.timeIntervalSince(t0))
        let stored = try await policy.read { t in t.portList(by: .admin) }
        #expect(stored.map(\.id) == ["port-1"] && stored.first?.up == false && stored.first?.openflowPort == 42)
        // Reported, not asserted (no timed assertions): typically 8-30 ms here.
        print("OVSDB change to topology event, seconds: \(latencies.map { String(format: "%.3f", $0) })")

        // Once the node names its tunnel endpoint, the flow-based tunnel port is created once.
        try node.vsctl(["set", "open_vswitch", ".", "external_ids:taas-encap-ip=192.0.2.1"])
        _ = try await r.events.wait { if case .nodeChanged(_, let n) = $0 { n.tunnelPorts["taas-tun"] != nil } else { false } }
        #expect(try portNames() == ["taas-tun"])
        #expect(try node.vsctl(["get", "interface", "taas-tun", "type"]) == "vxlan\n")
        #expect(try node.vsctl(["get", "interface", "taas-tun", "options"]) == "{key=flow, local_ip=\"192.0.2.1\", remote_ip=flow}\n")

        // An encap IP change is seen and the port follows it.
        n = await r.events.items.count
        try node.vsctl(["set", "open_vswitch", ".", "external_ids:taas-encap-ip=192.0.2.2"])
        _ = try await r.events.wait(from: n) { if case .nodeChanged(_, let n) = $0 { n.encapIP == "192.0.2.2" } else { false } }
        for _ in 0..<200 {
            if try node.vsctl(["get", "interface", "taas-tun", "options:local_ip"]) == "\"192.0.2.2\"\n" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try node.vsctl(["get", "interface", "taas-tun", "options:local_ip"]) == "\"192.0.2.2\"\n")
        let uuid = try node.vsctl(["get", "interface", "taas-tun", "_uuid"])

        // A restarted controller finds it in place: nothing created, nothing duplicated.
        r.stop()
        let again = try await start(policy: policy, target: "unix:\(node.dir)/db.sock")
        defer { again.stop() }
        _ = try await again.events.wait { if case .nodeAppeared(let n) = $0 { n.tunnelPorts["taas-tun"] != nil } else { false } }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try portNames() == ["taas-tun"])
        #expect(try node.vsctl(["get", "interface", "taas-tun", "_uuid"]) == uuid)
    }

    @Test func tapMirrorsGetTheirGREAndERSPANPortsAndLoseThemWhenDeleted() async throws {
        let dir = "\(node.dir)/store"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let policy = try PolicyService(store: try SQLitePolicyStore(path: "\(dir)/taasd.sqlite"))
        let r = try await start(policy: policy, target: "unix:\(node.dir)/db.sock")
        defer { r.stop() }
        try node.vsctl(["add-port", "br-int", "vm1", "--", "set", "interface", "vm1", "type=internal", "external_ids:iface-id=port-m"])
        _ = try await r.events.wait { if case .portAppeared(let p) = $0 { p.id == "port-m" } else { false } }

        var g = SystemRandomNumberGenerator()
        let erspan = ResourceID.random(using: &g), gre = ResourceID.random(using: &g)
        try await policy.mutate { t, _ in
            let a = try t.createTapMirror(.init(projectID: "p", name: "e", description: "", portID: "port-m", directions: [.in: 101, .out: 102],
                                                remoteIP: "192.0.2.50", mirrorType: .erspanv1), id: erspan, by: .admin)
            let b = try t.createTapMirror(.init(projectID: "p", name: "g", description: "", portID: "port-m", directions: [.both: 7],
                                                remoteIP: "2001:db8::7", mirrorType: .gre), id: gre, by: .admin)
            _ = (a, b)
        }
        let names = [MirrorPorts.name(erspan, .in), MirrorPorts.name(erspan, .out), MirrorPorts.name(gre, .both)]
        // Open vSwitch accepts each (it gives it an OpenFlow port number).
        _ = try await r.events.wait {
            if case .nodeChanged(_, let n) = $0 { names.allSatisfy { (n.tunnelPorts[$0] ?? 0) > 0 } } else { false }
        }
        #expect(try node.vsctl(["get", "interface", names[0], "type"]) == "erspan\n")
        #expect(try node.vsctl(["get", "interface", names[0], "options"]) == "{erspan_ver=\"1\", key=\"101\", remote_ip=\"192.0.2.50\"}\n")
        #expect(try node.vsctl(["get", "interface", names[2], "type"]) == "ip6gre\n")
        #expect(try node.vsctl(["get", "interface", names[2], "error"]) == "[]\n")

        // Deleting a mirror removes its ports and nothing else.
        try await policy.mutate { t, _ in try t.deleteTapMirror(erspan, by: .admin) }
        for _ in 0..<300 where try portNames().contains(names[0]) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try portNames() == [names[2], "vm1"].sorted())
    }
}
