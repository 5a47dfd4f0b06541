import Logging
import NIOCore
import NIOEmbedded
import OpenFlow
@testable import OpenFlowServer
import SwitchSession
import Testing

/// The channel handler on an EmbeddedChannel: bytes in, bytes out, the event loop's clock advanced by hand.
@Suite struct HandlerTests {
    struct Harness {
        let channel: EmbeddedChannel
        let loop: EmbeddedEventLoop
        let registry: SwitchRegistry
        let connection: SwitchConnection

        init(idle: TimeAmount = .seconds(5), timeout: TimeAmount = .seconds(3), loop: EmbeddedEventLoop = EmbeddedEventLoop(),
             tickers: SessionTickers? = nil) throws {
            self.loop = loop
            registry = SwitchRegistry(logger: Logger(label: "test"))
            let handler = SessionHandler(configuration: .init(idleInterval: idle, echoTimeout: timeout), registry: registry,
                                         metrics: SessionMetrics(), logger: Logger(label: "test"), tickers: tickers)
            channel = EmbeddedChannel(loop: loop)
            connection = SwitchConnection(id: 1, channel: channel, peer: "embedded", handler: handler)
            handler.connection = connection
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        /// Every message written so far.
        func written() throws -> [OpenFlowMessage] {
            var out: [OpenFlowMessage] = []
            while var b = try channel.readOutbound(as: ByteBuffer.self) {
                while let m = try b.readOpenFlowMessage() { out.append(m) }
            }
            return out
        }

        func receive(_ m: OpenFlowMessage) throws { try channel.writeInbound(m.encoded()) }
        func receive(bytes: [UInt8]) throws { try channel.writeInbound(channel.allocator.buffer(bytes: bytes)) }

        /// Plays a switch through the handshake.
        func handshake(datapathID: UInt64 = 0xd1) throws {
            #expect(try written().map(\.type) == [.hello])
            try receive(OpenFlowMessage(xid: 1, .hello(.supporting([4]))))
            let features = try #require(try written().first)
            try receive(OpenFlowMessage(xid: features.xid, .featuresReply(SwitchFeatures(datapathID: datapathID))))
            let desc = try #require(try written().last)
            try receive(OpenFlowMessage(xid: desc.xid, .multipartReply(MultipartReply(.desc(SwitchDescription())))))
            let ports = try #require(try written().first)
            try receive(OpenFlowMessage(xid: ports.xid, .multipartReply(MultipartReply(.portDesc([])))))
        }
    }

    @Test func handshakeRegistersTheSwitch() throws {
        let h = try Harness()
        try h.handshake()
        #expect(h.registry.connection(datapathID: 0xd1) == h.connection)
        #expect(h.connection.info?.datapathID == 0xd1)
    }

    @Test func versionRefusalWritesHelloFailedAndCloses() throws {
        let h = try Harness()
        _ = try h.written()
        try h.receive(OpenFlowMessage(version: 1, xid: 5, .hello(Hello())))
        let out = try h.written()
        guard case .error(let e)? = out.first?.payload else { Issue.record("\(out)"); return }
        #expect(e.code == .helloFailedIncompatible && out.first?.xid == 5)
        h.loop.run()
        #expect(!h.channel.isActive)
    }

    @Test func echoTimeoutClosesWithTheClockAdvanced() throws {
        let h = try Harness(idle: .seconds(5), timeout: .seconds(3))
        try h.handshake()
        _ = try h.written()
        h.loop.advanceTime(by: .seconds(4))
        #expect(try h.written().isEmpty)
        h.loop.advanceTime(by: .seconds(2))
        let echo = try h.written()
        #expect(echo.map(\.type) == [.echoRequest])
        h.loop.advanceTime(by: .seconds(2))
        #expect(h.channel.isActive)
        h.loop.advanceTime(by: .seconds(2))
        h.loop.run()
        #expect(!h.channel.isActive)
        #expect(h.registry.connection(datapathID: 0xd1) == nil)
    }

    @Test func answeredEchoKeepsTheSessionUp() throws {
        let h = try Harness(idle: .seconds(5), timeout: .seconds(3))
        try h.handshake()
        _ = try h.written()
        for _ in 0..<5 {
            h.loop.advanceTime(by: .seconds(6))
            let echo = try #require(try h.written().first)
            try h.receive(OpenFlowMessage(xid: echo.xid, .echoReply([])))
        }
        #expect(h.channel.isActive)
    }

    @Test func partialHeaderThenSilenceIsClosed() throws {
        let h = try Harness(idle: .seconds(2), timeout: .seconds(2))
        try h.handshake()
        // Later than the last whole message, so only the partial bytes could count as liveness.
        h.loop.advanceTime(by: .milliseconds(1500))
        try h.receive(bytes: [4, 0, 0xff, 0xff, 0, 0])
        h.loop.advanceTime(by: .milliseconds(1000))
        #expect(try h.written().map(\.type) == [.echoRequest])
        h.loop.advanceTime(by: .seconds(3))
        h.loop.run()
        #expect(!h.channel.isActive)
    }

    @Test func aClosedSessionIsFreed() throws {
        weak var handler: SessionHandler?
        weak var connection: SwitchConnection?
        let registry: SwitchRegistry
        do {
            let h = try Harness()
            registry = h.registry
            try h.handshake()
            connection = h.connection
            handler = h.connection.handler.value
            #expect(handler != nil && connection != nil)
            try h.channel.close().wait()
            h.loop.run()
            _ = try? h.channel.finish()
        }
        #expect(registry.count == 0)
        #expect(handler == nil, "the handler outlived its channel")
        #expect(connection == nil, "the connection outlived its channel")
    }

    @Test func malformedMessagesAreAnsweredWithErrors() throws {
        let h = try Harness()
        try h.handshake()
        _ = try h.written()
        try h.receive(bytes: [4, 99, 0, 8, 0, 0, 0, 42])  // unknown type
        let out = try h.written()
        guard case .error(let e)? = out.first?.payload else { Issue.record("\(out)"); return }
        #expect(e.code == .badRequestBadType && out.first?.xid == 42)
        #expect(h.channel.isActive)
        // A length below the header size cannot be framed: error, then close.
        try h.receive(bytes: [4, 0, 0, 4, 0, 0, 0, 43])
        guard case .error(let e2)? = try h.written().first?.payload else { Issue.record("no error"); return }
        #expect(e2.code == .badRequestBadLen)
        h.loop.run()
        #expect(!h.channel.isActive)
    }

    @Test func portStatusReachesConnectionAndEvents() async throws {
        let h = try Harness()
        var events = h.registry.events().makeAsyncIterator()
        try h.handshake()
        let port = PortDescription(portNumber: 7, hardwareAddress: EthernetAddress(2, 0, 0, 0, 0, 7), name: "tap7")
        try h.receive(OpenFlowMessage(xid: 0, .portStatus(PortStatus(reason: .add, port: port))))
        #expect(h.connection.info?.ports[7] == port)
        guard case .connected? = await events.next() else { Issue.record("no connected"); return }
        guard case .portChanged(0xd1, .added(port))? = await events.next() else { Issue.record("no port event"); return }
    }
}
