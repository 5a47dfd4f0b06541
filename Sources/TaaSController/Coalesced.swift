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

    private let pending = Pending()
    private let kicks: AsyncStream<Void>

    /// Starts reading `source` at once; at most one wake-up is buffered, however many events wait.
    public init(_ source: AsyncStream<Element>) {
        let (kicks, kick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.kicks = kicks
        let pending = pending
        Task {
            for await e in source {
                pending.items.withLock { $0.append(e) }
                kick.yield()
            }
            kick.finish()
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
