import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OpenFlow

/// A small simulated OpenFlow 1.3 switch for scale and robustness tests: it speaks the
/// handshake, answers echoes, barriers and stats, counts what it is sent, and can time
/// echo round trips to the controller. Not a switch: it forwards nothing.
public final class SimulatedSwitch: Sendable {
    public let datapathID: UInt64
    let channel: Channel
    let handler: NIOLoopBound<SimulatedSwitchHandler>
    let stats: NIOLockedValueBox<Stats>

    public struct Stats: Sendable {
        public var received = 0
        public var flowMods = 0
        public var handshakeDone = false
    }

    /// Connects to a controller listening at `host:port`.
    public static func connect(host: String, port: Int, datapathID: UInt64, group: EventLoopGroup) async throws -> SimulatedSwitch {
        let stats = NIOLockedValueBox(Stats())
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SimulatedSwitchHandler(datapathID: datapathID, stats: stats))
                }
            }
            .connect(host: host, port: port).get()
        let handler = try await channel.pipeline.handler(type: SimulatedSwitchHandler.self).map { NIOLoopBound($0, eventLoop: channel.eventLoop) }.get()
        return SimulatedSwitch(datapathID: datapathID, channel: channel, handler: handler, stats: stats)
    }

    init(datapathID: UInt64, channel: Channel, handler: NIOLoopBound<SimulatedSwitchHandler>, stats: NIOLockedValueBox<Stats>) {
        self.datapathID = datapathID
        self.channel = channel
        self.handler = handler
        self.stats = stats
    }

    public var currentStats: Stats { stats.withLockedValue { $0 } }

    /// Sends ECHO_REQUEST to the controller and returns the round-trip time.
    public func echo() async throws -> Duration {
        let promise = channel.eventLoop.makePromise(of: Duration.self)
        let handler = handler
        channel.eventLoop.execute { handler.value.echo(promise: promise) }
        return try await promise.futureResult.get()
    }

    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }
    public var isActive: Bool { channel.isActive }
    /// The underlying channel, for tests that watch it close.
    public var channelForTests: Channel { channel }

    public func close() async {
        try? await channel.close()
    }
}

final class SimulatedSwitchHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let responder: SwitchResponder
    let stats: NIOLockedValueBox<SimulatedSwitch.Stats>
    private var buffer = ByteBuffer()
    private var context: ChannelHandlerContext?
    private var echoes: [UInt32: (ContinuousClock.Instant, EventLoopPromise<Duration>)] = [:]
    private var nextXID: UInt32 = 0x8000_0000

    init(datapathID: UInt64, stats: NIOLockedValueBox<SimulatedSwitch.Stats>) {
        responder = SwitchResponder(datapathID: datapathID)
        self.stats = stats
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) {
        send(context, OpenFlowMessage(xid: 1, .hello(.supporting([4]))))
        context.flush()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        for (_, (_, p)) in echoes { p.fail(ChannelError.ioOnClosedChannel) }
        echoes = [:]
        context.fireChannelInactive()
    }

    func echo(promise: EventLoopPromise<Duration>) {
        guard let context, context.channel.isActive else { return promise.fail(ChannelError.ioOnClosedChannel) }
        nextXID &+= 1
        echoes[nextXID] = (.now, promise)
        send(context, OpenFlowMessage(xid: nextXID, .echoRequest([])))
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        var count = 0, flowMods = 0, handshake = false
        while true {
            let m: OpenFlowMessage
            do {
                guard let next = try buffer.readOpenFlowMessage() else { break }
                m = next
            } catch {
                // A controller that sends what we cannot frame is not worth talking to.
                if error.framingLost {
                    context.close(promise: nil)
                    return
                }
                continue
            }
            count += 1
            switch m.payload {
            case .echoReply:
                if let (start, promise) = echoes.removeValue(forKey: m.xid) { promise.succeed(.now - start) }
            case .flowMod:
                flowMods += 1
            case .multipartRequest(let r):
                if case .portDesc = r.body { handshake = true }
            default:
                break
            }
            for reply in responder.answer(m) { send(context, reply) }
        }
        buffer.discardReadBytes()
        context.flush()
        stats.withLockedValue {
            $0.received += count
            $0.flowMods += flowMods
            if handshake { $0.handshakeDone = true }
        }
    }

    private func send(_ context: ChannelHandlerContext, _ m: OpenFlowMessage) {
        context.write(wrapOutboundOut(m.encoded(allocator: context.channel.allocator)), promise: nil)
    }
}
