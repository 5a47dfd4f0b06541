import Foundation

/// A thread of its own that runs an actor's jobs one after another. The policy service calls
/// its store synchronously, and a PostgreSQL call may wait seconds (a lock another replica holds,
/// a timeout): on this thread that wait holds nothing else, where on Swift's cooperative pool
/// (as many threads as cores) it starved the API, the controller and the lease meanwhile.
public final class DedicatedExecutor: SerialExecutor, @unchecked Sendable {
    /// The policy service's, one per process.
    public static let policy = DedicatedExecutor(name: "taas-policy")

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
