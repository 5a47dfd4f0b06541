import Logging
import Metrics
import NIOCore
import NIOSSL
import OpenFlow
import SwitchSession

/// The channel handler of one switch session: a thin shell that feeds bytes and timer ticks
/// to `SessionStateMachine` and carries out its actions (writes, closes, completing the
/// promises of requests, telling the registry).
final class SessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: SessionStateMachine
    private var buffer = ByteBuffer()
    private var requests: [UInt32: EventLoopPromise<[OpenFlowMessage]>] = [:]
    /// Requests whose flow statistics replies are read counters-only.
    private var countersOnly: Set<UInt32> = []
    /// Barrier xid → the promise, and the xid of the transaction's first message and how many.
    private var transactions: [UInt32: (promise: EventLoopPromise<[Int: ErrorMessage]>, first: UInt32, count: Int)] = [:]
    /// Transactions whose members are still being handed over: the connection's token → the
    /// barrier's xid and how many members were given so far.
    private var streams: [UInt64: (barrier: UInt32, given: Int)] = [:]
    private let tickers: SessionTickers
    private var started = false
    /// Where `LoopTicker` keeps this session (-1: not ticking).
    var tickPhase = -1, tickIndex = -1
    private var context: ChannelHandlerContext?
    private var readPending = false
    /// Messages held back while the peer is not reading what we already wrote; bounded by the
    /// state machine's limit on pending requests.
    private var outbox: [OpenFlowMessage] = []
    private var outboxStart = 0
    private var closeReason: String?
    private var logger: Logger
    private let registry: SwitchRegistry
    private let metrics: SessionMetrics
    weak var connection: SwitchConnection?

    /// `tickers`: the clock shared by a server's sessions (default: one of its own).
    init(configuration: SessionStateMachine.Configuration, registry: SwitchRegistry, metrics: SessionMetrics, logger: Logger,
         tickers: SessionTickers? = nil) {
        machine = SessionStateMachine(configuration: configuration, now: .now())
        self.tickers = tickers ?? SessionTickers(configuration)
        self.registry = registry
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: Inbound

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        metrics.sessionsOpened.increment()
        tickers.add(self, on: context.eventLoop)
        run(machine.channelActive(now: context.eventLoop.now), context)
    }

    /// The session's clock (`SessionTickers`): keepalive and deadlines.
    func tick(now: NIODeadline) {
        guard let context else { return }
        run(machine.tick(now: now), context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // The context holds this handler: let go of it so the session's state is freed.
        tickers.remove(self, on: context.eventLoop)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !machine.isClosed else { return }  // closing: input is dropped, not buffered
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        var actions: [SessionStateMachine.Action] = []
        while !machine.isClosed {
            do throws(DecodingError) {
                guard let m = try buffer.readOpenFlowMessage(flowStats: detail(of: buffer)) else { break }
                metrics.received(m.type)
                if case .error(let e) = m.payload { metrics.switchError(e.code) }
                actions += machine.received(m, now: context.eventLoop.now)
            } catch {
                metrics.decodingErrors.increment()
                logger.warning("malformed message", metadata: ["xid": "\(error.xid)", "error": "\(error.code)", "reason": "\(error.reason)"])
                actions += machine.decodingFailed(error)
                if error.framingLost { buffer.clear() }
            }
            // Run as we go so replies keep their order and a flood cannot pile up actions.
            if actions.count > 64 {
                run(actions, context)
                actions.removeAll(keepingCapacity: true)
            }
        }
        // A buffer holds at most one partial message (< 64 KiB); give back what was consumed,
        // and the room a burst (a large statistics reply) made, so that a hundred idle sessions
        // do not each keep a large buffer.
        if buffer.readableBytes == 0 && buffer.capacity > 16384 {
            buffer = context.channel.allocator.buffer(capacity: 0)
        } else if buffer.readerIndex > 4096 || buffer.readableBytes == 0 {
            buffer.discardReadBytes()
        }
        run(actions, context)
    }

    /// How to read the next message: counters-only when it answers a request that asked so.
    private func detail(of buffer: ByteBuffer) -> FlowStatsDetail {
        guard !countersOnly.isEmpty, let xid = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self) else { return .full }
        return countersOnly.contains(xid) ? .countersOnly : .full
    }

    func channelInactive(context: ChannelHandlerContext) {
        tickers.remove(self, on: context.eventLoop)
        let reason = closeReason ?? "connection closed by peer"
        run(machine.channelInactive(reason: reason), context)
        metrics.sessionsClosed.increment()
        connection?.endHandshake()
        if let connection { registry.sessionClosed(connection, reason: reason) }
        logger.info("switch session ended", metadata: ["reason": "\(reason)"])
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.warning("connection error", metadata: ["error": "\(error)"])
        closeReason = closeReason ?? "connection error: \(error)"
        context.close(promise: nil)
    }

    // MARK: Backpressure: stop reading while the peer does not read what we write.

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            machine.writeProgress(now: context.eventLoop.now)
        }
        if context.channel.isWritable {
            drainOutbox(context)
        }
        if context.channel.isWritable, readPending {
            readPending = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Requests from the connection's API (on the event loop)

    func request(_ payload: OpenFlowMessage.Payload, flowStats: FlowStatsDetail, promise: EventLoopPromise<[OpenFlowMessage]>) {
        guard let context else { return promise.fail(SessionStateMachine.RequestError.sessionClosed("not connected")) }
        let (xid, actions) = machine.request(payload)
        requests[xid] = promise
        if flowStats == .countersOnly { countersOnly.insert(xid) }
        run(actions, context)
    }

    /// A transaction whose members come in pieces (`transactionStep`), the last with its barrier.
    func openTransaction(token: UInt64, count: Int, then: OpenFlowMessage.Payload?, promise: EventLoopPromise<[Int: ErrorMessage]>) {
        guard let context else { return promise.fail(SessionStateMachine.RequestError.sessionClosed("not connected")) }
        let (barrier, actions) = machine.openTransaction(count: count, then: then)
        // The last message (if any) is at position `count`, just after the members.
        let positions = count + (then == nil ? 0 : 1)
        transactions[barrier] = (promise, barrier &- UInt32(clamping: positions), positions)
        if actions.isEmpty { streams[token] = (barrier, 0) }
        run(actions, context)
    }

    /// Members of a streamed transaction, and with `close` its barrier after them, written together.
    func transactionStep(token: UInt64, members payloads: [OpenFlowMessage.Payload], close: Bool) {
        guard let s = streams[token], let context else { return }
        var actions: [SessionStateMachine.Action] = []
        if !payloads.isEmpty {
            streams[token]?.given += payloads.count
            actions = machine.members(of: s.barrier, from: s.given, payloads)
        }
        if close {
            streams[token] = nil
            actions += machine.closeTransaction(s.barrier, given: s.given + payloads.count)
        }
        run(actions, context)
    }

    func close(reason: String) {
        guard let context else { return }
        run([.close(reason: reason)], context)
    }

    // MARK: Actions

    private func run(_ actions: [SessionStateMachine.Action], _ context: ChannelHandlerContext) {
        var wrote = false
        for action in actions {
            switch action {
            case .send(let m):
                wrote = send(m, context) || wrote
                continue
            case .sendAll(let first, let payloads):
                var xid = first
                for p in payloads {
                    wrote = send(OpenFlowMessage(xid: xid, p), context) || wrote
                    xid &+= 1
                }
                continue
            default:
                break
            }
            writeBatch(context)
            switch action {
            case .send, .sendAll:
                break
            case .close(let reason):
                closeReason = closeReason ?? reason
                logger.info("closing switch session", metadata: ["reason": "\(reason)"])
                // Flush first so a final OFPT_ERROR reaches the peer, but never wait long: a peer
                // that reads nothing (or never finishes a TLS handshake) must still be closed.
                let done = context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
                wrote = false
                done.whenComplete { _ in context.close(promise: nil) }
                context.eventLoop.scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
            case .ready(let info):
                logger[metadataKey: "datapath_id"] = "\(info.datapathIDString)"
                logger.info("switch ready", metadata: ["ports": "\(info.ports.count)",
                                                       "hardware": "\(info.description.hardware)",
                                                       "software": "\(info.description.software)"])
                if let connection {
                    connection.setInfo(info)
                    // The TLS handshake is long done: the switch has spoken OpenFlow through it.
                    let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self)
                    connection.setCertificate(try? tls?.peerCertificate?.toDERBytes())
                    connection.endHandshake()
                    registry.sessionReady(connection, info: info)
                }
            case .portChanged(let change):
                if let connection {
                    connection.updatePort(change)
                    registry.portChanged(connection, change)
                }
            case .requestCompleted(let xid, let result):
                guard let promise = requests.removeValue(forKey: xid) else { continue }
                countersOnly.remove(xid)
                switch result {
                case .success(let messages): promise.succeed(messages)
                case .failure(let e): promise.fail(e)
                }
            case .transactionCompleted(let xid, let result):
                guard let t = transactions.removeValue(forKey: xid) else { continue }
                switch result {
                case .success(let errors):
                    var byIndex: [Int: ErrorMessage] = [:]
                    for (x, e) in errors {
                        let i = Int(x &- t.first)
                        if i < t.count { byIndex[i] = e }
                    }
                    t.promise.succeed(byIndex)
                case .failure(let e):
                    t.promise.fail(e)
                }
            case .unsolicited(let m):
                if case .error(let e) = m.payload {
                    logger.warning("unsolicited error from switch", metadata: ["xid": "\(m.xid)", "error": "\(e.code)"])
                } else {
                    logger.trace("unsolicited message", metadata: ["xid": "\(m.xid)", "type": "\(m.type.rawValue)"])
                }
            }
        }
        writeBatch(context)
        if wrote { context.flush() }
    }

    /// Messages are encoded back to back into one buffer of up to `batchBytes`, written as one:
    /// a hundred thousand FLOW_MODs cost a few thousand channel writes, not a hundred thousand.
    private var batch: ByteBuffer?
    private var batchCounts: (type: MessageType, count: Int)?
    private static let batchBytes = 32 * 1024

    /// Writes respect writability: once the peer falls behind, messages wait here (in order)
    /// instead of piling up as bytes in the channel. Whether it was written.
    private func send(_ m: OpenFlowMessage, _ context: ChannelHandlerContext) -> Bool {
        guard outboxStart == outbox.count, context.channel.isWritable else {
            outbox.append(m)
            return false
        }
        write(m, context)
        return true
    }

    private func write(_ m: OpenFlowMessage, _ context: ChannelHandlerContext) {
        if let (type, n) = batchCounts, type != m.type {
            metrics.sent(type, count: n)
            batchCounts = nil
        }
        batchCounts = (m.type, (batchCounts?.count ?? 0) + 1)
        if batch == nil { batch = context.channel.allocator.buffer(capacity: Self.batchBytes + 1024) }
        batch?.writeOpenFlowMessage(m)
        // Written once full, so that writability (and thus the outbox) sees it.
        if let b = batch, b.readableBytes >= Self.batchBytes { writeBatch(context) }
    }

    /// Writes what is batched (without flushing).
    private func writeBatch(_ context: ChannelHandlerContext) {
        if let (type, n) = batchCounts {
            metrics.sent(type, count: n)
            batchCounts = nil
        }
        guard let b = batch else { return }
        batch = nil
        context.write(wrapOutboundOut(b), promise: nil)
    }

    private func drainOutbox(_ context: ChannelHandlerContext) {
        var wrote = false
        var sinceFlush = 0
        while outboxStart < outbox.count, context.channel.isWritable {
            write(outbox[outboxStart], context)
            outboxStart += 1
            wrote = true
            // Flush as we go so writability reflects what is really queued.
            sinceFlush += 1
            if sinceFlush == 256 {
                writeBatch(context)
                context.flush()
                sinceFlush = 0
            }
        }
        if outboxStart == outbox.count {
            outbox.removeAll(keepingCapacity: outbox.count < 4096)
            outboxStart = 0
        }
        writeBatch(context)
        if wrote { context.flush() }
    }
}

/// Counters every session updates (swift-metrics; a no-op until a backend is bootstrapped).
/// One set per server, made once: a counter is looked up in the backend when it is made.
struct SessionMetrics: Sendable {
    let sessionsOpened = Counter(label: "taas_openflow_sessions_opened_total")
    let sessionsClosed = Counter(label: "taas_openflow_sessions_closed_total")
    /// By message type, indexed by `ofp_type`.
    let received: [Counter]
    let sent: [Counter]
    let decodingErrors = Counter(label: "taas_openflow_malformed_messages_total")
    let refusedHandshaking = Counter(label: "taas_openflow_connections_refused_total", dimensions: [("reason", "handshake_limit")])

    init() {
        received = (0...MessageType.meterMod.rawValue).map {
            Counter(label: "taas_openflow_messages_received_total", dimensions: [("type", MessageType(rawValue: $0).name)])
        }
        sent = (0...MessageType.meterMod.rawValue).map {
            Counter(label: "taas_openflow_messages_sent_total", dimensions: [("type", MessageType(rawValue: $0).name)])
        }
    }

    func received(_ t: MessageType) { if Int(t.rawValue) < received.count { received[Int(t.rawValue)].increment() } }
    func sent(_ t: MessageType, count: Int = 1) { if Int(t.rawValue) < sent.count { sent[Int(t.rawValue)].increment(by: Int64(count)) } }

    /// Errors switches sent, by their error type (`OFPET_…`).
    func switchError(_ code: ErrorCode) {
        let type = "\(code)".split(separator: "/").first.map(String.init) ?? "unknown"
        Counter(label: "taas_openflow_switch_errors_total", dimensions: [("type", type)]).increment()
    }
}
