import Logging
import Metrics
import NIOCore
import OVSDB

/// Why an OVSDB call did not return a result.
public enum OVSDBCallError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The server answered with an error object.
    case server(JSONValue)
    case closed

    public var description: String {
        switch self {
        case .server(let e): "OVSDB error: \(e.serialized.prefix(300))"
        case .closed: "the OVSDB connection closed"
        }
    }
}

/// JSON-RPC over one OVSDB connection: frames and parses what arrives (bounded), answers echo,
/// matches responses to calls, passes notifications on, and probes a silent peer with echo,
/// closing the connection when the probe goes unanswered. Malformed input is logged; a message
/// that parses but makes no sense is skipped, a stream that cannot be framed is closed.
final class OVSDBHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var cumulation: ByteBuffer?
    private var framer: JSONFramer
    private var pending: [Int64: EventLoopPromise<JSONValue>] = [:]
    private var nextID: Int64 = 0
    private var context: ChannelHandlerContext?
    private let notifications: AsyncStream<RPCMessage>.Continuation
    private let probeInterval: TimeAmount
    private var lastRead = NIODeadline.now()
    private var probeOutstanding = false
    private var probeTask: RepeatedTask?
    let logger: Logger

    init(maxMessageSize: Int, probeInterval: TimeAmount, notifications: AsyncStream<RPCMessage>.Continuation, logger: Logger) {
        framer = JSONFramer(maxMessageSize: maxMessageSize)
        self.probeInterval = probeInterval
        self.notifications = notifications
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { startProbing(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startProbing(context)
        context.fireChannelActive()
    }

    private func startProbing(_ context: ChannelHandlerContext) {
        guard probeTask == nil else { return }
        lastRead = .now()
        let interval = probeInterval
        probeTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            guard let context = self.context, NIODeadline.now() - lastRead >= interval else { return }
            if probeOutstanding {
                logger.warning("OVSDB peer did not answer echo; closing")
                context.close(promise: nil)
            } else {
                probeOutstanding = true
                write(.request(method: "echo", params: [], id: "echo"), context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        probeTask?.cancel()
        probeTask = nil
        let waiting = pending
        pending = [:]
        for p in waiting.values { p.fail(OVSDBCallError.closed) }
        notifications.finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        probeTask?.cancel()
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.warning("OVSDB connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        lastRead = .now()
        probeOutstanding = false
        if cumulation == nil {
            cumulation = bytes
        } else {
            cumulation?.writeBuffer(&bytes)
        }
        while var buffer = cumulation, buffer.readableBytes > 0 {
            let length: Int?
            do {
                length = try framer.nextMessageLength(buffer.readableBytesView)
            } catch {
                logger.error("OVSDB stream cannot be framed; closing", metadata: ["error": "\(error)"])
                cumulation = nil
                context.close(promise: nil)
                return
            }
            guard let length, let message = buffer.readSlice(length: length) else { break }
            framer.reset()
            cumulation = buffer.readableBytes > 0 ? buffer : nil
            handle(message, context)
            guard self.context != nil else { return }
        }
        // Keep a partial message compact.
        if let c = cumulation, c.readerIndex > 65536 {
            var copy = context.channel.allocator.buffer(capacity: c.readableBytes)
            copy.writeImmutableBuffer(c)
            cumulation = copy
        }
    }

    private func handle(_ bytes: ByteBuffer, _ context: ChannelHandlerContext) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes.readableBytesView)
        } catch {
            logger.warning("malformed JSON from the OVSDB peer; skipped", metadata: ["error": "\(error)"])
            OVSDBMetrics.malformed.increment()
            return
        }
        let message: RPCMessage
        do {
            message = try RPCMessage(json)
        } catch {
            logger.warning("malformed JSON-RPC from the OVSDB peer; skipped", metadata: ["error": "\(error)"])
            OVSDBMetrics.malformed.increment()
            return
        }
        OVSDBMetrics.received(message)
        switch message {
        case .request("echo", let params, let id):
            write(.response(result: .array(params), error: .null, id: id), context)
        case .request(let method, _, let id):
            write(.response(result: .null, error: ["error": "unknown method", "details": .string(method)], id: id), context)
        case .notification:
            notifications.yield(message)
        case .response(let result, let error, let id):
            if id == "echo" { return }
            guard let n = id.int, let promise = pending.removeValue(forKey: n) else {
                logger.debug("OVSDB response to no call; ignored", metadata: ["id": "\(id.serialized)"])
                return
            }
            if error.isNull { promise.succeed(result) } else { promise.fail(OVSDBCallError.server(error)) }
        }
    }

    private func write(_ message: RPCMessage, _ context: ChannelHandlerContext) {
        let text = message.json.serialized
        var out = context.channel.allocator.buffer(capacity: text.utf8.count)
        out.writeString(text)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    /// Sends a request; the future completes with its result. Call on the channel's event loop.
    func call(_ method: String, _ params: [JSONValue], on loop: EventLoop) -> EventLoopFuture<JSONValue> {
        loop.preconditionInEventLoop()
        guard let context else { return loop.makeFailedFuture(OVSDBCallError.closed) }
        nextID += 1
        let promise = loop.makePromise(of: JSONValue.self)
        pending[nextID] = promise
        write(.request(method: method, params: params, id: .int(nextID)), context)
        return promise.futureResult
    }
}

/// OVSDB traffic for swift-metrics (a no-op until a backend is bootstrapped).
enum OVSDBMetrics {
    static let malformed = Counter(label: "taas_ovsdb_malformed_messages_total")
    static let requests = Counter(label: "taas_ovsdb_messages_received_total", dimensions: [("type", "request")])
    static let notifications = Counter(label: "taas_ovsdb_messages_received_total", dimensions: [("type", "notification")])
    static let responses = Counter(label: "taas_ovsdb_messages_received_total", dimensions: [("type", "response")])
    static let errors = Counter(label: "taas_ovsdb_errors_received_total")

    static func received(_ m: RPCMessage) {
        switch m {
        case .request: requests.increment()
        case .notification: notifications.increment()
        case .response(_, let error, _):
            responses.increment()
            if !error.isNull { errors.increment() }
        }
    }
}
