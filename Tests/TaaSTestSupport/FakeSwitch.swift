import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OpenFlow
import SwitchSimulator

/// A listener on 127.0.0.1 that plays an OpenFlow 1.3 switch for `ovs-ofctl`: it sends
/// HELLO, records every message it receives (decoded, with its exact bytes), and answers
/// what a client waits for (barriers, bundle control, echo, and the multipart dumps).
public final class FakeSwitch: Sendable {
    public struct Received: Sendable {
        public var message: OpenFlowMessage
        public var bytes: [UInt8]
    }

    /// What the switch answers to dump requests.
    public struct Tables: Sendable {
        public var flows: [FlowStats] = []
        public var groups: [GroupDescription] = []
        public var meters: [MeterConfig] = []
        public init() {}
    }

    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let state: NIOLockedValueBox<(received: [Received], errors: [DecodingError], tables: Tables)>
    public var port: Int { channel.localAddress?.port ?? 0 }
    public var target: String { "tcp:127.0.0.1:\(port)" }

    public init(tables: Tables = Tables()) throws {
        let state = NIOLockedValueBox<(received: [Received], errors: [DecodingError], tables: Tables)>(([], [], tables))
        self.state = state
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakeSwitchHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    public var received: [Received] { state.withLockedValue { $0.received } }
    public var decodingErrors: [DecodingError] { state.withLockedValue { $0.errors } }

    /// Messages received other than HELLO.
    public var requests: [Received] {
        received.filter { if case .hello = $0.message.payload { return false } else { return true } }
    }

    public func reset() { state.withLockedValue { $0.received = []; $0.errors = [] } }

    public func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    deinit { try? group.syncShutdownGracefully() }
}

private final class FakeSwitchHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let state: NIOLockedValueBox<(received: [FakeSwitch.Received], errors: [DecodingError], tables: FakeSwitch.Tables)>
    let buffer = NIOLockedValueBox(ByteBuffer())

    init(state: NIOLockedValueBox<(received: [FakeSwitch.Received], errors: [DecodingError], tables: FakeSwitch.Tables)>) {
        self.state = state
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context, OpenFlowMessage(xid: 0, .hello(.supporting([4]))))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        var replies: [OpenFlowMessage] = []
        buffer.withLockedValue { buf in
            buf.writeBuffer(&incoming)
            while true {
                // Keep the exact bytes of each message to compare with our re-encoding.
                let length = buf.getInteger(at: buf.readerIndex + 2, as: UInt16.self).map(Int.init) ?? 0
                let bytes = buf.getBytes(at: buf.readerIndex, length: Swift.min(length, buf.readableBytes)) ?? []
                do throws(DecodingError) {
                    guard let m = try buf.readOpenFlowMessage() else { break }
                    state.withLockedValue { $0.received.append(.init(message: m, bytes: bytes)) }
                    replies += answer(m)
                } catch {
                    state.withLockedValue { $0.errors.append(error) }
                    replies.append(error.errorReply)
                    if error.framingLost { buf.clear(); break }
                }
            }
            buf.discardReadBytes()
        }
        for r in replies { send(context, r) }
    }

    private func answer(_ m: OpenFlowMessage) -> [OpenFlowMessage] {
        let tables = state.withLockedValue { $0.tables }
        var responder = SwitchResponder(datapathID: 0xfa4e, description: SwitchDescription(manufacturer: "taas", hardware: "fake switch", software: "test"),
                                        ports: [])
        responder.flows = tables.flows
        responder.groups = tables.groups
        responder.meters = tables.meters
        return responder.answer(m)
    }

    private func send(_ context: ChannelHandlerContext, _ m: OpenFlowMessage) {
        context.writeAndFlush(wrapOutboundOut(m.encoded(allocator: context.channel.allocator)), promise: nil)
    }
}
