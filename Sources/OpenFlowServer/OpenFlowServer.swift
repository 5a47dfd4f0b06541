import NetworkTransport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SwitchSession

/// Accepts and dials OpenFlow connections for every configured target and keeps one typed
/// session per switch in `registry`.
public final class OpenFlowServer: Sendable {
    /// Up to 1 MB may wait in a session's channel before its writes stop (NIO's default is
    /// 64 KB): programming a bridge streams megabytes, and a deeper queue keeps the switch's
    /// socket from running dry between event-loop turns. Past it, messages wait in the outbox.
    static let writeWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 256 * 1024, high: 1024 * 1024)
    public struct Configuration: Sendable {
        public var targets: [ConnectionTarget]
        public var session: SessionStateMachine.Configuration
        public var tls: TLSFiles?
        /// Backoff between attempts to dial an active target: doubles from `min` up to `max`.
        public var reconnectMin: TimeAmount
        public var reconnectMax: TimeAmount
        /// Most accepted connections still in their handshake (TLS, HELLO, FEATURES); more are
        /// refused at once, so a flood of idle connections cannot take every descriptor.
        public var maxHandshaking: Int

        public init(targets: [ConnectionTarget] = [.passiveTCP(port: ConnectionTarget.defaultPort, host: "0.0.0.0")],
                    session: SessionStateMachine.Configuration = .init(), tls: TLSFiles? = nil,
                    reconnectMin: TimeAmount = .milliseconds(250), reconnectMax: TimeAmount = .seconds(8), maxHandshaking: Int = 1024) {
            self.targets = targets
            self.session = session
            self.tls = tls
            self.reconnectMin = reconnectMin
            self.reconnectMax = reconnectMax
            self.maxHandshaking = maxHandshaking
        }
    }

    public let configuration: Configuration
    public let registry: SwitchRegistry
    private let group: EventLoopGroup
    private let logger: Logger
    private let metrics = SessionMetrics()
    private let tickers: SessionTickers
    private let serverTLS: NIOSSLContext?
    private let clientTLS: NIOSSLContext?
    private let listeners = NIOLockedValueBox<[Channel]>([])
    /// Set by `listen()`; `run()` listens itself unless that was done already.
    private let listened = NIOLockedValueBox(false)
    private let nextID = NIOLockedValueBox<UInt64>(0)
    private let live = NIOLockedValueBox<[UInt64: SwitchConnection]>([:])
    /// Accepted connections whose handshake is not done, and when a refusal was last logged.
    private let handshaking = NIOLockedValueBox<(count: Int, lastLogged: NIODeadline)>((0, .distantPast))

    public init(configuration: Configuration, group: EventLoopGroup, logger: Logger) throws {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        registry = SwitchRegistry(logger: logger)
        tickers = SessionTickers(configuration.session)
        (serverTLS, clientTLS) = try TLSFiles.contexts(for: configuration.targets, configuration.tls, what: "ssl targets")
    }

    /// Binds every passive target; returns where each listens (ports resolved, for `ptcp:0`).
    @discardableResult
    public func listen() async throws -> [ConnectionTarget] {
        listened.withLockedValue { $0 = true }
        var bound: [ConnectionTarget] = []
        for target in configuration.targets where target.isPassive {
            let tls = target.usesTLS ? serverTLS : nil
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.writeBufferWaterMark, value: Self.writeWaterMark)
                .childChannelOption(.autoRead, value: true)
                .childChannelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture { try self.configure(channel, tls: tls, server: true) }
                }
            guard let (channel, at) = try await Transport.bind(target, bootstrap) else { continue }
            bound.append(at)
            listeners.withLockedValue { $0.append(channel) }
            logger.info("listening for switches", metadata: ["target": "\(bound.last.map { "\($0)" } ?? "")"])
        }
        return bound
    }

    /// Listens, dials active targets (reconnecting with backoff) and runs until cancelled.
    public func run() async throws {
        if !listened.withLockedValue({ $0 }) { try await listen() }
        await withTaskGroup(of: Void.self) { group in
            for target in configuration.targets where !target.isPassive {
                group.addTask { await self.dial(target) }
            }
            group.addTask {
                // Park until cancelled.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            }
            await group.next()
            group.cancelAll()
        }
        await shutdown()
    }

    /// Closes the listeners and every session (handshaking ones too), waits for them to end so
    /// subscribers see each disconnect, then ends the event streams.
    public func shutdown() async {
        let channels = listeners.withLockedValue { l in defer { l = [] }; return l }
        for c in channels { try? await c.close() }
        let sessions = live.withLockedValue { Array($0.values) }
        for c in sessions { c.close(reason: "controller shutting down") }
        for c in sessions { try? await c.closeFuture.get() }
        registry.finish()
    }

    private func dial(_ target: ConnectionTarget) async {
        await Transport.redial(min: configuration.reconnectMin, max: configuration.reconnectMax) {
            let tls = target.usesTLS ? clientTLS : nil
            let bootstrap = ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.writeBufferWaterMark, value: Self.writeWaterMark)
                .connectTimeout(.seconds(5))
                .channelInitializer { [self] channel in
                    // Not connected yet, so the peer is named by the target.
                    channel.eventLoop.makeCompletedFuture { try self.configure(channel, tls: tls, server: false, peer: "\(target)") }
                }
            do {
                guard let channel = try await Transport.connect(target, bootstrap) else { return false }
                logger.info("connected to switch", metadata: ["target": "\(target)"])
                await withTaskCancellationHandler {
                    try? await channel.closeFuture.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
                return true
            } catch {
                logger.debug("cannot reach switch", metadata: ["target": "\(target)", "error": "\(error)"])
                return false
            }
        }
    }

    /// The whole pipeline of a switch connection, assembled in one place.
    func configure(_ channel: Channel, tls: NIOSSLContext?, server: Bool, peer: String? = nil) throws {
        let id = nextID.withLockedValue { $0 += 1; return $0 }
        let peer = peer ?? channel.remoteAddress.map { "\($0)" } ?? "unix socket"
        var handshakeEnded: (@Sendable () -> Void)?
        if server {
            let limit = configuration.maxHandshaking
            let (admitted, log) = handshaking.withLockedValue { h -> (Bool, Bool) in
                guard h.count >= limit else { h.count += 1; return (true, false) }
                let now = NIODeadline.now(), log = now - h.lastLogged > .seconds(10)
                if log { h.lastLogged = now }
                return (false, log)
            }
            guard admitted else {
                metrics.refusedHandshaking.increment()
                if log { logger.warning("refusing connections: too many still in their handshake", metadata: ["limit": "\(limit)", "peer": "\(peer)"]) }
                throw HandshakeLimitReached()
            }
            handshakeEnded = { [handshaking] in handshaking.withLockedValue { $0.count -= 1 } }
        }
        do {
            try assemble(channel, tls: tls, server: server, id: id, peer: peer, handshakeEnded: handshakeEnded)
        } catch {
            // Counted, but no connection will ever end that handshake.
            handshakeEnded?()
            throw error
        }
    }

    private func assemble(_ channel: Channel, tls: NIOSSLContext?, server: Bool, id: UInt64, peer: String,
                          handshakeEnded: (@Sendable () -> Void)?) throws {
        var logger = self.logger
        logger[metadataKey: "peer"] = "\(peer)"
        logger[metadataKey: "session"] = "\(id)"
        let sync = channel.pipeline.syncOperations
        if let tls {
            if server {
                try sync.addHandler(NIOSSLServerHandler(context: tls))
            } else {
                try sync.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil))
            }
        }
        let handler = SessionHandler(configuration: configuration.session, registry: registry, metrics: metrics, logger: logger,
                                     tickers: tickers)
        let connection = SwitchConnection(id: id, channel: channel, peer: peer, handler: handler, handshakeEnded: handshakeEnded)
        handler.connection = connection
        try sync.addHandler(handler)
        // Every live connection, ready or not, so shutdown can close them all.
        live.withLockedValue { $0[id] = connection }
        channel.closeFuture.whenComplete { [live] _ in
            _ = live.withLockedValue { $0.removeValue(forKey: id) }
            connection.endHandshake()
        }
    }
}

/// A connection refused because too many others are still in their handshake.
struct HandshakeLimitReached: Error {}
