import NetworkTransport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import OVSDB

/// What the OVSDB sessions report, in order per session.
public enum OVSDBEvent: Hashable, Sendable {
    /// The node's database as of now (the first one after the monitor starts, then after every update).
    case view(session: String, NodeView)
    case disconnected(session: String, reason: String)
}

/// Connects to nodes' ovsdb-servers (active `tcp:`/`ssl:`/`unix:` targets, redialled with
/// backoff) and accepts nodes that dial in (`ptcp:`/`pssl:`/`punix:`, for `ovs-vsctl
/// set-manager`), monitors each node's Open_vSwitch database, and runs transactions on them.
public final class OVSDBManager: Sendable {
    public struct Configuration: Sendable {
        public var targets: [ConnectionTarget]
        /// Silence after which the peer is sent an echo; as long again without reply closes it.
        public var probeInterval: TimeAmount
        public var reconnectMin: TimeAmount
        public var reconnectMax: TimeAmount
        public var maxMessageSize: Int
        public var tls: TLSFiles?

        public init(targets: [ConnectionTarget], probeInterval: TimeAmount = .seconds(5), reconnectMin: TimeAmount = .milliseconds(100),
                    reconnectMax: TimeAmount = .seconds(8), maxMessageSize: Int = 64 << 20, tls: TLSFiles? = nil) {
            self.targets = targets; self.probeInterval = probeInterval; self.reconnectMin = reconnectMin
            self.reconnectMax = reconnectMax; self.maxMessageSize = maxMessageSize; self.tls = tls
        }
    }

    public static let defaultPort = 6640

    /// Parses a target in Open vSwitch's syntax with OVSDB's default port.
    public static func target(_ text: String) throws(ConnectionTarget.ParseError) -> ConnectionTarget {
        try ConnectionTarget(parsing: text, defaultPort: defaultPort, protocolName: "OVSDB")
    }

    let configuration: Configuration
    let group: EventLoopGroup
    let logger: Logger
    private let serverTLS: NIOSSLContext?
    private let clientTLS: NIOSSLContext?
    private let sessions = NIOLockedValueBox([String: (Channel, OVSDBHandler)]())
    private let listeners = NIOLockedValueBox([Channel]())
    /// Set by `listen()`; `run()` listens itself unless that was done already.
    private let listened = NIOLockedValueBox(false)
    private let continuation: AsyncStream<OVSDBEvent>.Continuation
    /// Every session's views and disconnects; one consumer.
    public let events: AsyncStream<OVSDBEvent>

    public init(configuration: Configuration, group: EventLoopGroup, logger: Logger) throws {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        (serverTLS, clientTLS) = try TLSFiles.contexts(for: configuration.targets, configuration.tls, what: "ssl OVSDB targets")
        (events, continuation) = AsyncStream<OVSDBEvent>.makeStream()
    }

    /// The sessions up right now.
    public var sessionNames: [String] { sessions.withLockedValue { Array($0.keys).sorted() } }

    /// Runs a transaction on a session's database; returns the per-operation results, or throws
    /// the first error the server reported.
    public func transact(session: String, _ operations: [JSONValue]) async throws -> [JSONValue] {
        guard let (channel, handler) = sessions.withLockedValue({ $0[session] }) else { throw OVSDBCallError.closed }
        let params: [JSONValue] = [.string(OpenVSwitchSchema.database)] + operations
        let result = try await channel.eventLoop.flatSubmit { handler.call("transact", params, on: channel.eventLoop) }.get()
        let results = result.array ?? []
        if let failed = results.first(where: { $0["error"] != nil }) { throw OVSDBCallError.server(failed) }
        if results.count > operations.count { throw OVSDBCallError.server(results[operations.count]) }
        return results
    }

    /// Binds every passive target; returns where each listens (ports resolved).
    @discardableResult
    public func listen() async throws -> [ConnectionTarget] {
        listened.withLockedValue { $0 = true }
        var bound: [ConnectionTarget] = []
        for target in configuration.targets where target.isPassive {
            let tls = target.usesTLS ? serverTLS : nil
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { [self] channel in
                    let name = "\(target.usesTLS ? "ssl" : channel.remoteAddress?.protocol == .unix ? "unix" : "tcp"):\(channel.remoteAddress.map(Self.address) ?? "?")"
                    return channel.eventLoop.makeCompletedFuture {
                        let stream = try self.configure(channel, tls: tls, server: true)
                        Task { await self.runSession(name: name, channel: channel, notifications: stream) }
                    }
                }
            guard let (channel, at) = try await Transport.bind(target, bootstrap) else { continue }
            bound.append(at)
            listeners.withLockedValue { $0.append(channel) }
            logger.info("listening for OVSDB managers", metadata: ["target": "\(bound.last.map { "\($0)" } ?? "")"])
        }
        return bound
    }

    static func address(_ a: SocketAddress) -> String {
        if let ip = a.ipAddress, let port = a.port { return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
        return a.pathname ?? "\(a)"
    }

    /// Listens, dials, and runs until cancelled; then closes everything.
    public func run() async throws {
        if !listened.withLockedValue({ $0 }) { try await listen() }
        await withTaskGroup(of: Void.self) { group in
            for target in configuration.targets where !target.isPassive {
                group.addTask { await self.dial(target) }
            }
            group.addTask { while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) } }
            await group.next()
            group.cancelAll()
        }
        for c in listeners.withLockedValue({ l in defer { l = [] }; return l }) { try? await c.close() }
        for (c, _) in sessions.withLockedValue({ Array($0.values) }) { try? await c.close() }
        continuation.finish()
    }

    private func dial(_ target: ConnectionTarget) async {
        let name = "\(target)"
        await Transport.redial(min: configuration.reconnectMin, max: configuration.reconnectMax) {
            let tls = target.usesTLS ? clientTLS : nil
            let streamBox = NIOLockedValueBox<AsyncStream<RPCMessage>?>(nil)
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture {
                        let stream = try self.configure(channel, tls: tls, server: false)
                        streamBox.withLockedValue { $0 = stream }
                    }
                }
            do {
                guard let channel = try await Transport.connect(target, bootstrap),
                      let stream = streamBox.withLockedValue({ $0 }) else { return false }
                await withTaskCancellationHandler {
                    await runSession(name: name, channel: channel, notifications: stream)
                } onCancel: {
                    channel.close(promise: nil)
                }
                return true
            } catch {
                logger.debug("cannot reach OVSDB", metadata: ["target": "\(target)", "error": "\(error)"])
                return false
            }
        }
    }

    /// Adds TLS and the JSON-RPC handler; returns the stream of the peer's notifications.
    private func configure(_ channel: Channel, tls: NIOSSLContext?, server: Bool) throws -> AsyncStream<RPCMessage> {
        let sync = channel.pipeline.syncOperations
        if let tls {
            try sync.addHandler(server ? NIOSSLServerHandler(context: tls) : try NIOSSLClientHandler(context: tls, serverHostname: nil))
        }
        let (stream, continuation) = AsyncStream<RPCMessage>.makeStream(bufferingPolicy: .unbounded)
        let handler = OVSDBHandler(maxMessageSize: configuration.maxMessageSize, probeInterval: configuration.probeInterval,
                                   notifications: continuation, logger: logger)
        try sync.addHandler(handler)
        return stream
    }

    /// One session: check the schema, start the monitor, keep the replica current and report it.
    func runSession(name: String, channel: Channel, notifications: AsyncStream<RPCMessage>) async {
        var logger = self.logger
        logger[metadataKey: "ovsdb"] = "\(name)"
        guard let handler = try? await channel.pipeline.handler(type: OVSDBHandler.self).get() else { return }
        let loop = channel.eventLoop
        func call(_ method: String, _ params: [JSONValue]) async throws -> JSONValue {
            try await loop.flatSubmit { handler.call(method, params, on: loop) }.get()
        }
        var reason = "closed"
        do {
            let schema = try await call("get_schema", [.string(OpenVSwitchSchema.database)])
            let requests = try OpenVSwitchSchema.monitorRequests(schema: schema).get()
            let initial = try await call("monitor", [.string(OpenVSwitchSchema.database), "taasd", requests])
            var replica = Replica()
            try replica.apply(initial)
            sessions.withLockedValue { $0[name] = (channel, handler) }
            logger.info("OVSDB session up")
            continuation.yield(.view(session: name, NodeView(replica)))
            for await message in notifications {
                guard case .notification("update", let params) = message, params.count == 2 else { continue }
                do {
                    try replica.apply(params[1])
                } catch {
                    // The copy can no longer be trusted: start again from a fresh monitor.
                    logger.error("OVSDB update cannot be applied; reconnecting", metadata: ["error": "\(error)"])
                    reason = "malformed update"
                    break
                }
                continuation.yield(.view(session: name, NodeView(replica)))
            }
        } catch {
            reason = "\(error)"
            logger.error("OVSDB session failed", metadata: ["error": "\(error)"])
        }
        try? await channel.close()
        let wasUp = sessions.withLockedValue { $0.removeValue(forKey: name) != nil }
        if wasUp {
            logger.info("OVSDB session down", metadata: ["reason": "\(reason)"])
            continuation.yield(.disconnected(session: name, reason: reason))
        }
    }
}
