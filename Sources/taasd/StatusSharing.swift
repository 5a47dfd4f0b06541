import Dispatch
import Logging
import ServiceLifecycle
import Synchronization
import TaaSPolicy
import TaaSState
import TaaSStore

/// Statuses among replicas: while this replica leads, what its controller states goes to the
/// store (`share`, in order, batches taken together); while it follows, what the leader
/// stated comes from the store to this replica's board, every `interval`.
struct StatusSharing: Service {
    typealias Change = (ResourceKind, ResourceID, ResourceState)
    let share: PostgresStatusShare
    let leadership: Leadership
    let board: StatusBoard
    let outgoing: AsyncStream<[Change]>
    let logger: Logger
    static let interval = Duration.milliseconds(500)

    /// The controller's side: hand statuses over without waiting.
    static func makeStream() -> (AsyncStream<[Change]>, @Sendable ([Change]) -> Void) {
        let (stream, continuation) = AsyncStream<[Change]>.makeStream()
        return (stream, { continuation.yield($0) })
    }

    func run() async throws {
        let share = share, leadership = leadership, board = board, logger = logger, outgoing = outgoing
        // What is not written yet, the last of each resource: a batch that failed is tried
        // again with the next, and a slow database holds one entry per resource.
        let pending = Pending()
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await batch in outgoing {
                    pending.add(batch)
                    wake.yield()
                }
                wake.finish()
            }
            group.addTask {
                for await _ in wakes {
                    while let batch = pending.take() {
                        // The store's calls block: off the cooperative pool.
                        switch await Self.offPool({ try share.publish(batch) }) {
                        case .success(true): continue
                        case .success(false): logger.debug("statuses not shared: this replica no longer holds the lease")
                        case .failure(let e):
                            logger.warning("cannot share statuses; trying again", metadata: ["error": "\(e)"])
                            pending.putBack(batch)
                            try? await Task.sleep(for: Self.interval)
                            wake.yield()
                        }
                        break
                    }
                }
            }
            var led = false
            var rounds = 0
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let following = !leadership.role.programs
                // A replica that stops leading reads everything again: its board holds its own
                // last view, some of which the store may have refused.
                if following && led { share.readAllAgain() }
                led = !following
                // Read even while leading, so that what was read is current when it follows again.
                switch await Self.offPool({ try share.changes() }) {
                case .success(let changes): if following { board.set(changes) }
                case .failure(let e): logger.warning("cannot read the leader's statuses", metadata: ["error": "\(e)"])
                }
                rounds += 1
                if rounds % Self.pruneEvery == 0 {
                    if case .failure(let e) = await Self.offPool({ try share.prune(olderThan: .seconds(3600)) }) {
                        logger.warning("cannot prune statuses", metadata: ["error": "\(e)"])
                    }
                }
                try? await Task.sleep(for: Self.interval)
            }
            group.cancelAll()
        }
    }

    /// Statuses waiting to be written, the last of each resource.
    final class Pending: Sendable {
        private let entries = Mutex<[StatusKey: ResourceState]>([:])

        func add(_ batch: [Change]) {
            entries.withLock { p in for (kind, id, state) in batch { p[StatusKey(kind: kind, id: id)] = state } }
        }

        /// A failed batch, behind anything newer.
        func putBack(_ batch: [Change]) {
            entries.withLock { p in for (kind, id, state) in batch where p[StatusKey(kind: kind, id: id)] == nil { p[StatusKey(kind: kind, id: id)] = state } }
        }

        func take() -> [Change]? {
            entries.withLock { p in
                defer { p = [:] }
                return p.isEmpty ? nil : p.map { ($0.key.kind, $0.key.id, $0.value) }
            }
        }
    }

    /// Reads between prunes of old DOWN statuses (about ten minutes).
    static let pruneEvery = 1200

    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async -> Result<T, any Error> {
        await withCheckedContinuation { done in DispatchQueue.global().async { done.resume(returning: Result { try body() }) } }
    }
}
