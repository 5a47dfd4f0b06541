import Dispatch
import Logging
import ServiceLifecycle
import TaaSState
import TaaSStore

/// Keeps this replica's policy current with what the others commit: at every notification
/// from the store, and every few seconds in case one was lost. Prunes the store's change log
/// now and then (any replica may; it is one statement under the writers' lock).
struct PolicyFollower: Service {
    let store: PostgresPolicyStore
    let policy: PolicyService
    let logger: Logger
    static let check = Duration.seconds(2)
    static let pruneEvery = 300
    static let keep = Duration.seconds(3600)

    func run() async throws {
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let store = store, policy = policy, logger = logger
        await withDiscardingTaskGroup { group in
            group.addTask { await store.listen { wake.yield() } }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.check)
                    wake.yield()
                }
            }
            var n = 0
            for await _ in wakes.cancelOnGracefulShutdown() {
                do { try await policy.refresh() } catch {
                    logger.warning("cannot read what other replicas committed", metadata: ["error": "\(error)"])
                }
                n += 1
                if n % Self.pruneEvery == 0 {
                    if case .failure(let e) = await StatusSharing.offPool({ try store.prune(olderThan: Self.keep) }) {
                        logger.warning("cannot prune the change log", metadata: ["error": "\(e)"])
                    }
                }
            }
            group.cancelAll()
        }
    }
}
