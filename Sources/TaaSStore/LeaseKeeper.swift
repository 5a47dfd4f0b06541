import Dispatch
import Logging
import Metrics
import ServiceLifecycle
import TaaSState

/// Keeps this replica's standing: a round of the lease (`PostgresLease`) every fifth of its
/// duration, the result in `leadership` and each change of role on `roles`. A leader's term
/// ends, on its own clock, a round's length before the lease does by the database's, counted
/// from before the renewal was sent; a renewal that fails or comes late shortens nothing
/// else, so the replica steps down when its term is over, not later.
public struct LeaseKeeper: Service {
    let lease: PostgresLease
    let leadership: Leadership
    let roles: AsyncStream<Role>.Continuation
    let logger: Logger

    public init(lease: PostgresLease, leadership: Leadership, roles: AsyncStream<Role>.Continuation, logger: Logger) {
        self.lease = lease
        self.leadership = leadership
        self.roles = roles
        self.logger = logger
    }

    public var interval: Duration { lease.duration / 5 }

    /// Hands a changed role to the controller, and says so.
    private func announce(_ role: Role, _ published: inout Role?) {
        guard role != published else { return }
        if case .leader = published, !role.programs {
            logger.warning("lease lost or not renewed in time: stepped down", metadata: ["epoch": "\(role.epoch ?? 0)"])
        } else if case .leader(let e) = role {
            logger.notice("took the lease: leading", metadata: ["epoch": "\(e)"])
        }
        published = role
        roles.yield(role)
        LeaseMetrics.shared.record(role)
    }

    public func run() async throws {
        var published: Role?
        var takeovers = 0
        var standing = Leadership.Standing(role: .follower(epoch: 0), replica: lease.replicaID)
        leadership.update(standing, validUntil: nil)
        let lease = lease
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let sent = ContinuousClock.now
            // The store's calls block: off the cooperative pool.
            let result: Result<PostgresLease.Round, any Error> = await withCheckedContinuation { done in
                DispatchQueue.global().async { done.resume(returning: Result { try lease.round() }) }
            }
            switch result {
            case .success(let r):
                if r.leading, !(standing.role.programs && standing.role.epoch == r.epoch) { takeovers += 1 }
                standing = .init(role: r.leading ? .leader(epoch: r.epoch) : .follower(epoch: r.epoch), replica: lease.replicaID,
                                 leaderID: r.holder, replicas: r.replicas, takeovers: takeovers)
                leadership.update(standing, validUntil: r.leading ? sent + lease.duration - interval : nil)
            case .failure(let e):
                // The term already granted runs on; `leadership.role` ends it on time.
                logger.warning("cannot renew the lease", metadata: ["error": "\(e)"])
            }
            let role = leadership.role
            announce(role, &published)
            // Wake at the next round, or when the term ends if that comes first.
            var wait = interval
            if case .leader = role, let left = leadership.termLeft, left < wait { wait = max(left, .milliseconds(1)) }
            try? await Task.sleep(for: wait)
            // A term that ended while waiting (or while the process was stopped) ends now.
            announce(leadership.role, &published)
        }
        roles.finish()
        // Not announced: the controller is stopping too.
        if leadership.role.programs {
            // Nothing more goes to a switch from here, then the next leader need not wait.
            standing.role = .follower(epoch: standing.role.epoch ?? 0)
            leadership.update(standing, validUntil: nil)
            do {
                try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                    DispatchQueue.global().async { done.resume(with: Result { try lease.release() }) }
                }
                logger.info("lease released")
            } catch {
                logger.warning("cannot release the lease; it runs out by itself", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// The lease as `/metrics` shows it.
final class LeaseMetrics: Sendable {
    static let shared = LeaseMetrics()
    let leader = Gauge(label: "taas_replica_leader")
    let epoch = Gauge(label: "taas_lease_epoch")
    let changes = Counter(label: "taas_replica_role_changes_total")
    let takeovers = Counter(label: "taas_replica_takeovers_total")

    func record(_ role: Role) {
        changes.increment()
        leader.record(role.programs ? 1 : 0)
        if let e = role.epoch { epoch.record(Int64(clamping: e)) }
        if case .leader = role { takeovers.increment() }
    }
}
