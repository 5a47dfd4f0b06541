import Dispatch
import Testing

/// Runs tasks on Dispatch's global queue, which adds threads when its work blocks, instead of
/// Swift's cooperative pool, which has one thread per core and none to spare.
public final class BlockingWorkExecutor: TaskExecutor {
    public static let shared = BlockingWorkExecutor()

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        DispatchQueue.global().async { job.runSynchronously(on: executor) }
    }
}

/// For suites that drive real programs synchronously (ovs-vsctl, ping, iperf3, tcpdump, a lab's
/// bring-up and teardown): their tests run on `BlockingWorkExecutor`. On two cores, two such
/// calls at once otherwise hold the whole cooperative pool, and every other suite's in-process
/// servers and waiters stall with it (seen in CI as log lines "not logged" that were there).
public struct OffCooperativePool: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(BlockingWorkExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffCooperativePool {
    public static var offCooperativePool: Self { OffCooperativePool() }
}
