import TaaSPolicy

/// The policy table with its store. A change is made in place (the table journals it), made
/// durable, and only then becomes the current policy; a change the store refuses is undone, so
/// an acknowledged write is never lost and a failed one leaves nothing behind. What each commit
/// changed goes to every subscriber as a `PolicyDelta`.
public actor PolicyService {
    private var table: PolicyTable
    private let store: PolicyStore
    private var rng = SystemRandomNumberGenerator()
    private var subscribers: [AsyncStream<PolicyDelta>.Continuation] = []

    public init(store: PolicyStore, configuration: PolicyTable.Configuration = .init()) throws {
        let snapshot = try store.load()
        self.store = store
        table = PolicyTable(configuration: configuration, services: snapshot.services, flows: snapshot.flows,
                            mirrors: snapshot.mirrors, ports: snapshot.ports)
    }

    /// Reads the current policy.
    public func read<T: Sendable>(_ body: @Sendable (PolicyTable) throws -> T) rethrows -> T { try body(table) }

    /// Applies a change: `body` edits the table; what it changed is stored, then published.
    public func mutate<T: Sendable>(_ body: @Sendable (inout PolicyTable, inout SystemRandomNumberGenerator) throws -> T) throws -> T {
        table.begin()
        let result: T
        let delta: PolicyDelta
        do {
            result = try body(&table, &rng)
            delta = table.journaled
            if !delta.isEmpty {
                do { try store.apply(delta.storeChanges) } catch { throw StoreFailure("\(error)") }
            }
        } catch {
            table.rollback()
            throw error
        }
        table.commit()
        if !delta.isEmpty { for s in subscribers { s.yield(delta) } }
        return result
    }

    /// The policy as it stands, as one delta of additions, and every commit's delta after it:
    /// together, exactly the policy at every moment (nothing missed, nothing twice).
    public func subscribe() -> (current: PolicyDelta, changes: AsyncStream<PolicyDelta>) {
        let (stream, continuation) = AsyncStream<PolicyDelta>.makeStream()
        subscribers.append(continuation)
        let current = PolicyDelta(adding: table.services.values, flows: table.flows.values, mirrors: table.mirrors.values,
                                  ports: table.ports.values)
        return (current, stream)
    }

    /// Records ports the topology reports.
    public func recordPorts(_ ports: [PortRecord]) throws {
        try mutate { t, _ in ports.forEach { t.recordPort($0) } }
    }

    /// How many resources of each kind there are (statuses are counted against these).
    public func totals() -> (services: Int, flows: Int, mirrors: Int) {
        (table.services.count, table.flows.count, table.mirrors.count)
    }
}
