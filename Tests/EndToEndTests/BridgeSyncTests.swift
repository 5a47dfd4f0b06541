import Logging
import NIOPosix
import OpenFlow
import OpenFlowServer
import OpenFlowText
import Pipeline
import TaaSController
import TaaSTestSupport
import Testing

/// taasd's bundles against a real ovs-vswitchd: a plan large enough to go in many pieces is
/// committed whole, and one the switch refuses is refused whole, naming the flow at fault; the
/// same for a small plan sent from the connection's event loop.
@Suite(.serialized, .offCooperativePool) final class BridgeSyncTests {
    /// Stopped (switch, database, namespace) when released, by `OVSNode`'s own deinit.
    let node: OVSNode

    init() throws {
        node = try OVSNode()
        try node.addIntegrationBridge(datapathID: 0xb2)
    }

    static func flows(_ n: Int) -> [FlowEntry] {
        (0..<n).map { i in
            FlowEntry(cookie: Cookie.make(.source, "p\(i % 10)"), tableID: 1, priority: 100,
                      match: Match([.inPort(PortNumber(UInt32(i % 100 + 1))), .ethSrc(EthernetAddress(rawValue: 0x0200_0000_0000 | UInt64(i)))]),
                      instructions: [.applyActions([.output(PortNumber(2))]), .gotoTable(2)])
        }
    }

    /// An OpenFlow server dialing the bridge, once the switch is connected: its connection, and
    /// the server's task for the caller to cancel.
    func connect() async throws -> (SwitchConnection, Task<Void, Error>) {
        let server = try OpenFlowServer(configuration: .init(targets: [.activeUnix(path: node.mgmtPath())]),
                                        group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        let events = EventWaiter(server.registry)
        let run = Task { try await server.run() }
        do {
            _ = try await events.next("connected") { if case .connected(let i) = $0 { i.datapathID == 0xb2 } else { false } }
            return (try #require(server.registry.connection(datapathID: 0xb2)), run)
        } catch {
            run.cancel()
            throw error
        }
    }

    @Test func aPlanInPiecesIsCommittedWholeOrRefusedWhole() async throws {
        let (connection, run) = try await connect()
        defer { run.cancel() }

        // 6,000 good flows and one the switch refuses (a TCP port without its prerequisites).
        var flows = Self.flows(6000)
        flows.append(FlowEntry(cookie: Cookie.make(.source, "bad"), tableID: 1, priority: 7, match: Match([OXMField(.tcpDst, 80)]),
                               instructions: [.gotoTable(2)]))
        let bad = ReconcilePlan(desired: BridgeProgram(flows: flows), installedFlows: [], installedGroups: [])
        var pieces = 0
        bad.pieces { _ in pieces += 1 }
        #expect(pieces > 2, "the plan goes in several pieces")
        do {
            try await BridgeSync.apply(bad, to: connection, bundleID: 1)
            Issue.record("the switch took a flow without its prerequisites")
        } catch let e as BridgeSync.Refused {
            #expect(e.description.contains("BAD_PREREQ") && e.description.contains("priority=7"), "\(e.description)")
        }
        let left = try node.flowCount()
        #expect(left == 0, "all or nothing: \(left) flows installed")

        let good = ReconcilePlan(desired: BridgeProgram(flows: Self.flows(6000)), installedFlows: [], installedGroups: [])
        try await BridgeSync.apply(good, to: connection, bundleID: 2)
        #expect(try node.flowCount() == 6000)
        let (installed, _, _) = try await BridgeSync.installed(connection)
        let again = ReconcilePlan(desired: BridgeProgram(flows: Self.flows(6000)), installedFlows: installed, installedGroups: [])
        #expect(again.isEmpty, "read back, the bridge holds exactly its program")
    }

    /// `BridgeSync.bundle` called on the connection's event loop (a bridge's small delta, as
    /// `BridgePush.start` sends it), awaited.
    static func applyOnLoop(_ plan: ReconcilePlan, _ c: SwitchConnection, bundleID: UInt32) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            c.execute { BridgeSync.bundle(plan, to: c, bundleID: bundleID).whenComplete { done.resume(with: $0) } }
        }
    }

    @Test func aSmallPlanFromTheEventLoopIsCommittedWholeOrRefusedWhole() async throws {
        let (connection, run) = try await connect()
        defer { run.cancel() }

        var flows = Self.flows(20)
        flows.insert(FlowEntry(cookie: Cookie.make(.source, "bad"), tableID: 1, priority: 7, match: Match([OXMField(.tcpDst, 80)]),
                               instructions: [.gotoTable(2)]), at: 10)
        do {
            try await Self.applyOnLoop(ReconcilePlan(desired: BridgeProgram(flows: flows), installedFlows: [], installedGroups: []), connection, bundleID: 1)
            Issue.record("the switch took a flow without its prerequisites")
        } catch let e as BridgeSync.Refused {
            #expect(e.description.contains("BAD_PREREQ") && e.description.contains("priority=7"), "\(e.description)")
        }
        #expect(try node.flowCount() == 0, "all or nothing")

        // The refused bundle is gone: its id opens a new one.
        try await Self.applyOnLoop(ReconcilePlan(desired: BridgeProgram(flows: Self.flows(20)), installedFlows: [], installedGroups: []),
                                   connection, bundleID: 1)
        #expect(try node.flowCount() == 20)
        let (installed, _, _) = try await BridgeSync.installed(connection)
        #expect(ReconcilePlan(desired: BridgeProgram(flows: Self.flows(20)), installedFlows: installed, installedGroups: []).isEmpty)
    }
}
