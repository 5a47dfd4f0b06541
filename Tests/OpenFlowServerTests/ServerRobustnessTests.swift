import Logging
import NIOCore
import NIOPosix
import OpenFlow
import OpenFlowServer
import SwitchSession
import SwitchSimulator
import TaaSTestSupport
import Testing

/// Hostile peers on loopback never disturb the other sessions: garbage, a header announcing
/// 65,535 bytes followed by silence, and a flood of ECHO_REQUESTs from a peer that reads nothing.
@Suite(.serialized) struct RobustnessTests {
    let group = MultiThreadedEventLoopGroup.singleton

    /// A raw connection that writes whatever it is told and reads nothing back.
    func rawPeer(port: Int) async throws -> Channel {
        try await ClientBootstrap(group: group)
            .channelOption(.autoRead, value: false)
            .connect(host: "127.0.0.1", port: port).get()
    }

    /// Fails unless the channel closes within the deadline.
    func closes(_ channel: Channel, within limit: Duration, _ name: String) async throws {
        let closed = try await withThrowingTaskGroup(of: Bool.self) { g in
            g.addTask { try await channel.closeFuture.get(); return true }
            g.addTask { try await Task.sleep(for: limit); return false }
            let first = try await g.next() ?? false
            g.cancelAll()
            return first
        }
        // The channel's own state decides: when other tests hold Swift's threads, the deadline
        // task can be resumed before the close that happened in time.
        #expect(closed || !channel.isActive, "\(name) still open after \(limit)")
    }

    /// A server listening on a loopback port of its own, and a waiter on its events.
    func listening() async throws -> (server: OpenFlowServer, events: EventWaiter, port: Int)? {
        let server = try OpenFlowServer(configuration: .init(targets: [.passiveTCP(port: 0, host: "127.0.0.1")]), group: group,
                                        logger: Logger(label: "test"))
        let events = EventWaiter(server.registry)
        guard case .passiveTCP(let port, _)? = try await server.listen().first else { Issue.record("no listener"); return nil }
        return (server, events, port)
    }

    @Test func secondConnectionWithTheSameDatapathReplacesTheFirst() async throws {
        guard let (server, events, port) = try await listening() else { return }
        let a = try await SimulatedSwitch.connect(host: "127.0.0.1", port: port, datapathID: 0xe1, group: group)
        _ = try await events.next("first") { if case .connected = $0 { true } else { false } }
        let first = try #require(server.registry.connection(datapathID: 0xe1))
        let b = try await SimulatedSwitch.connect(host: "127.0.0.1", port: port, datapathID: 0xe1, group: group)
        _ = try await events.next("replaced") {
            if case .disconnected(0xe1, let reason) = $0 { return reason.contains("replaced") }
            return false
        }
        _ = try await events.next("second") { if case .connected = $0 { true } else { false } }
        let second = try #require(server.registry.connection(datapathID: 0xe1))
        #expect(second != first)
        // The older session is closed, and its end does not remove the newer one.
        try await closes(a.channelForTests, within: .seconds(20), "first session")
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.registry.connection(datapathID: 0xe1) == second && server.registry.count == 1)
        #expect(!events.seen.contains { if case .disconnected(_, let r) = $0 { !r.contains("replaced") } else { false } })
        await b.close()
        await server.shutdown()
    }

    @Test func aSimulatedSwitchKeepsMetersAndRefusesFlowsWithoutThem() async throws {
        guard let (server, events, port) = try await listening() else { return }
        let sim = try await SimulatedSwitch.connect(host: "127.0.0.1", port: port, datapathID: 0xe2, group: group)
        _ = try await events.next("connected") { if case .connected = $0 { true } else { false } }
        let c = try #require(server.registry.connection(datapathID: 0xe2))
        let flow = FlowMod(tableID: 1, command: .add, priority: 10, match: Match([.inPort(1)]), instructions: [.meter(9), .applyActions([.output(2)])])
        var errors = try await c.transaction([.flowMod(flow)])
        #expect(errors[0]?.code == .meterModFailedInvalidMeter, "a flow naming a missing meter: \(errors)")
        errors = try await c.transaction([.meterMod(MeterMod(command: .add, flags: .kbps, meterID: 9, bands: [.drop(rate: 500, burstSize: 0)])),
                                          .flowMod(flow)])
        #expect(errors.isEmpty, "\(errors)")
        let replies = try await c.request(.multipartRequest(MultipartRequest(.meterConfig(meterID: 0xffff_ffff))))
        let meters = replies.flatMap { m -> [MeterConfig] in
            if case .multipartReply(let r) = m.payload, case .meterConfig(let list) = r.body { return list }
            return []
        }
        #expect(meters == [MeterConfig(flags: .kbps, meterID: 9, bands: [.drop(rate: 500, burstSize: 0)])])
        await sim.close()
        await server.shutdown()
    }

    @Test func hostilePeersDoNotDisturbOthers() async throws {
        let server = try OpenFlowServer(
            configuration: .init(targets: [.passiveTCP(port: 0, host: "127.0.0.1")],
                                 session: .init(idleInterval: .seconds(1), echoTimeout: .seconds(2))),
            group: group, logger: Logger(label: "test"))
        let events = EventWaiter(server.registry)
        let bound = try await server.listen()
        guard case .passiveTCP(let port, _)? = bound.first else { Issue.record("no listener"); return }

        var good: [SimulatedSwitch] = []
        for dpid in UInt64(1)...3 {
            good.append(try await SimulatedSwitch.connect(host: "127.0.0.1", port: port, datapathID: dpid, group: group))
            _ = try await events.next("switch \(dpid)") { if case .connected(let i) = $0 { i.datapathID == dpid } else { false } }
        }

        // Garbage: random bytes, some of which frame as messages, some not.
        let garbage = try await rawPeer(port: port)
        var rng = SystemRandomNumberGenerator()
        let junk = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try await garbage.writeAndFlush(garbage.allocator.buffer(bytes: junk))
        // A header that announces 65,535 bytes, then silence.
        let staller = try await rawPeer(port: port)
        try await staller.writeAndFlush(staller.allocator.buffer(bytes: [4, 0, 0xff, 0xff, 0, 0, 0, 1, 0, 1]))
        // A flood of echo requests from a peer that never reads the replies.
        let flooder = try await rawPeer(port: port)
        var flood = flooder.allocator.buffer(capacity: 8 * 100_000)
        for i in 0..<100_000 { flood.writeOpenFlowMessage(OpenFlowMessage(xid: UInt32(i), .echoRequest([]))) }
        // Not awaited: with nobody reading, the write never completes.
        flooder.writeAndFlush(flood, promise: nil)

        // Meanwhile the good switches' echoes are answered, again and again.
        for round in 0..<20 {
            for sw in good {
                let rtt = try await sw.echo()
                #expect(rtt < .seconds(2), "round \(round): \(rtt)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }

        // The staller (a partial header, then silence), the flooder (which reads nothing) and the
        // garbage peer are all closed, by the keepalive rule or as unframeable.
        for (name, c) in [("staller", staller), ("flooder", flooder), ("garbage", garbage)] {
            try await closes(c, within: .seconds(15), name)
        }
        // No good switch was disconnected, and all three are still registered.
        #expect(!events.seen.contains { if case .disconnected = $0 { true } else { false } }, "\(events.seen)")
        #expect(server.registry.count == 3)
        for c in [garbage, flooder] { try? await c.close() }
        for sw in good { await sw.close() }
        await server.shutdown()
    }
}
