import Logging
import Synchronization
import NIOCore
import PostgresNIO
import TaaSPolicy
import TaaSState

/// Statuses as the leader works them out, in PostgreSQL, for every replica's API: the leader
/// writes what changed (only while it holds the lease: a stale leader's write changes nothing),
/// the others read what changed since they last looked. Status writes take a lock of their
/// own, so their version numbers become visible in order.
public final class PostgresStatusShare: @unchecked Sendable {
    let link: PostgresLink
    let replicaID: String
    /// The newest version read.
    private let seen = Mutex<Int64>(0)

    public init(url: String, replicaID: String, logger: Logger) throws {
        let (configuration, location) = try PostgresLink.parse(url)
        self.replicaID = replicaID
        link = PostgresLink(configuration: configuration, location: location, timeout: PostgresPolicyStore.timeout, logger: logger)
        try link.with { c in try PostgresPolicyStore.migrate(c, link) }
    }

    /// Writes statuses, at most `chunk` rows a statement; false when this replica does not hold
    /// the lease (nothing written).
    @discardableResult
    public func publish(_ changes: [(ResourceKind, ResourceID, ResourceState)]) throws -> Bool {
        guard !changes.isEmpty else { return true }
        return try link.with { c in
            try link.transaction(c) {
                _ = try link.run(c, "SELECT pg_advisory_xact_lock(?)", [.integer(PostgresPolicyStore.statusLock)])
                let holds = try link.run(c, "SELECT 1 AS one FROM taas_leader WHERE holder = ? AND expires > now()", [.text(replicaID)])
                guard !holds.isEmpty else { return false }
                var start = 0
                while start < changes.count {
                    let part = changes[start..<min(start + Self.chunk, changes.count)]
                    start += Self.chunk
                    var b = PostgresBindings(capacity: 4)
                    b.append(part.map(\.0.rawValue))
                    b.append(part.map(\.1.rawValue))
                    b.append(part.map(\.2.status.rawValue))
                    b.append(part.map { $0.2.reason ?? "" })
                    _ = try link.run(c, """
                        INSERT INTO taas_status (kind, id, status, reason, version)
                        SELECT k, i, s, nullif(r, ''), nextval('taas_status_version') FROM unnest(?::text[], ?::text[], ?::text[], ?::text[]) AS u(k, i, s, r)
                        ON CONFLICT (kind, id) DO UPDATE SET status = excluded.status, reason = excluded.reason, version = excluded.version,
                            at = now()
                        """, b)
                }
                return true
            }
        }
    }

    static let chunk = 5000

    /// Reads everything again at the next `changes` (a replica that stops leading: its board
    /// holds its own view, which the store may have refused).
    public func readAllAgain() { seen.withLock { $0 = 0 } }

    /// Forgets DOWN statuses (deleted resources among them) older than `age`.
    public func prune(olderThan age: Duration) throws {
        try link.with { c in
            _ = try link.run(c, "DELETE FROM taas_status WHERE status = 'DOWN' AND at < now() - make_interval(secs => ?)",
                             [.integer(age.components.seconds)])
        }
    }

    /// What the leader stated since the last call.
    public func changes() throws -> [(ResourceKind, ResourceID, ResourceState)] {
        try link.with { c in
            var out: [(ResourceKind, ResourceID, ResourceState)] = []
            let from = seen.withLock { $0 }
            var top = from
            for row in try link.run(c, "SELECT kind, id, status, reason, version FROM taas_status WHERE version > ? ORDER BY version",
                                    [.integer(from)]) {
                let r = PostgresRandomAccessRow(row)
                top = max(top, try r.integer("version") ?? top)
                guard let kind = try r.text("kind").flatMap(ResourceKind.init), let id = try r.text("id").flatMap(ResourceID.init),
                      let status = try r.text("status").flatMap(ResourceStatus.init) else { continue }
                out.append((kind, id, ResourceState(status, reason: try r.text("reason"))))
            }
            // Unless `readAllAgain` came meanwhile.
            seen.withLock { if $0 == from { $0 = top } }
            return out
        }
    }
}
