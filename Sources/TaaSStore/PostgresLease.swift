import Dispatch
import Foundation
import Logging
import NIOCore
import PostgresNIO
import TaaSState

/// The leader's lease, in PostgreSQL: one row naming the holder, the epoch (one more at every
/// takeover) and when the lease runs out, by the database's clock only (the replicas' clocks
/// may disagree; each measures its own term on its monotonic clock). Every replica also
/// announces itself, for `/v2.0/taas/status`.
public final class PostgresLease: Sendable {
    /// This replica: its id is new at every start (a restarted process is a new replica, which
    /// knows nothing its predecessor sent, so taking over again is a new epoch).
    public let replicaID: String
    public let name: String
    public let api: String
    public let duration: Duration
    let link: PostgresLink

    public init(url: String, name: String, api: String, duration: Duration, logger: Logger) throws {
        let (configuration, location) = try PostgresLink.parse(url)
        replicaID = UUID().uuidString.lowercased()
        self.name = name
        self.api = api
        self.duration = duration
        // A renewal that takes a third of the lease is as good as lost.
        link = PostgresLink(configuration: configuration, location: location, timeout: .milliseconds(duration.milliseconds / 3),
                            logger: logger)
        // The lease's table may be new (the store opened first in taasd, not in every caller).
        let migrating = PostgresLink(configuration: configuration, location: location, timeout: PostgresPolicyStore.timeout, logger: logger)
        try migrating.with { c in try PostgresPolicyStore.migrate(c, migrating) }
    }

    /// What one round found.
    public struct Round: Sendable {
        public var leading: Bool
        public var holder: String?
        public var epoch: UInt64
        public var replicas: [ReplicaInfo]
    }

    /// Takes the lease when it is free or ours (keeping it), announces this replica, and
    /// reads who is who.
    public func round() throws -> Round {
        try link.with { c in
            // A new epoch is at least the database's clock in milliseconds: the switches keep the
            // highest generation_id they saw for as long as they run, so an epoch must grow even
            // when the lease's row starts again (a database recreated or restored from a backup).
            _ = try link.run(c, """
                INSERT INTO taas_leader (id, holder, epoch, expires)
                VALUES (1, ?, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, now() + ? * interval '1 millisecond')
                ON CONFLICT (id) DO UPDATE SET
                    epoch = CASE WHEN taas_leader.holder = excluded.holder THEN taas_leader.epoch
                                 ELSE greatest(taas_leader.epoch + 1, excluded.epoch) END,
                    holder = excluded.holder, expires = excluded.expires
                WHERE taas_leader.holder = excluded.holder OR taas_leader.expires < now()
                """, [.text(replicaID), .integer(duration.milliseconds)])
            // Replicas that died without a word are forgotten after a day.
            _ = try link.run(c, "DELETE FROM taas_replica WHERE seen < now() - interval '1 day'", [])
            _ = try link.run(c, """
                INSERT INTO taas_replica (id, name, api, started, seen) VALUES (?, ?, ?, now(), now())
                ON CONFLICT (id) DO UPDATE SET seen = now()
                """, [.text(replicaID), .text(name), .text(api)])
            let lease = try link.run(c, "SELECT holder, epoch, expires > now() AS live FROM taas_leader", []).first.map(PostgresRandomAccessRow.init)
            let holder = try lease?.text("holder")
            let live = try lease.map { try $0.cell(bool: "live") } ?? false
            let epoch = UInt64(clamping: try lease?.integer("epoch") ?? 0)
            let replicas = try link.run(c, """
                SELECT id, name, api, (extract(epoch FROM now() - seen) * 1000)::bigint AS age FROM taas_replica
                WHERE seen > now() - ? * interval '1 millisecond' ORDER BY name, id
                """, [.integer(3 * duration.milliseconds)]).map(PostgresRandomAccessRow.init).map { r in
                    let id = try r.text("id") ?? ""
                    return ReplicaInfo(id: id, name: try r.text("name") ?? "", api: try r.text("api") ?? "", leader: live && id == holder,
                                       lastSeenMilliseconds: try r.integer("age") ?? 0)
                }
            return Round(leading: live && holder == replicaID, holder: live ? holder : nil, epoch: epoch, replicas: replicas)
        }
    }

    /// Gives the lease up at once (a graceful stop), so another replica need not wait it out;
    /// forgets this replica.
    public func release() throws {
        try link.with { c in
            _ = try link.run(c, "UPDATE taas_leader SET expires = now() - interval '1 millisecond' WHERE holder = ?", [.text(replicaID)])
            _ = try link.run(c, "DELETE FROM taas_replica WHERE id = ?", [.text(replicaID)])
        }
    }
}

extension PostgresRandomAccessRow {
    func cell(bool column: String) throws -> Bool { contains(column) ? (try self[column].decode(Bool?.self) ?? false) : false }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
