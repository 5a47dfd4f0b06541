import TaaSPolicy
import TaaSStore

/// The policy table with its store: every change is computed on a copy, made durable, and only
/// then becomes the current policy, so an acknowledged write is never lost and a failed one
/// leaves nothing behind.
public actor PolicyService {
    private var table: PolicyTable
    private let store: PolicyStore
    private var rng = SystemRandomNumberGenerator()
    private var watchers: [AsyncStream<Void>.Continuation] = []

    public init(store: PolicyStore, configuration: PolicyTable.Configuration = .init()) throws {
        let snapshot = try store.load()
        self.store = store
        table = PolicyTable(configuration: configuration, services: snapshot.services, flows: snapshot.flows,
                            mirrors: snapshot.mirrors, ports: snapshot.ports)
    }

    /// Reads the current policy.
    public func read<T: Sendable>(_ body: @Sendable (PolicyTable) throws -> T) rethrows -> T { try body(table) }

    /// Applies a change: `body` edits a copy and says what to persist.
    public func mutate<T: Sendable>(_ body: @Sendable (inout PolicyTable, inout SystemRandomNumberGenerator) throws -> (T, [PolicyChange])) throws -> T {
        var copy = table
        let (result, changes) = try body(&copy, &rng)
        try store.apply(changes)
        table = copy
        if !changes.isEmpty { for w in watchers { w.yield() } }
        return result
    }

    /// Yields after every committed change (coalesced when the reader is behind).
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        watchers.append(continuation)
        return stream
    }

    /// Records ports the topology reports.
    public func recordPorts(_ ports: [PortRecord]) throws {
        _ = try mutate { t, _ in
            ports.forEach { t.recordPort($0) }
            return ((), ports.map { .savePort($0) })
        }
    }
}
