import TaaSController
import Testing

/// The controller's shutdown waits for the pushes running on event loops, within a limit.
struct LoopPushesTests {
    @Test func drainedWaitsForTheLastPushToEnd() async {
        let pushes = LoopPushes()
        await pushes.drained()  // none running: at once
        pushes.started()
        pushes.started()
        let waiter = Task { await pushes.drained(limit: .seconds(600)); return pushes.running }
        try? await Task.sleep(for: .milliseconds(50))
        pushes.ended()
        try? await Task.sleep(for: .milliseconds(50))
        pushes.ended()
        #expect(await waiter.value == 0, "returned only once both ended")
    }

    @Test func drainedGivesUpAfterItsLimit() async {
        let pushes = LoopPushes()
        pushes.started()
        let clock = ContinuousClock()
        let start = clock.now
        await pushes.drained(limit: .milliseconds(200))
        #expect(clock.now - start >= .milliseconds(200))
        #expect(pushes.running == 1)
        pushes.ended()
    }

    @Test func cancellationDoesNotCutTheWaitShort() async {
        let pushes = LoopPushes()
        pushes.started()
        let waiter = Task { await pushes.drained(limit: .seconds(600)); return pushes.running }
        waiter.cancel()
        try? await Task.sleep(for: .milliseconds(100))
        pushes.ended()
        #expect(await waiter.value == 0)
    }
}
