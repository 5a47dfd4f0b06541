import NetworkTransport
import Foundation
import Logging
import NIOPosix
import OpenFlow
import OpenFlowServer
import SwitchSession
import TaaSTestSupport
import Testing

/// Sessions with a real ovs-vswitchd (userspace datapath, private namespace): the bridge
/// connects, its ports and their changes arrive as events, flows go in and read back, and a
/// killed and restarted switch ends and renews the session.
@Suite(.serialized, .offCooperativePool) final class RealSwitchSessionTests {
    let node: OVSNode
    let logger = Logger(label: "test")

    init() throws {
        node = try OVSNode()
        do {
            try node.addIntegrationBridge(datapathID: 0xb1)
        } catch {
            node.stop()
            throw error
        }
    }

    deinit { node.stop() }

    func makeServer(_ targets: [ConnectionTarget]) throws -> OpenFlowServer {
        try OpenFlowServer(configuration: .init(targets: targets, session: .init(idleInterval: .seconds(1), echoTimeout: .seconds(2))),
                           group: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    func netns(_ args: [String]) throws { try Command.check("ip", ["netns", "exec", node.name] + args) }

    @Test func passiveUnixSessionFollowsTheSwitch() async throws {
        let socket = "\(node.dir)/taasd.sock"
        let server = try makeServer([.passiveUnix(path: socket)])
        let events = EventWaiter(server.registry)
        try await server.listen()
        defer { Task { await server.shutdown() } }
        try node.vsctl(["set-controller", "br-int", "unix:\(socket)"])

        // The bridge connects: datapath id and ports known.
        guard case .connected(let info) = try await events.next("connected", where: { if case .connected = $0 { true } else { false } }) else { return }
        #expect(info.datapathID == 0xb1)
        #expect(info.ports[.local]?.name == "br-int")
        let connection = try #require(server.registry.connection(datapathID: 0xb1))

        // add-port arrives as an event.
        try netns(["ip", "link", "add", "v1", "type", "veth", "peer", "name", "v1p"])
        try netns(["ip", "link", "set", "v1", "up"])
        try netns(["ip", "link", "set", "v1p", "up"])
        try node.vsctl(["add-port", "br-int", "v1", "--", "set", "interface", "v1", "ofport_request=5"])
        let added = try await events.next("port v1 added") {
            if case .portChanged(0xb1, .added(let p)) = $0 { return p.name == "v1" && p.portNumber == 5 }
            return false
        }
        _ = added

        // A link change (the veth's peer goes down) arrives as a modification.
        try netns(["ip", "link", "set", "v1p", "down"])
        let down = try await events.next("link down on v1") {
            if case .portChanged(0xb1, .modified(_, let p)) = $0 { return p.name == "v1" && p.isLinkDown }
            return false
        }
        _ = down
        #expect(connection.info?.ports[5]?.isLinkDown == true)

        // A flow added through the session reads back through the session and through ovs-ofctl.
        let flow = FlowMod(cookie: 0x7a, priority: 100, match: [.inPort(5), .ethDst(EthernetAddress(2, 0, 0, 0, 0, 9))],
                           instructions: [.applyActions([.output(.normal)])])
        let errors = try await connection.transaction([.flowMod(flow)])
        #expect(errors.isEmpty)
        let reply = try await connection.request(.multipartRequest(MultipartRequest(.flow(FlowStatsRequest(cookie: 0x7a, cookieMask: .max)))))
        let stats = reply.flatMap { m -> [FlowStats] in
            if case .multipartReply(let r) = m.payload, case .flow(let s) = r.body { return s }
            return []
        }
        #expect(stats.count == 1 && stats.first?.match == flow.match && stats.first?.instructions == flow.instructions)
        let dumped = try node.ofctl("dump-flows", options: ["--no-stats"])
        #expect(dumped.contains("cookie=0x7a, priority=100,in_port=5,dl_dst=02:00:00:00:00:09 actions=NORMAL"), "\(dumped)")

        // An invalid flow is answered with the switch's error, tied to the message it answers.
        let bad = try await connection.transaction([.flowMod(flow), .flowMod(FlowMod(priority: 1, match: [OXMField(.tcpDst, 80)]))])
        #expect(bad.keys.sorted() == [1] && bad[1]?.code == .badMatchBadPrereq)

        // A transaction given in pieces: the error names its message's place in the whole, and
        // every other member is installed.
        let streamed = (0..<300).map { i in
            OpenFlowMessage.Payload.flowMod(FlowMod(cookie: 0x7b, priority: 100, match: [.inPort(5), .ethDst(EthernetAddress(rawValue: 0x0200_0000_1000 | UInt64(i)))],
                                                    instructions: [.applyActions([.output(.normal)])]))
        }
        let invalid = OpenFlowMessage.Payload.flowMod(FlowMod(cookie: 0x7b, priority: 1, match: [OXMField(.tcpDst, 80)]))
        let pieceErrors = try await connection.transaction(count: 301) { send in
            send(Array(streamed[0..<100]))
            send(Array(streamed[100..<250]) + [invalid])
            send(Array(streamed[250...]))
        }
        #expect(pieceErrors.keys.sorted() == [250] && pieceErrors[250]?.code == .badMatchBadPrereq)
        #expect(try node.ofctl("dump-flows", ["cookie=0x7b/-1"], options: ["--no-stats"]).split(separator: "\n").count == 300)
        // More members than it was opened for: the extra one is not sent, and the caller hears of it.
        await #expect(throws: SwitchConnection.Miscount.self) {
            _ = try await connection.transaction(count: 1) { send in send([streamed[0], .flowMod(FlowMod(cookie: 0x7c, priority: 7, match: [.inPort(5)]))]) }
        }
        #expect(try !node.ofctl("dump-flows", ["cookie=0x7c/-1"], options: ["--no-stats"]).contains("priority=7"))

        // del-port arrives as an event.
        try node.vsctl(["del-port", "br-int", "v1"])
        _ = try await events.next("port v1 deleted") {
            if case .portChanged(0xb1, .deleted(let p)) = $0 { return p.portNumber == 5 }
            return false
        }

        // Killing ovs-vswitchd ends the session; restarting it renews it.
        try node.killSwitch()
        _ = try await events.next("disconnected") { if case .disconnected(0xb1, _) = $0 { true } else { false } }
        #expect(server.registry.connection(datapathID: 0xb1) == nil)
        try node.startSwitch()
        _ = try await events.next("reconnected") { if case .connected(let i) = $0 { i.datapathID == 0xb1 } else { false } }
    }

    /// The fence between replicas, as Open vSwitch keeps it: with two controllers, the one that
    /// claims MASTER with the newer generation id makes the other a slave, whose flow mods are
    /// refused (OFPBRC_IS_SLAVE) and whose claim with its older id is refused (OFPRRFC_STALE).
    @Test func aNewerMasterClaimFencesTheOlderController() async throws {
        let servers = try ["a", "b"].map { try makeServer([.passiveUnix(path: "\(node.dir)/taasd-\($0).sock")]) }
        let waiters = servers.map { EventWaiter($0.registry) }
        for s in servers { try await s.listen() }
        defer { for s in servers { Task { await s.shutdown() } } }
        try node.vsctl(["set-controller", "br-int", "unix:\(node.dir)/taasd-a.sock", "unix:\(node.dir)/taasd-b.sock"])
        for w in waiters { _ = try await w.next("connected", where: { if case .connected = $0 { true } else { false } }) }
        let old = try #require(servers[0].registry.connection(datapathID: 0xb1))
        let new = try #require(servers[1].registry.connection(datapathID: 0xb1))
        let flow = FlowMod(cookie: 0x7c, priority: 100, match: [.inPort(7)], instructions: [.applyActions([.output(.normal)])])

        func claim(_ c: SwitchConnection, _ role: RoleMessage.Role, _ generation: UInt64) async throws -> RoleMessage.Role? {
            let reply = try await c.request(.roleRequest(RoleMessage(role: role, generationID: generation)))
            if case .roleReply(let r)? = reply.first?.payload { return r.role }
            return nil
        }
        #expect(try await claim(old, .master, 5) == .master)
        #expect(try await old.transaction([.flowMod(flow)]).isEmpty, "the master writes")
        #expect(try await claim(new, .master, 6) == .master)
        let refused = try await old.transaction([.flowMod(flow)])
        #expect(refused[0]?.code == .badRequestIsSlave, "\(refused)")
        do {
            _ = try await claim(old, .master, 5)
            Issue.record("a claim with an older generation id was granted")
        } catch SessionStateMachine.RequestError.switchError(let e) {
            #expect(e.code == .roleRequestFailedStale, "\(e.code)")
        }
        #expect(try await new.transaction([.flowMod(flow)]).isEmpty, "the new master writes")
    }

    @Test func activeUnixTargetDialsTheBridge() async throws {
        // The bridge's management socket listens like `ptcp:`; the controller dials it and
        // reconnects after the switch restarts.
        let server = try makeServer([.activeUnix(path: node.mgmtPath())])
        let events = EventWaiter(server.registry)
        let run = Task { try await server.run() }
        defer { run.cancel() }
        _ = try await events.next("connected") { if case .connected(let i) = $0 { i.datapathID == 0xb1 } else { false } }
        try node.killSwitch()
        _ = try await events.next("disconnected") { if case .disconnected(0xb1, _) = $0 { true } else { false } }
        try node.startSwitch()
        _ = try await events.next("reconnected") { if case .connected(let i) = $0 { i.datapathID == 0xb1 } else { false } }
    }
}
