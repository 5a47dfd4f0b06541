import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own that runs jobs one after another. The policy service calls its store
/// synchronously, and a PostgreSQL call may wait seconds (a lock another replica holds, a
/// timeout): on this thread that wait holds nothing else, where on Swift's cooperative pool (as
/// many threads as cores) it starved the API, the controller and the lease meanwhile.
///
/// As a task executor it also runs the controller's loop, whose compiles take a core for a
/// while: off the cooperative pool, and at a lower priority (`nice`), an API request waiting for a
/// core goes first, and the controller takes the request's changes together afterwards.
public final class DedicatedExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    /// The policy service's, one per process.
    public static let policy = DedicatedExecutor(name: "taas-policy")
    /// The controller's loop (`ControllerService`), one per process.
    public static let controller = DedicatedExecutor(name: "taas-controller", nice: 5)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    /// `nice`: added to the thread's scheduling niceness (0: as the process's other threads).
    init(name: String, nice: Int32 = 0) {
        let thread = Thread { [self] in
            if nice != 0 { Self.renice(nice) }
            run()
        }
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
            for job in batch { job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Lowers the calling thread's priority. On Linux the nice value is a thread's, and `who` 0
    /// names the calling thread (setpriority(2), "Bugs").
    private static func renice(_ nice: Int32) {
        #if os(Linux)
        errno = 0
        let now = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        if errno == 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, now + nice) }
        #endif
    }
}
