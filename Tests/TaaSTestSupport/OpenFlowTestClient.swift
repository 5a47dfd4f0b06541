import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OpenFlow

/// A minimal OpenFlow 1.3 client for tests: connects to a switch's socket, says HELLO, and
/// awaits replies by xid. (The controller's real session layer is a later issue; this exists
/// so the codec can be checked against a running ovs-vswitchd.)
public final class OpenFlowTestClient: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let inbox: NIOLockedValueBox<Inbox>
    private let nextXID = NIOLockedValueBox<UInt32>(100)

    struct Inbox {
        var messages: [OpenFlowMessage] = []
        /// Each received message's exact bytes, in the same order.
        var raw: [[UInt8]] = []
        var decodingErrors: [DecodingError] = []
        var waiters: [(UInt32, EventLoopPromise<Void>)] = []
    }

    public init(unixPath: String) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox = NIOLockedValueBox(Inbox())
        self.inbox = inbox
        channel = try ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ClientHandler(inbox: inbox))
                }
            }
            .connect(unixDomainSocketPath: unixPath).wait()
        send(OpenFlowMessage(xid: 1, .hello(.supporting([4]))))
    }

    public func makeXID() -> UInt32 { nextXID.withLockedValue { $0 += 1; return $0 } }

    public func send(_ message: OpenFlowMessage) {
        channel.writeAndFlush(message.encoded(allocator: channel.allocator), promise: nil)
    }

    /// Sends raw bytes (for malformed-input tests).
    public func send(bytes: [UInt8]) {
        channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
    }

    /// Every message received so far.
    public var received: [OpenFlowMessage] { inbox.withLockedValue { $0.messages } }
    /// Every message received so far with the bytes it arrived as.
    public var receivedWithBytes: [(OpenFlowMessage, [UInt8])] { inbox.withLockedValue { Array(zip($0.messages, $0.raw)) } }
    public var decodingErrors: [DecodingError] { inbox.withLockedValue { $0.decodingErrors } }

    /// Waits (up to `seconds`) for a message with this xid that `done` accepts; returns all with that xid.
    public func waitFor(xid: UInt32, seconds: Int64 = 10, until done: @escaping @Sendable ([OpenFlowMessage]) -> Bool) throws -> [OpenFlowMessage] {
        let deadline = NIODeadline.now() + .seconds(seconds)
        while NIODeadline.now() < deadline {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            let matching: [OpenFlowMessage] = inbox.withLockedValue { box in
                let m = box.messages.filter { $0.xid == xid }
                if !done(m) { box.waiters.append((xid, promise)) }
                return m
            }
            if done(matching) { promise.succeed(()); return matching }
            let timeout = channel.eventLoop.scheduleTask(deadline: deadline) { promise.succeed(()) }
            try promise.futureResult.wait()
            timeout.cancel()
        }
        throw Command.Failure(description: "no reply with xid \(xid) within \(seconds)s; received \(received)")
    }

    /// Sends a request and returns its reply: the first message with its xid, or every
    /// part of a multipart reply.
    public func request(_ payload: OpenFlowMessage.Payload) throws -> [OpenFlowMessage] {
        let xid = makeXID()
        send(OpenFlowMessage(xid: xid, payload))
        return try waitFor(xid: xid) { msgs in
            guard let last = msgs.last else { return false }
            if case .multipartReply(let r) = last.payload { return !r.hasMore }
            return true
        }
    }

    /// Sends messages followed by a barrier; returns whatever came back with their xids (errors).
    public func sendWithBarrier(_ payloads: [OpenFlowMessage.Payload]) throws -> [OpenFlowMessage] {
        var xids: [UInt32] = []
        for p in payloads {
            let xid = makeXID()
            xids.append(xid)
            send(OpenFlowMessage(xid: xid, p))
        }
        _ = try request(.barrierRequest)
        return received.filter { xids.contains($0.xid) }
    }

    public func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

private final class ClientHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let inbox: NIOLockedValueBox<OpenFlowTestClient.Inbox>
    let buffer = NIOLockedValueBox(ByteBuffer())

    init(inbox: NIOLockedValueBox<OpenFlowTestClient.Inbox>) { self.inbox = inbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        var decoded: [OpenFlowMessage] = []
        var raw: [[UInt8]] = []
        var errors: [DecodingError] = []
        buffer.withLockedValue { buf in
            buf.writeBuffer(&incoming)
            while buf.readableBytes >= 8 {
                let length = buf.getInteger(at: buf.readerIndex + 2, as: UInt16.self).map(Int.init) ?? 0
                let bytes = buf.getBytes(at: buf.readerIndex, length: Swift.min(length, buf.readableBytes)) ?? []
                do throws(DecodingError) {
                    guard let m = try buf.readOpenFlowMessage() else { break }
                    decoded.append(m)
                    raw.append(bytes)
                } catch {
                    errors.append(error)
                    if error.framingLost { buf.clear() }
                }
            }
            buf.discardReadBytes()
        }
        var echo: [OpenFlowMessage] = []
        let wake: [EventLoopPromise<Void>] = inbox.withLockedValue { box in
            box.messages += decoded
            box.raw += raw
            box.decodingErrors += errors
            for m in decoded { if case .echoRequest(let d) = m.payload { echo.append(OpenFlowMessage(xid: m.xid, .echoReply(d))) } }
            let w = box.waiters.map(\.1)
            box.waiters = []
            return w
        }
        for m in echo { context.writeAndFlush(NIOAny(m.encoded(allocator: context.channel.allocator)), promise: nil) }
        for p in wake { p.succeed(()) }
    }
}
