import Synchronization

/// Events from a stream, handed out in batches: everything that arrived while the consumer was
/// busy comes as one batch. A controller that handles a thousand switch connections one by one,
/// each with a full recompute, falls behind; handling what has piled up at once does not.
public struct Coalesced<Element: Sendable>: AsyncSequence, Sendable {
    final class Pending: Sendable {
        let items = Mutex<[Element]>([])

        func take() -> [Element] {
            items.withLock { p in
                defer { p = [] }
                return p
            }
        }
    }

    private let pending: Pending
    private let kicks: AsyncStream<Void>

    /// Where events go: each lands in the consumer's next batch at once, with no task between
    /// (a push's outcome, 10,000 of them when every bridge changes, wakes the consumer and no
    /// one else).
    public struct Continuation: Sendable {
        let pending: Pending
        let kick: AsyncStream<Void>.Continuation

        public func yield(_ element: Element) {
            pending.items.withLock { $0.append(element) }
            kick.yield()
        }

        /// No more events: the consumer gets what was yielded before, then the end. (An event
        /// yielded while this runs may be left out: finish once the producers are done.)
        public func finish() { kick.finish() }
    }

    /// A coalesced sequence and where its events go. At most one wake-up is buffered, however
    /// many events wait.
    public static func makeStream() -> (Coalesced, Continuation) {
        let (kicks, kick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let pending = Pending()
        return (Coalesced(pending: pending, kicks: kicks), Continuation(pending: pending, kick: kick))
    }

    private init(pending: Pending, kicks: AsyncStream<Void>) {
        self.pending = pending
        self.kicks = kicks
    }

    /// Starts reading `source` at once.
    public init(_ source: AsyncStream<Element>) {
        let (batches, input) = Self.makeStream()
        self = batches
        Task {
            for await e in source { input.yield(e) }
            input.finish()
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var kicks: AsyncStream<Void>.AsyncIterator
        let pending: Pending

        public mutating func next() async -> [Element]? {
            while await kicks.next() != nil {
                let batch = pending.take()
                if !batch.isEmpty { return batch }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(kicks: kicks.makeAsyncIterator(), pending: pending)
    }
}
