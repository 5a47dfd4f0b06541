import NIOCore
import NIOPosix

/// Binding passive targets, connecting active ones and redialling them: shared by the OpenFlow
/// server and the OVSDB client, which differ only in what runs on a connection.
public enum Transport {
    /// Binds a passive target (nil for an active one); returns the channel and the target as
    /// bound, its port resolved for `ptcp:0`.
    public static func bind(_ target: ConnectionTarget, _ bootstrap: ServerBootstrap) async throws -> (Channel, ConnectionTarget)? {
        switch target {
        case .passiveTCP(let port, let host), .passiveSSL(let port, let host):
            let channel = try await bootstrap.bind(host: host, port: port).get()
            let actual = channel.localAddress?.port ?? port
            return (channel, target.usesTLS ? .passiveSSL(port: actual, host: host) : .passiveTCP(port: actual, host: host))
        case .passiveUnix(let path):
            return (try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get(), target)
        default:
            return nil
        }
    }

    /// Connects an active target (nil for a passive one).
    public static func connect(_ target: ConnectionTarget, _ bootstrap: ClientBootstrap) async throws -> Channel? {
        switch target {
        case .activeTCP(let host, let port), .activeSSL(let host, let port): try await bootstrap.connect(host: host, port: port).get()
        case .activeUnix(let path): try await bootstrap.connect(unixDomainSocketPath: path).get()
        default: nil
        }
    }

    /// Runs `attempt` (connect, then serve the connection to its end; true if it connected) until
    /// cancelled, waiting between attempts from `min` doubling to `max`. Only a session that
    /// lasted `max` resets the wait: a peer that refuses us right after connecting (TLS, HELLO,
    /// schema) must not be redialled at full speed.
    public static func redial(min: TimeAmount, max: TimeAmount, _ attempt: () async -> Bool) async {
        var delay = min
        while !Task.isCancelled {
            let started = ContinuousClock.now
            if await attempt(), ContinuousClock.now - started >= .nanoseconds(max.nanoseconds) { delay = min }
            try? await Task.sleep(for: .nanoseconds(delay.nanoseconds))
            delay = .nanoseconds(Swift.min(delay.nanoseconds * 2, max.nanoseconds))
        }
    }
}
