import Dispatch
import Logging
import ServiceLifecycle
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
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await batch in outgoing {
                    // The store's calls block: off the cooperative pool.
                    let result: Result<Bool, any Error> = await Self.offPool { try share.publish(batch) }
                    switch result {
                    case .success(true): break
                    case .success(false): logger.debug("statuses not shared: this replica no longer holds the lease")
                    case .failure(let e): logger.warning("cannot share statuses", metadata: ["error": "\(e)"])
                    }
                }
            }
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                // Read even while leading, so that what was read is current when it follows again.
                let following = !leadership.role.programs
                switch await Self.offPool({ try share.changes() }) {
                case .success(let changes): if following { board.set(changes) }
                case .failure(let e): logger.warning("cannot read the leader's statuses", metadata: ["error": "\(e)"])
                }
                try? await Task.sleep(for: Self.interval)
            }
            group.cancelAll()
        }
    }

    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async -> Result<T, any Error> {
        await withCheckedContinuation { done in DispatchQueue.global().async { done.resume(returning: Result { try body() }) } }
    }
}
