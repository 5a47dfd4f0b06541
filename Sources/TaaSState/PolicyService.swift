import Foundation
import Synchronization
import TaaSPolicy

/// The policy table with its store. A change is made in place (the table journals it), made
/// durable, and only then becomes the current policy; a change the store refuses is undone, so
/// an acknowledged write is never lost and a failed one leaves nothing behind. What each commit
/// changed goes to every subscriber as a `PolicyDelta`.
public actor PolicyService {
    private var table: PolicyTable
    private let store: PolicyStore
    private var ids = NewIDs()
    private var subscribers: [AsyncStream<PolicyDelta>.Continuation] = []
    /// How many of each resource there are, readable without waiting for the actor (which may
    /// be waiting for the store): `/v2.0/taas/status` answers while a write waits for a lock.
    private let counts: Mutex<Totals>

    public struct Totals: Sendable, Hashable {
        public var services = 0, flows = 0, mirrors = 0
    }

    /// Store calls block: they run on a thread of their own, not on Swift's cooperative pool.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { DedicatedExecutor.policy.asUnownedSerialExecutor() }

    public init(store: PolicyStore, configuration: PolicyTable.Configuration = .init()) throws {
        let snapshot = try store.load()
        self.store = store
        table = PolicyTable(configuration: configuration, services: snapshot.services, flows: snapshot.flows,
                            mirrors: snapshot.mirrors, ports: snapshot.ports)
        counts = Mutex(Totals(services: snapshot.services.count, flows: snapshot.flows.count, mirrors: snapshot.mirrors.count))
    }

    /// Reads the current policy.
    public func read<T: Sendable>(_ body: @Sendable (PolicyTable) throws -> T) rethrows -> T { try body(table) }

    /// Applies a change: `body` edits the table; what it changed is stored, then published.
    /// With a shared store, what other replicas committed is taken (and published) first. The
    /// store's patience counts from the call, before any wait for this actor.
    public nonisolated func mutate<T: Sendable>(fence: WriteFence? = nil,
                                                _ body: @Sendable (inout PolicyTable, inout NewIDs) throws -> T) async throws -> T {
        try await write(fence: fence, asked: .now, body)
    }

    private func write<T: Sendable>(fence: WriteFence?, asked: ContinuousClock.Instant,
                                    _ body: @Sendable (inout PolicyTable, inout NewIDs) throws -> T) throws -> T {
        var result: T?
        var delta = PolicyDelta()
        var refused: (any Error)?
        do {
            try StoreDeadline.$by.withValue(store.patience.map { asked + $0 }) {
                try store.write(fence: fence) { remote in
                    adopt(remote)
                    table.begin()
                    do { result = try body(&table, &ids) } catch { refused = error; throw error }
                    delta = table.journaled
                    return delta.storeChanges
                }
            }
        } catch {
            table.rollback()
            throw refused ?? StoreFailure("\(error)")
        }
        table.commit()
        publish(delta)
        guard let result else { throw StoreFailure("the store did not run the change") }
        return result
    }

    /// Takes what other replicas committed since this one last looked (after a notification
    /// from the store, and now and then in case one was lost).
    public func refresh() throws {
        let remote: RemoteChanges
        do { remote = try store.catchUp() } catch { throw StoreFailure("\(error)") }
        adopt(remote)
    }

    private func adopt(_ remote: RemoteChanges) {
        table.begin()
        switch remote {
        case .changed(let services, let flows, let mirrors, let ports):
            if services.isEmpty && flows.isEmpty && mirrors.isEmpty && ports.isEmpty {
                table.commit()
                return
            }
            table.adopt(services: services, flows: flows, mirrors: mirrors, ports: ports)
        case .everything(let s):
            func all<K, V>(_ new: [V], _ id: (V) -> K, _ old: some Sequence<K>) -> [K: V?] {
                var out: [K: V?] = [:]
                for k in old { out[k] = .some(nil) }
                for v in new { out[id(v)] = .some(v) }
                return out
            }
            table.adopt(services: all(s.services, \.id, table.services.keys), flows: all(s.flows, \.id, table.flows.keys),
                        mirrors: all(s.mirrors, \.id, table.mirrors.keys), ports: all(s.ports, \.id, table.ports.keys))
        }
        let delta = table.journaled
        table.commit()
        publish(delta)
    }

    private func publish(_ delta: PolicyDelta) {
        let now = Totals(services: table.services.count, flows: table.flows.count, mirrors: table.mirrors.count)
        counts.withLock { $0 = now }
        if !delta.isEmpty { for s in subscribers { s.yield(delta) } }
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

    /// Records ports the topology reports (with replicas, only while `fence` still leads: a
    /// leader's view that arrives after another took over must not overwrite the newer one's).
    public func recordPorts(_ ports: [PortRecord], fence: WriteFence? = nil) throws {
        try write(fence: fence, asked: .now) { t, _ in ports.forEach { t.recordPort($0) } }
    }

    /// How many resources of each kind there are (statuses are counted against these).
    public nonisolated func totals() -> Totals { counts.withLock { $0 } }
}

/// Ids for what a change creates, in the order of creation (`IDGenerator`, on the wall clock).
public struct NewIDs: Sendable {
    private var generator = IDGenerator()
    private var random = SystemRandomNumberGenerator()

    public mutating func next() -> ResourceID {
        generator.next(now: UInt64(max(0, Date().timeIntervalSince1970 * 1000)), using: &random)
    }
}
