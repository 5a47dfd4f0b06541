import Logging
import Metrics
import NIOConcurrencyHelpers
import SwitchSession

/// The switches connected right now, by datapath id, and the ordered stream of what happens
/// to them. A newer session for a datapath id replaces the older one.
public final class SwitchRegistry: Sendable {
    private struct State {
        var byDatapath: [UInt64: SwitchConnection] = [:]
        var subscribers: [UInt64: AsyncStream<SwitchEvent>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    private let logger: Logger
    private let connected = Gauge(label: "taas_openflow_sessions_ready")
    private let impostors = Counter(label: "taas_openflow_impostors_refused_total")
    /// Events a subscriber may fall behind by. One that falls further behind would miss events,
    /// so its stream is ended instead: it must subscribe again and resync from `connections`.
    public static let subscriberBuffer = 100_000

    public init(logger: Logger) {
        self.logger = logger
    }

    /// A new subscription to every event from now on.
    public func events() -> AsyncStream<SwitchEvent> {
        let (stream, continuation) = AsyncStream<SwitchEvent>.makeStream(bufferingPolicy: .bufferingOldest(Self.subscriberBuffer))
        let id = state.withLockedValue { s in
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = continuation
            return s.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLockedValue { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func connection(datapathID: UInt64) -> SwitchConnection? {
        state.withLockedValue { $0.byDatapath[datapathID] }
    }

    public var connections: [SwitchConnection] {
        state.withLockedValue { Array($0.byDatapath.values) }
    }

    public var count: Int { state.withLockedValue { $0.byDatapath.count } }

    private func emit(_ event: SwitchEvent, _ s: inout State) {
        var tooSlow: [UInt64] = []
        for (id, c) in s.subscribers {
            if case .dropped = c.yield(event) { tooSlow.append(id) }
        }
        for id in tooSlow {
            logger.error("event subscriber fell \(Self.subscriberBuffer) events behind: ending its stream")
            // Without its onTermination (which takes this lock), finishing here is safe.
            if let c = s.subscribers.removeValue(forKey: id) {
                c.onTermination = nil
                c.finish()
            }
        }
    }

    func sessionReady(_ connection: SwitchConnection, info: SwitchInfo) {
        // Over TLS, a datapath id is taken over only by the same certificate: another node's
        // (or a client's) certificate signed by the same CA must not steal a bridge's session.
        let holder = state.withLockedValue { $0.byDatapath[info.datapathID] }
        if let holder, holder != connection, let held = holder.certificate, held != connection.certificate {
            impostors.increment()
            logger.warning("refused a connection claiming a connected datapath id with another certificate",
                           metadata: ["datapath_id": "\(info.datapathIDString)", "peer": "\(connection.peer)", "connected_peer": "\(holder.peer)"])
            connection.close(reason: "datapath id \(info.datapathIDString) is connected with another certificate")
            return
        }
        let replaced: SwitchConnection? = state.withLockedValue { s in
            let old = s.byDatapath.updateValue(connection, forKey: info.datapathID)
            if let old, old != connection {
                emit(.disconnected(datapathID: info.datapathID, reason: "replaced by a new connection from \(connection.peer)"), &s)
            }
            emit(.connected(info), &s)
            return old == connection ? nil : old
        }
        connected.record(count)
        if let replaced {
            logger.info("switch reconnected: closing the older session",
                        metadata: ["datapath_id": "\(info.datapathIDString)", "old_peer": "\(replaced.peer)", "peer": "\(connection.peer)"])
            replaced.close(reason: "replaced by a new connection with the same datapath id")
        }
    }

    func portChanged(_ connection: SwitchConnection, _ change: PortChange) {
        state.withLockedValue { s in
            guard let dpid = connection.datapathID, s.byDatapath[dpid] == connection else { return }
            emit(.portChanged(datapathID: dpid, change), &s)
        }
    }

    func sessionClosed(_ connection: SwitchConnection, reason: String) {
        state.withLockedValue { s in
            // A replaced session already reported its end; only the current one is removed.
            guard let dpid = connection.datapathID, s.byDatapath[dpid] == connection else { return }
            s.byDatapath[dpid] = nil
            emit(.disconnected(datapathID: dpid, reason: reason), &s)
        }
        connected.record(count)
    }

    /// Ends every subscription (at shutdown).
    func finish() {
        // Outside the lock: finishing runs each stream's onTermination, which takes it.
        let subscribers = state.withLockedValue { s in defer { s.subscribers = [:] }; return Array(s.subscribers.values) }
        for c in subscribers { c.finish() }
    }
}
