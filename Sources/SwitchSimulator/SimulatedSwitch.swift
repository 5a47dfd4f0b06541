import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import OpenFlow
#if canImport(Glibc)
import Glibc
#endif

/// A small simulated OpenFlow 1.3 switch for scale and robustness tests: it speaks the
/// handshake, answers echoes, barriers and dumps, keeps the flows and groups it is sent (bundles
/// included, see `SimulatedTables`), counts what it is sent, and can time echo round trips to the
/// controller. Not a switch: it forwards nothing.
public final class SimulatedSwitch: Sendable {
    public let datapathID: UInt64
    let channel: Channel
    let handler: NIOLoopBound<SimulatedSwitchHandler>
    let stats: NIOLockedValueBox<Stats>

    public struct Stats: Sendable {
        public var received = 0
        /// Bytes of bundle traffic: the bundle messages and barriers received, and their replies
        /// (what a push to the switch costs on the wire; statistics and echoes not counted).
        public var bundleBytesIn = 0
        public var bundleBytesOut = 0
        public var flowMods = 0
        public var handshakeDone = false
        /// Flows and groups now in the tables.
        public var flows = 0
        public var groups = 0
        /// Changes to the tables (a committed bundle counts once), and the wall-clock time of the
        /// last one in seconds since 1970, so that another process can compare it with its own.
        public var tableChanges = 0
        public var lastChange = 0.0
    }

    /// Connects to a controller listening at `host:port`.
    /// `ports` are what PORT_DESC reports (default: only the local port); `tables` what the
    /// switch holds when it connects.
    /// `tls`: a client context (the switch's certificate and the controller's CA) for `ssl:` controllers.
    public static func connect(host: String, port: Int, datapathID: UInt64, ports: [PortDescription]? = nil,
                               tables: SimulatedTables = SimulatedTables(), tls: NIOSSLContext? = nil,
                               group: EventLoopGroup) async throws -> SimulatedSwitch {
        var initial = Stats()
        initial.flows = tables.flowCount
        initial.groups = tables.groups.count
        let stats = NIOLockedValueBox(initial)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    try channel.pipeline.syncOperations.addHandler(SimulatedSwitchHandler(datapathID: datapathID, ports: ports, tables: tables, stats: stats))
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

    /// The table counters alone, without copying the tables: cheap enough to poll 10,000
    /// switches many times a second while they are being programmed.
    public var tableSummary: (flows: Int, groups: Int, changes: Int, lastChange: Double, bundleBytesIn: Int, bundleBytesOut: Int) {
        stats.withLockedValue { ($0.flows, $0.groups, $0.tableChanges, $0.lastChange, $0.bundleBytesIn, $0.bundleBytesOut) }
    }

    /// The tables as they stand (to reconnect a switch that kept them, as a real one does), read
    /// on the switch's event loop. Stats do not keep a copy: a copy held there would make the
    /// handler's next change copy the whole flow table (copy on write), which was most of the
    /// simulator's CPU in a bulk load.
    public func tables() async throws -> SimulatedTables {
        let handler = handler
        return try await channel.eventLoop.submit { handler.value.tables }.get()
    }

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

    var responder: SwitchResponder
    var tables = SimulatedTables()
    let stats: NIOLockedValueBox<SimulatedSwitch.Stats>
    private var buffer = ByteBuffer()
    private var context: ChannelHandlerContext?
    private var echoes: [UInt32: (ContinuousClock.Instant, EventLoopPromise<Duration>)] = [:]
    private var nextXID: UInt32 = 0x8000_0000

    init(datapathID: UInt64, ports: [PortDescription]?, tables: SimulatedTables, stats: NIOLockedValueBox<SimulatedSwitch.Stats>) {
        responder = SwitchResponder(datapathID: datapathID, ports: ports)
        self.tables = tables
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
        var count = 0, flowMods = 0, handshake = false, changes = 0, bundleIn = 0, bundleOut = 0
        while true {
            let m: OpenFlowMessage
            let unread = buffer.readableBytes
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
            case .flowMod, .groupMod, .meterMod:
                if case .flowMod = m.payload { flowMods += 1 }
                do throws(SimulatedTables.Failure) {
                    if try tables.apply(m.payload, xid: m.xid) { changes += 1 }
                } catch {
                    send(context, OpenFlowMessage(xid: error.xid, .error(ErrorMessage(code: error.code))))
                }
                continue
            case .bundleAdd, .bundleControl:
                bundleIn += unread - buffer.readableBytes
                let (reply, errors, changed) = tables.bundle(m.payload, xid: m.xid)
                for (xid, code) in errors {
                    bundleOut += send(context, OpenFlowMessage(xid: xid, .error(ErrorMessage(code: code, experimenter: code.type == .experimenter ? ExperimenterID.onf : nil))))
                }
                if let reply { bundleOut += send(context, OpenFlowMessage(xid: m.xid, .bundleControl(reply))) }
                if changed { changes += 1 }
                continue
            case .multipartRequest(let r):
                switch r.body {
                case .portDesc: handshake = true
                case .flow: responder.flows = tables.allFlows
                case .groupDesc: responder.groups = Array(tables.groups.values)
                case .meterConfig: responder.meters = tables.meters.keys.sorted().compactMap { tables.meters[$0] }
                default: break
                }
            default:
                break
            }
            let barrier = if case .barrierRequest = m.payload { true } else { false }
            if barrier { bundleIn += unread - buffer.readableBytes }
            for reply in responder.answer(m) {
                let n = send(context, reply)
                if barrier { bundleOut += n }
            }
            responder.flows = []
            responder.groups = []
            responder.meters = []
        }
        buffer.discardReadBytes()
        context.flush()
        let flows = tables.flowCount, groups = tables.groups.count
        let now = changes > 0 ? Self.wallClock() : 0
        stats.withLockedValue {
            $0.received += count
            $0.bundleBytesIn += bundleIn
            $0.bundleBytesOut += bundleOut
            $0.flowMods += flowMods
            if handshake { $0.handshakeDone = true }
            $0.flows = flows
            $0.groups = groups
            if changes > 0 {
                $0.tableChanges += changes
                $0.lastChange = now
            }
        }
    }

    static func wallClock() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Sends a message; returns its size.
    @discardableResult
    private func send(_ context: ChannelHandlerContext, _ m: OpenFlowMessage) -> Int {
        let bytes = m.encoded(allocator: context.channel.allocator)
        context.write(wrapOutboundOut(bytes), promise: nil)
        return bytes.readableBytes
    }
}
