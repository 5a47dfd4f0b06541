import NIOConcurrencyHelpers
import NIOCore

/// The controller's end of one connection: writes each step's bytes, waits for the reply's, and
/// reports when the last reply is in. Nothing is parsed: this is the transport alone.
final class PushingEnd: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let payloads: [ByteBuffer]
    let back: [Int]
    let done: @Sendable () -> Void
    let lost: @Sendable () -> Void
    private var context: ChannelHandlerContext?
    private var step = 0, pending = 0

    init(payloads: [ByteBuffer], back: [Int], done: @escaping @Sendable () -> Void, lost: @escaping @Sendable () -> Void) {
        self.payloads = payloads
        self.back = back
        self.done = done
        self.lost = lost
    }

    /// A connection closed before its push was through: the run cannot finish.
    func channelInactive(context: ChannelHandlerContext) {
        if step < payloads.count { lost() }
        context.fireChannelInactive()
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Starts the push; on the channel's event loop.
    func start() {
        step = 0
        send()
    }

    private func send() {
        guard let context else { return }
        pending = back[step]
        context.writeAndFlush(wrapOutboundOut(payloads[step]), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending -= unwrapInboundIn(data).readableBytes
        guard pending <= 0, step < payloads.count else { return }
        step += 1
        if step < payloads.count { send() } else { done() }
    }
}

/// The switch's end: once a step's bytes have all arrived, writes that step's reply.
final class AnsweringEnd: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let out: [Int]
    let replies: [ByteBuffer]
    private var step = 0, received = 0

    init(out: [Int], replies: [ByteBuffer]) {
        self.out = out
        self.replies = replies
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += unwrapInboundIn(data).readableBytes
        while step < out.count, received >= out[step] {
            received -= out[step]
            context.write(wrapOutboundOut(replies[step]), promise: nil)
            step = (step + 1) % out.count
        }
        context.flush()
    }
}

/// Buffers of `count` bytes each; shared by every connection (NIO writes a buffer without copying it).
func buffers(_ sizes: [Int]) -> [ByteBuffer] {
    sizes.map { ByteBuffer(repeating: 0x5a, count: $0) }
}
