import TaaSController
import Testing

/// Events that pile up while the consumer is busy come as one batch, in order, none lost.
struct CoalescedTests {
    @Test func whatPilesUpComesAsOneBatchInOrder() async throws {
        let (stream, source) = AsyncStream<Int>.makeStream()
        var batches = Coalesced(stream).makeAsyncIterator()
        for i in 1...100 { source.yield(i) }
        // The consumer is "busy" while all of them arrive.
        try await Task.sleep(for: .milliseconds(200))
        #expect(await batches.next() == Array(1...100))
        source.yield(101)
        #expect(await batches.next() == [101])
        source.finish()
        #expect(await batches.next() == nil)
    }

    @Test func aContinuationHandsEventsStraightToTheBatches() async {
        let (batches, input) = Coalesced<Int>.makeStream()
        var it = batches.makeAsyncIterator()
        for i in 1...50 { input.yield(i) }
        #expect(await it.next() == Array(1...50))
        // From another thread while the consumer waits; what was yielded before the end comes first.
        let producer = Task.detached {
            for i in 51...3000 { input.yield(i) }
            input.finish()
        }
        var seen: [Int] = []
        while let batch = await it.next() { seen += batch }
        await producer.value
        #expect(seen == Array(51...3000))
    }

    @Test func aSlowConsumerLosesNothing() async throws {
        let (stream, source) = AsyncStream<Int>.makeStream()
        let producer = Task {
            for i in 1...2000 {
                source.yield(i)
                if i % 100 == 0 { await Task.yield() }
            }
            source.finish()
        }
        var seen: [Int] = []
        for await batch in Coalesced(stream) {
            seen += batch
            try await Task.sleep(for: .milliseconds(1))
        }
        await producer.value
        #expect(seen == Array(1...2000))
    }
}
