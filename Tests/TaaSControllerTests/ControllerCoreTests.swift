import OpenFlow
import Pipeline
import SwitchSession
import TaaSController
import TaaSPolicy
import TaaSState
import Testing
import Topology

/// The controller's decisions without I/O: what is pushed where, and what statuses follow
/// from what the bridges confirm.
@Suite struct ControllerCoreTests {
    static func id(_ n: Int) -> ResourceID { ResourceID("00000000-0000-4000-8000-\(String(repeating: "0", count: 12 - String(n).count))\(n)")! }

    /// Two nodes: n1 holds the tap service's port and port `a`; n2 holds `b`.
    static func topology(connected: Set<String> = ["n1", "n2"]) -> Topology {
        var t = Topology()
        for (i, n) in ["n1", "n2", "n3"].enumerated() {
            t.nodes[n] = Topology.Node(id: n, datapathID: UInt64(i + 1), encapIP: "192.0.2.\(i + 1)", openflowConnected: connected.contains(n),
                                       tunnelPorts: ["taas-tun": 100])
        }
        t.ports["svc"] = Topology.Port(id: "svc", name: "svc", node: "n1", datapathID: 1, ofport: 5, mac: "02:00:00:00:00:05", vlan: nil)
        // On a network of its own: its OUT copies concern no other node's IN copies.
        t.ports["a"] = Topology.Port(id: "a", name: "a", node: "n1", datapathID: 1, ofport: 1, mac: "02:00:00:00:00:01", vlan: 10)
        t.ports["b"] = Topology.Port(id: "b", name: "b", node: "n2", datapathID: 2, ofport: 1, mac: "02:00:00:00:01:01", vlan: nil)
        t.ports["c"] = Topology.Port(id: "c", name: "c", node: "n3", datapathID: 3, ofport: 1, mac: "02:00:00:00:02:01", vlan: nil)
        return t
    }

    static let service = TapService(id: id(1), projectID: "p", name: "", description: "", portID: "svc", tunnelKey: 0xf0_0000)
    static func flow(_ n: Int, _ source: String) -> TapFlow {
        TapFlow(id: id(n), projectID: "p", name: "", description: "", tapServiceID: service.id, sourcePort: source, direction: .both, vlanFilter: nil)
    }

    static func adding(services: [TapService] = [], flows: [TapFlow] = []) -> PolicyDelta {
        PolicyDelta(adding: services, flows: flows, mirrors: [], ports: [])
    }

    /// The pushes among some actions, and the statuses they set.
    static func pushes(_ actions: [ControllerCore.Action]) -> [ControllerCore.Push] {
        actions.compactMap { if case .push(let p) = $0 { p } else { nil } }
    }

    /// Statuses as a board would hold them after these actions.
    final class Board {
        var states: [ResourceID: ResourceState] = [:]
        func take(_ actions: [ControllerCore.Action]) {
            for case .statuses(let changes) in actions { for (_, id, s) in changes { states[id] = s } }
        }
        func status(_ id: ResourceID) -> ResourceStatus { states[id]?.status ?? .down }
    }

    static let programmed = ControllerCore.Outcome.programmed(.init(messages: 1, flowsAdded: 1, flowsModified: 0, flowsDeleted: 0,
                                                                    groupsAdded: 0, groupsModified: 0, groupsDeleted: 0))

    /// Every connected bridge is read back once; statuses follow the confirmations.
    @Test func aStartReadsBackEachBridgeAndThenSendsDeltas() throws {
        var core = ControllerCore()
        let board = Board()
        var actions = core.apply(policy: Self.adding(services: [Self.service]), topology: Topology.events(from: Topology(), to: Self.topology()))
        board.take(actions)
        let first = Self.pushes(actions)
        #expect(Set(first.map(\.node)) == ["n1", "n2"])
        #expect(first.allSatisfy { if case .program = $0.content { true } else { false } })
        #expect(board.status(Self.service.id) == .down, "nothing confirmed yet")
        for p in first { board.take(core.finished(p, Self.programmed)) }
        #expect(board.status(Self.service.id) == .active)

        // A tap flow from n2: only n2's program changes, and only its delta is sent.
        let f = Self.flow(2, "b")
        actions = core.apply(policy: Self.adding(flows: [f]))
        board.take(actions)
        let second = Self.pushes(actions)
        #expect(second.map(\.node) == ["n2"])
        guard case .delta(let packed) = try #require(second.first).content else { Issue.record("expected a delta"); return }
        let d = packed.programDelta
        #expect(!d.isEmpty && d.flows.values.allSatisfy { $0.old == nil })
        #expect(board.status(f.id) == .down, "DOWN until n2 confirms")
        board.take(core.finished(second[0], Self.programmed))
        #expect(board.status(f.id) == .active && board.status(Self.service.id) == .active)
        #expect(core.modsSent == 3)
    }

    /// Which pushes run on their bridge's event loop: small deltas without meters; not a
    /// read-back, a delta that changes meters, nor a delta too large to make there.
    @Test func smallDeltasWithoutMetersRunOnTheEventLoop() throws {
        var core = ControllerCore()
        let limited = TapService(id: Self.id(9), projectID: "p", name: "", description: "", portID: "svc", tunnelKey: 0xf1_0000,
                                 rateLimit: RateLimit(maxKbps: 1000))
        var actions = core.apply(policy: Self.adding(services: [Self.service, limited]), topology: Topology.events(from: Topology(), to: Self.topology()))
        let programs = Self.pushes(actions)
        #expect(!programs.isEmpty && programs.allSatisfy { !$0.runsOnLoop }, "read-backs go as tasks")
        for p in programs { _ = core.finished(p, Self.programmed) }

        actions = core.apply(policy: Self.adding(flows: [Self.flow(2, "b")]))
        let small = try #require(Self.pushes(actions).first)
        #expect(small.runsOnLoop)
        _ = core.finished(small, Self.programmed)

        // A copy to the rate-limited service: its meters come with the delta.
        let metered = TapFlow(id: Self.id(3), projectID: "p", name: "", description: "", tapServiceID: limited.id, sourcePort: "a",
                              direction: .both, vlanFilter: nil)
        actions = core.apply(policy: Self.adding(flows: [metered]))
        let withMeters = try #require(Self.pushes(actions).first)
        guard case .delta(let d) = withMeters.content else { Issue.record("expected a delta"); return }
        #expect(!d.programDelta.meters.isEmpty)
        #expect(!withMeters.runsOnLoop)
        _ = core.finished(withMeters, Self.programmed)

        // Hundreds of ports at once on n2: one delta beyond the limit.
        var t = Self.topology()
        for i in 2...400 {
            t.ports["b\(i)"] = Topology.Port(id: "b\(i)", name: "b\(i)", node: "n2", datapathID: 2, ofport: UInt32(i), mac: String(format: "02:00:00:00:%02x:%02x", i / 256, i % 256), vlan: nil)
        }
        actions = core.apply(policy: Self.adding(flows: (2...400).map { Self.flow(100 + $0, "b\($0)") }), topology: Topology.events(from: Self.topology(), to: t))
        let large = try #require(Self.pushes(actions).first { $0.node == "n2" })
        guard case .delta(let big) = large.content else { Issue.record("expected a delta"); return }
        #expect(big.bundleCount > ControllerCore.Push.onLoopLimit)
        #expect(!large.runsOnLoop)
    }

    /// A change on the service's bridge for another tap flow does not make every tap flow into
    /// the service DOWN while it is on its way.
    @Test func anotherResourcesChangeLeavesAStatusAlone() {
        var core = ControllerCore()
        let board = Board()
        let f = Self.flow(2, "b")
        var actions = core.apply(policy: Self.adding(services: [Self.service], flows: [f]),
                                 topology: Topology.events(from: Topology(), to: Self.topology()))
        for p in Self.pushes(actions) { board.take(core.finished(p, Self.programmed)) }
        #expect(board.status(f.id) == .active)
        // A second tap flow from n1, where the service is: n1 gets a delta.
        let g = Self.flow(3, "a")
        actions = core.apply(policy: Self.adding(flows: [g]))
        board.take(actions)
        #expect(Self.pushes(actions).map(\.node) == ["n1"])
        #expect(board.status(f.id) == .active && board.status(g.id) == .down)
        for p in Self.pushes(actions) { board.take(core.finished(p, Self.programmed)) }
        #expect(board.status(g.id) == .active)
    }

    /// A refused program is an ERROR with the switch's words, not retried until the program
    /// changes; then the bridge is read back.
    @Test func aRefusalIsAnErrorUntilTheProgramChanges() throws {
        var core = ControllerCore()
        let board = Board()
        let f = Self.flow(2, "b")
        var actions = core.apply(policy: Self.adding(services: [Self.service], flows: [f]),
                                 topology: Topology.events(from: Topology(), to: Self.topology()))
        for p in Self.pushes(actions) {
            board.take(core.finished(p, p.node == "n2" ? .refused("OFPBMC_BAD_PREREQ for flow …") : Self.programmed))
        }
        #expect(board.states[f.id] == ResourceState(.error, reason: "OFPBMC_BAD_PREREQ for flow …"))
        #expect(board.status(Self.service.id) == .active)
        // Nothing is retried on its own; a change to n2's program reads it back.
        var filtered = Self.flow(3, "b")
        filtered.direction = .out
        filtered.vlanFilter = try VLANFilter(parsing: "10")
        actions = core.apply(policy: Self.adding(flows: [filtered]))
        let retry = try #require(Self.pushes(actions).first)
        guard case .program = retry.content else { Issue.record("expected a read-back"); return }
        board.take(core.finished(retry, Self.programmed))
        #expect(board.status(f.id) == .active)
    }

    /// A bridge that leaves makes its resources DOWN; when it is back it is read back.
    @Test func aReconnectReadsBack() throws {
        var core = ControllerCore()
        let board = Board()
        let f = Self.flow(2, "b")
        for p in Self.pushes(core.apply(policy: Self.adding(services: [Self.service], flows: [f]),
                                        topology: Topology.events(from: Topology(), to: Self.topology()))) {
            board.take(core.finished(p, Self.programmed))
        }
        board.take(core.apply(topology: Topology.events(from: Self.topology(), to: Self.topology(connected: ["n1"]))))
        board.take(core.switched([.disconnected(datapathID: 2, reason: "gone")]))
        #expect(board.status(f.id) == .down && board.status(Self.service.id) == .active)
        let actions = core.apply(topology: Topology.events(from: Self.topology(connected: ["n1"]), to: Self.topology()))
        board.take(actions)
        let back = try #require(Self.pushes(actions).first)
        #expect(back.node == "n2")
        guard case .program = back.content else { Issue.record("expected a read-back"); return }
        board.take(core.finished(back, .alreadyHeld))
        #expect(board.status(f.id) == .active)
    }

    /// A bridge whose connection and node arrive in one batch (taasd's start) is read back once.
    /// Taken in two calls, the read-back the topology's event starts is found stale by the
    /// connection at once, and the bridge is read back twice (what a restart did before).
    @Test func aConnectionInTheBatchOfItsNodeIsReadBackOnce() throws {
        let info = SwitchInfo(datapathID: 2, features: SwitchFeatures(datapathID: 2), description: SwitchDescription(), ports: [:])
        let up = Topology.events(from: Self.topology(connected: ["n1"]), to: Self.topology())
        func readBacks(together: Bool) -> Int {
            var core = ControllerCore()
            for p in Self.pushes(core.apply(policy: Self.adding(services: [Self.service], flows: [Self.flow(2, "b")]),
                                            topology: Topology.events(from: Topology(), to: Self.topology(connected: ["n1"])))) {
                _ = core.finished(p, Self.programmed)
            }
            var pending = together ? Self.pushes(core.apply(topology: up, switched: [.connected(info)]))
                                   : Self.pushes(core.apply(topology: up) + core.switched([.connected(info)]))
            var count = 0
            while let p = pending.first, count < 10 {
                pending.removeFirst()
                #expect(p.node == "n2")
                if case .program = p.content { count += 1 }
                pending += Self.pushes(core.finished(p, .alreadyHeld))
            }
            return count
        }
        #expect(readBacks(together: true) == 1)
        #expect(readBacks(together: false) == 2, "the two calls in turn: stale at once, read again")
    }

    /// A push that fails (the connection broke, say) is retried later from a read-back.
    @Test func aFailedPushIsRetried() throws {
        var core = ControllerCore()
        let actions = core.apply(policy: Self.adding(services: [Self.service]), topology: Topology.events(from: Topology(), to: Self.topology()))
        let p = try #require(Self.pushes(actions).first)
        let after = core.finished(p, .failed("timeout"))
        #expect(after.contains { if case .retry(let node, _) = $0 { node == p.node } else { false } })
        let again = try #require(Self.pushes(core.retry(node: p.node)).first)
        guard case .program = again.content else { Issue.record("expected a read-back"); return }
    }

    /// No more pushes at once than the limit; each one back starts the next.
    @Test func pushesAreBounded() {
        var core = ControllerCore(maxPushes: 2)
        let actions = core.apply(policy: Self.adding(services: [Self.service]),
                                 topology: Topology.events(from: Topology(), to: Self.topology(connected: ["n1", "n2", "n3"])))
        let first = Self.pushes(actions)
        #expect(first.count == 2)
        let next = Self.pushes(core.finished(first[0], Self.programmed))
        #expect(next.count == 1 && !first.map(\.node).contains(next[0].node))
    }

    /// After a start nothing is sent until every port the policy names (and the inventory
    /// knows) is on a connected bridge, so that a restart changes nothing that is right.
    @Test func theStartUpWaitHoldsPushesUntilThePortsAreBack() {
        var core = ControllerCore(settle: true)
        var policy = Self.adding(services: [Self.service], flows: [Self.flow(2, "b")])
        for id in ["svc", "b"] {
            policy.ports[id] = .added(PortRecord(id: id, name: id, macAddress: "", hostID: "", openflowPort: 1, vlan: nil, projectID: "p", up: true))
        }
        var actions = core.apply(policy: policy, topology: Topology.events(from: Topology(), to: Self.topology(connected: ["n1"])))
        #expect(Self.pushes(actions).isEmpty && core.missingPorts == ["b"])
        actions = core.apply(topology: Topology.events(from: Self.topology(connected: ["n1"]), to: Self.topology()))
        #expect(Set(Self.pushes(actions).map(\.node)) == ["n1", "n2"] && core.settled)
    }
}
