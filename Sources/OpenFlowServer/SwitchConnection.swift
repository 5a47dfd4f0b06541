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

    init(id: UInt64, channel: Channel, peer: String, handler: SessionHandler) {
        self.id = id
        self.channel = channel
        self.peer = peer
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    /// Datapath id, description and current ports, once the handshake is done.
    public var info: SwitchInfo? { state.withLockedValue { $0 } }
    public var datapathID: UInt64? { info?.datapathID }

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
    /// answer throws `SessionStateMachine.RequestError.switchError`.
    public func request(_ payload: OpenFlowMessage.Payload) async throws -> [OpenFlowMessage] {
        let promise = channel.eventLoop.makePromise(of: [OpenFlowMessage].self)
        let handler = handler
        channel.eventLoop.execute { handler.value.request(payload, promise: promise) }
        return try await promise.futureResult.get()
    }

    /// Sends messages without replies of their own followed by a barrier; returns the errors
    /// the switch sent for them, keyed by index in `payloads`.
    public func transaction(_ payloads: [OpenFlowMessage.Payload]) async throws -> [Int: ErrorMessage] {
        let promise = channel.eventLoop.makePromise(of: [Int: ErrorMessage].self)
        let handler = handler
        channel.eventLoop.execute { handler.value.transaction(payloads, promise: promise) }
        return try await promise.futureResult.get()
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
