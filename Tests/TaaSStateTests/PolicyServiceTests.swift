import Foundation
import Synchronization
import TaaSPolicy
import TaaSState
import Testing

/// The policy service: a write is stored, then published as a delta; a write the store refuses
/// leaves nothing behind, in the table or in the stream.
@Suite struct PolicyServiceTests {
    /// A store in memory that can be told to fail, and records what it was asked to apply.
    final class MemoryStore: PolicyStore {
        let applied = Mutex<[[PolicyChange]]>([])
        let failing = Mutex(false)
        let ports: [PortRecord]
        struct Refused: Error {}

        init(ports: [PortRecord]) { self.ports = ports }
        func load() throws -> PolicySnapshot { PolicySnapshot(services: [], flows: [], mirrors: [], ports: ports) }
        func apply(_ changes: [PolicyChange]) throws {
            if failing.withLock({ $0 }) { throw Refused() }
            applied.withLock { $0.append(changes) }
        }
    }

    static let ports = ["a", "b", "c"].map {
        PortRecord(id: $0, name: $0, macAddress: "02:00:00:00:00:01", hostID: "n1", openflowPort: 1, vlan: nil, projectID: "p", up: true)
    }

    static func id(_ n: Int) -> ResourceID { ResourceID("00000000-0000-4000-8000-00000000000\(n)")! }

    @Test func aCommitIsStoredThenPublished() async throws {
        let store = MemoryStore(ports: Self.ports)
        let service = try PolicyService(store: store)
        let (current, changes) = await service.subscribe()
        #expect(current.ports.count == 3 && current.tapServices.isEmpty)
        var it = changes.makeAsyncIterator()
        let s = try await service.mutate { t, _ in
            try t.createTapService(.init(projectID: "p", portID: "a"), id: Self.id(1), by: .admin)
        }
        let d = try #require(await it.next())
        #expect(d.tapServices == [s.id: .added(s)])
        #expect(store.applied.withLock { $0 } == [[.saveTapService(s)]])

        // A bulk write: one commit, one delta, the store's changes in an order its constraints take.
        _ = try await service.mutate { t, _ in
            try t.createTapFlow(.init(projectID: "p", tapServiceID: s.id, sourcePort: "b", direction: .in), id: Self.id(2), by: .admin)
            try t.createTapFlow(.init(projectID: "p", tapServiceID: s.id, sourcePort: "c", direction: .out), id: Self.id(3), by: .admin)
        }
        #expect(try #require(await it.next()).tapFlows.count == 2)
        try await service.mutate { t, _ in try t.deleteTapService(s.id, by: .admin) }
        let gone = try #require(await it.next())
        #expect(gone.tapServices[s.id] == .removed(s) && gone.tapFlows.count == 2)
        let last = store.applied.withLock { $0.last ?? [] }
        #expect(last.last == .deleteTapService(s.id), "flows are deleted before their service")
    }

    @Test func aRefusedWriteLeavesNothingBehind() async throws {
        let store = MemoryStore(ports: Self.ports)
        let service = try PolicyService(store: store)
        let (_, changes) = await service.subscribe()
        store.failing.withLock { $0 = true }
        // The store's refusal reaches the caller as a StoreFailure (the API's 503).
        await #expect(throws: StoreFailure.self) {
            try await service.mutate { t, _ in _ = try t.createTapService(.init(projectID: "p", portID: "a"), id: Self.id(1), by: .admin) }
        }
        #expect(await service.read { $0.services.isEmpty })
        // A write that fails validation half-way also leaves nothing.
        store.failing.withLock { $0 = false }
        await #expect(throws: PolicyError.self) {
            try await service.mutate { t, _ in
                _ = try t.createTapService(.init(projectID: "p", portID: "a"), id: Self.id(1), by: .admin)
                _ = try t.createTapService(.init(projectID: "p", portID: "a"), id: Self.id(2), by: .admin)
            }
        }
        #expect(await service.read { $0.services.isEmpty })
        // Only the next good write is published.
        let s = try await service.mutate { t, _ in try t.createTapService(.init(projectID: "p", portID: "b"), id: Self.id(3), by: .admin) }
        var it = changes.makeAsyncIterator()
        #expect(try #require(await it.next()).tapServices == [s.id: .added(s)])
    }

    /// A store that takes its time over each write and notes the deadline each saw.
    final class SlowStore: PolicyStore {
        let seen = Mutex<[(entered: ContinuousClock.Instant, by: ContinuousClock.Instant?)]>([])
        let patience: Duration?
        init(patience: Duration?) { self.patience = patience }
        func load() throws -> PolicySnapshot { PolicySnapshot(services: [], flows: [], mirrors: [], ports: []) }
        func apply(_ changes: [PolicyChange]) throws {}
        func write(fence: WriteFence?, _ body: (RemoteChanges) throws -> [PolicyChange]) throws {
            seen.withLock { $0.append((.now, StoreDeadline.by)) }
            Thread.sleep(forTimeInterval: 0.3)
            _ = try body(.none)
        }
    }

    /// A write's patience counts from when it was asked for, its wait behind another included.
    @Test func aWritesDeadlineCountsFromWhenItWasAsked() async throws {
        let store = SlowStore(patience: .seconds(1))
        let service = try PolicyService(store: store)
        async let first: Void = service.mutate { t, _ in _ = t }
        async let second: Void = service.mutate { t, _ in _ = t }
        _ = try await (first, second)
        let seen = store.seen.withLock { $0 }
        #expect(seen.count == 2)
        let later = try #require(seen.max { $0.entered < $1.entered })
        let by = try #require(later.by, "a store with patience gets a deadline")
        // It waited about 0.3 s behind the first: about 0.7 s of its second was left.
        #expect(later.entered.duration(to: by) < .milliseconds(850), "\(later.entered.duration(to: by))")

        let unhurried = SlowStore(patience: nil)
        _ = try await PolicyService(store: unhurried).mutate { t, _ in _ = t }
        #expect(unhurried.seen.withLock { $0 }.allSatisfy { $0.by == nil }, "no patience, no deadline")
    }
}
