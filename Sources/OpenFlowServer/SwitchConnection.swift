import NIOConcurrencyHelpers
import NIOCore
import OpenFlow
import SwitchSession

/// The controller's handle on one connected switch, usable from any task.
public final class SwitchConnection: Sendable, Hashable, CustomStringConvertible {
    /// Unique for the life of the process, to tell a replaced connection from its successor.
    public let id: UInt64
    public let peer: String
    let channel: Channel
    let handler: NIOLoopBound<SessionHandler>
    private let state = NIOLockedValueBox<SwitchInfo?>(nil)
    private let lastToken = NIOLockedValueBox<UInt64>(0)
    private let roleBox = NIOLockedValueBox<RoleMessage.Role>(.equal)
    /// The peer's TLS certificate (DER), once its TLS handshake is done; nil without TLS.
    private let certificateBox = NIOLockedValueBox<[UInt8]?>(nil)
    /// Called once, when the OpenFlow handshake is done or the connection ends before it.
    private let handshakeEnded: NIOLockedValueBox<(@Sendable () -> Void)?>

    init(id: UInt64, channel: Channel, peer: String, handler: SessionHandler, handshakeEnded: (@Sendable () -> Void)? = nil) {
        self.id = id
        self.channel = channel
        self.peer = peer
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.handshakeEnded = NIOLockedValueBox(handshakeEnded)
    }

    /// Who the peer proved to be with its TLS certificate (its DER bytes); nil without TLS.
    public var certificate: [UInt8]? { certificateBox.withLockedValue { $0 } }
    func setCertificate(_ der: [UInt8]?) { certificateBox.withLockedValue { $0 = der } }

    func endHandshake() {
        let done = handshakeEnded.withLockedValue { f in defer { f = nil }; return f }
        done?()
    }

    /// Datapath id, description and current ports, once the handshake is done.
    public var info: SwitchInfo? { state.withLockedValue { $0 } }
    public var datapathID: UInt64? { info?.datapathID }

    /// The role this controller last obtained on this connection: EQUAL until it asks
    /// (OpenFlow 1.3 does not tell a master that another controller's claim made it a slave).
    public var role: RoleMessage.Role { roleBox.withLockedValue { $0 } }
    public func noteRole(_ role: RoleMessage.Role) { roleBox.withLockedValue { $0 = role } }

    func setInfo(_ info: SwitchInfo) { state.withLockedValue { $0 = info } }

    func updatePort(_ change: PortChange) {
        state.withLockedValue { info in
            switch change {
            case .added(let p), .modified(_, let p): info?.ports[p.portNumber] = p
            case .deleted(let p): info?.ports[p.portNumber] = nil
            }
        }
    }

    /// Sends a request and returns its reply (every part of a multipart reply). An OFPT_ERROR
    /// answer throws `SessionStateMachine.RequestError.switchError`. `flowStats`: how much of
    /// a flow statistics reply to decode.
    public func request(_ payload: OpenFlowMessage.Payload, flowStats: FlowStatsDetail = .full) async throws -> [OpenFlowMessage] {
        try await requestFuture(payload, flowStats: flowStats).get()
    }

    /// `request` as a future, completed on the connection's event loop.
    public func requestFuture(_ payload: OpenFlowMessage.Payload, flowStats: FlowStatsDetail = .full) -> EventLoopFuture<[OpenFlowMessage]> {
        let promise = channel.eventLoop.makePromise(of: [OpenFlowMessage].self)
        let handler = handler
        onLoop { handler.value.request(payload, flowStats: flowStats, promise: promise) }
        return promise.futureResult
    }

    /// Sends messages without replies of their own followed by a barrier; returns the errors
    /// the switch sent for them, keyed by index in `payloads`.
    public func transaction(_ payloads: [OpenFlowMessage.Payload]) async throws -> [Int: ErrorMessage] {
        try await transactionFuture(count: payloads.count) { send in send(payloads) }.get()
    }

    /// `transactionFuture`, awaited.
    public func transaction(count: Int, then: OpenFlowMessage.Payload? = nil,
                            _ produce: (_ send: ([OpenFlowMessage.Payload]) -> Void) throws -> Void) async throws -> [Int: ErrorMessage] {
        try await transactionFuture(count: count, then: then, produce).get()
    }

    /// Runs `work` on the connection's event loop, in order with the session's own work.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        channel.eventLoop.execute(work)
    }

    /// Runs `work` on the event loop: at once when already there.
    private func onLoop(_ work: @escaping @Sendable () -> Void) {
        if channel.eventLoop.inEventLoop { work() } else { channel.eventLoop.execute(work) }
    }

    /// A transaction whose members are made while the first are already on their way:
    /// `produce` hands them to `send` in order, in pieces, `count` in all, and the barrier
    /// follows the last. The future (completed on the connection's event loop) gives the errors
    /// the switch sent for them, keyed by index. Called on that loop (`execute`), it is made and
    /// sent there, crossing no thread: a change to every bridge costs no task per bridge.
    ///
    /// `then` (a bundle's commit) is sent only once the barrier shows every member went through
    /// without error; its own error is keyed by `count`. A switch may refuse a bundle's message
    /// when it is added and still commit the rest, so a commit must wait for that answer. Given
    /// more or fewer members than `count`, the transaction sends no `then` and fails (`Miscount`).
    public func transactionFuture(count: Int, then: OpenFlowMessage.Payload? = nil,
                                  _ produce: (_ send: ([OpenFlowMessage.Payload]) -> Void) throws -> Void) -> EventLoopFuture<[Int: ErrorMessage]> {
        let promise = channel.eventLoop.makePromise(of: [Int: ErrorMessage].self)
        let handler = handler
        let token = lastToken.withLockedValue { $0 += 1; return $0 }
        onLoop { handler.value.openTransaction(token: token, count: count, then: then, promise: promise) }
        // Small pieces are held and handed over together, the last ones with the barrier: a
        // small transaction (one bridge's delta) is one write to the switch, not one per piece.
        var given = 0
        var held: [OpenFlowMessage.Payload] = []
        func hand(close: Bool) {
            let piece = held
            held = []
            onLoop { handler.value.transactionStep(token: token, members: piece, close: close) }
        }
        do {
            try produce { piece in
                given += piece.count
                if held.isEmpty { held = piece } else { held += piece }
                if held.count >= Self.heldMessages { hand(close: false) }
            }
        } catch {
            // What was made is sent and closed by its barrier all the same.
            hand(close: true)
            return channel.eventLoop.makeFailedFuture(error)
        }
        hand(close: true)
        return promise.futureResult.flatMapThrowing { [given] errors in
            guard given == count else { throw Miscount(description: "a transaction opened for \(count) messages was given \(given)") }
            return errors
        }
    }

    /// How many members are held before they go to the event loop.
    static let heldMessages = 256

    /// A streamed transaction given more or fewer messages than it was opened for (those
    /// beyond the count are not sent).
    public struct Miscount: Error, CustomStringConvertible {
        public var description: String
    }

    public func close(reason: String = "closed by controller") {
        let handler = handler
        channel.eventLoop.execute { handler.value.close(reason: reason) }
    }

    /// Completes when the connection is closed.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    public var description: String {
        "switch \(info.map { $0.datapathIDString } ?? "?") at \(peer)"
    }

    public static func == (a: SwitchConnection, b: SwitchConnection) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }
}
