import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OVSDB
import OVSDBClient
import TaaSTestSupport
import Testing

/// The OVSDB client against peers that misbehave: it logs, survives, and recovers.
@Suite struct OVSDBRobustnessTests {
    struct Client {
        let manager: OVSDBManager
        let views: Collected<OVSDBEvent>
        let log: NIOLockedValueBox<[String]>
        let task: Task<Void, Never>

        func logged(_ text: String) -> Bool { log.withLockedValue { $0.contains { $0.contains(text) } } }
        func waitLogged(_ text: String) async throws {
            for _ in 0..<500 where !logged(text) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(logged(text), "\(log.withLockedValue { $0 })")
        }
    }

    static func client(_ server: FakeOVSDBServer, probe: TimeAmount = .seconds(5)) throws -> Client {
        let lines = NIOLockedValueBox<[String]>([])
        let logger = Logger(label: "ovsdb-test") { _ in CapturingLogHandler(lines: lines) }
        let manager = try OVSDBManager(configuration: .init(targets: [try OVSDBManager.target("tcp:127.0.0.1:\(server.port)")],
                                                            probeInterval: probe, reconnectMin: .milliseconds(20),
                                                            reconnectMax: .milliseconds(200)),
                                       group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let views = Collected<OVSDBEvent>()
        let task = Task {
            await withTaskGroup(of: Void.self) { g in
                g.addTask { do { try await manager.run() } catch {} }
                g.addTask { for await e in manager.events { await views.add(e) } }
                await g.next()
                g.cancelAll()
            }
        }
        return Client(manager: manager, views: views, log: lines, task: task)
    }

    static func isView(_ e: OVSDBEvent) -> Bool {
        if case .view(_, let v) = e { v.systemID == "fake-1" && v.bridge("br-int")?.datapathID == 0xf1 } else { false }
    }

    @Test func malformedMessagesAreLoggedAndSkipped() async throws {
        let server = try await FakeOVSDBServer { _, request in
            guard case .request("get_schema", _, _) = request else { return FakeOVSDBServer.wellBehaved(request) }
            return [
                .send(#"{"id":1,"result":tru}"#),                   // not JSON
                .send(#"{"neither":"request nor response"}"#),       // JSON, not JSON-RPC
                .send(#"{"id":4242,"result":{},"error":null}"#),     // answers nothing we asked
                .send(#"{"method":"what","params":"x","id":null}"#), // params not an array
                .send(#"{"method":"unheard_of","params":[],"id":7}"#), // a request we do not serve
                .send(#"{"method":"echo","params":["ping"],"id":"e1"}"#),
            ] + FakeOVSDBServer.wellBehaved(request)
        }
        let c = try Self.client(server)
        defer { c.task.cancel() }
        _ = try await c.views.wait(Self.isView)
        #expect(server.connections == 1, "one connection: nothing forced a reconnect")
        #expect(c.logged("malformed JSON from the OVSDB peer"))
        #expect(c.logged("malformed JSON-RPC from the OVSDB peer"))
        // The echo request was answered with its params, the unknown request with an error.
        let echoes = server.received.filter { if case .response(let r, _, "e1") = $0 { r == ["ping"] } else { false } }
        #expect(echoes.count == 1)
        let refused = server.received.filter { if case .response(_, let e, 7) = $0 { !e.isNull } else { false } }
        #expect(refused.count == 1)
        await server.stop()
    }

    @Test func anUnexpectedSchemaIsRefusedUntilItIsFixed() async throws {
        let fixed = NIOLockedValueBox(false)
        let server = try await FakeOVSDBServer { _, request in
            var schema = FakeOVSDBServer.schema
            if !fixed.withLockedValue({ $0 }), case .object(var o) = schema, case .object(var t)? = o["tables"] {
                t["Interface"] = nil
                o["tables"] = .object(t)
                schema = .object(o)
            }
            return FakeOVSDBServer.wellBehaved(request, schema: schema)
        }
        let c = try Self.client(server)
        defer { c.task.cancel() }
        try await c.waitLogged("the Open_vSwitch schema lacks table Interface")
        for _ in 0..<300 where server.connections < 3 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.connections >= 3, "retried with backoff")
        #expect(await c.views.items.isEmpty)
        fixed.withLockedValue { $0 = true }
        _ = try await c.views.wait(Self.isView)
        await server.stop()
    }

    @Test func aPeerThatHangsUpMidMessageOrSendsGarbageIsRedialled() async throws {
        let server = try await FakeOVSDBServer { n, request in
            guard case .request("get_schema", _, let id) = request else { return FakeOVSDBServer.wellBehaved(request) }
            switch n {
            case 1: return [.send(#"{"id":\#(id.serialized),"result":{"name":"Open_vSw"#), .close]
            case 2: return [.send("xyz")]
            default: return FakeOVSDBServer.wellBehaved(request)
            }
        }
        let c = try Self.client(server)
        defer { c.task.cancel() }
        _ = try await c.views.wait(Self.isView)
        #expect(server.connections == 3)
        #expect(c.logged("OVSDB session failed"))
        #expect(c.logged("OVSDB stream cannot be framed"))
        await server.stop()
    }

    @Test func aMalformedUpdateResyncsFromAFreshMonitor() async throws {
        let server = try await FakeOVSDBServer { _, request in FakeOVSDBServer.wellBehaved(request) }
        let c = try Self.client(server)
        defer { c.task.cancel() }
        _ = try await c.views.wait(Self.isView)
        server.broadcast(#"{"method":"update","params":["taasd",{"Bridge":{"b1":{"new":{"name":["set",[["bogus"]]]}}}}],"id":null}"#)
        _ = try await c.views.wait { if case .disconnected = $0 { true } else { false } }
        let n = await c.views.items.count
        _ = try await c.views.wait(from: n, Self.isView)
        #expect(server.connections == 2)
        #expect(c.logged("OVSDB update cannot be applied"))
        await server.stop()
    }

    @Test func aSilentPeerIsProbedWithEchoAndDroppedWhenItDoesNotAnswer() async throws {
        let server = try await FakeOVSDBServer { n, request in
            // The first connection answers nothing after the monitor, not even echo.
            if n == 1, case .request("echo", _, _) = request { return [] }
            return FakeOVSDBServer.wellBehaved(request)
        }
        let c = try Self.client(server, probe: .milliseconds(200))
        defer { c.task.cancel() }
        _ = try await c.views.wait(Self.isView)
        try await c.waitLogged("OVSDB peer did not answer echo")
        for _ in 0..<300 where server.connections < 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.connections >= 2)
        let probes = server.received.filter { if case .request("echo", _, _) = $0 { true } else { false } }
        #expect(!probes.isEmpty)
        await server.stop()
    }
}
