import Foundation
import TaaSPolicy
import TaaSState
import TaaSStore
import TaaSTestSupport
import Testing

@Suite struct StoreTests {
    static func tempDB() -> String {
        let dir = "/tmp/taas-store-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return "\(dir)/taasd.sqlite"
    }

    static func cleanup(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    static func id(_ n: Int) -> ResourceID { ResourceID("00000000-0000-4000-8000-\(String(repeating: "0", count: 12 - String(n).count))\(n)")! }
    static let alice = Caller(projectID: "alice", isAdmin: false)
    static func table() -> PolicyTable {
        PolicyTable(ports: ["p-a1", "p-a2", "p-a3", "p-b1", "p-b2"].map {
            PortRecord(id: $0, name: "tap-\($0)", macAddress: "02:00:00:00:00:01", hostID: "node1", openflowPort: 1, vlan: nil, projectID: "alice", up: true)
        })
    }

    @Test func policyRoundTripsThroughAFileDatabase() throws {
        let path = Self.tempDB()
        defer { Self.cleanup(path) }
        try Self.roundTrip { try SQLitePolicyStore(path: path) }
        // The database, its WAL and its shared memory are its owner's alone (the last two exist
        // while a store is open).
        let open = try SQLitePolicyStore(path: path)
        try open.apply([.savePort(PortRecord(id: "p-x", name: "x", macAddress: "02:00:00:00:00:09", hostID: "node1", openflowPort: 9,
                                             vlan: nil, projectID: "alice", up: true))])
        for file in [path, path + "-wal", path + "-shm"] {
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file): \(String(mode ?? 0, radix: 8))")
        }
    }

    @Test func schemaEnforcesCascadesAndUniqueness() throws {
        let path = Self.tempDB()
        defer { Self.cleanup(path) }
        try Self.constraints(try SQLitePolicyStore(path: path))
    }

    /// Every resource, with every optional attribute, written and read back by a store opened
    /// again (`open`), as a new process would.
    static func roundTrip(_ open: () throws -> PolicyStore) throws {
        var table = Self.table()
        let s = try table.createTapService(.init(name: "an", description: "analyzer", portID: "p-a1"), id: Self.id(1), by: Self.alice)
        let f = try table.createTapFlow(.init(name: "web", tapServiceID: s.id, sourcePort: "p-a2", direction: .both,
                                              vlanFilter: try VLANFilter(parsing: "9,18,27-36")), id: Self.id(2), by: Self.alice)
        let m = try table.createTapMirror(.init(portID: "p-a3", directions: [.in: 100, .out: 101], remoteIP: "2001:db8::9", mirrorType: .erspanv1,
                                                snaplen: 96, rateLimit: .init(maxKbps: .some(1000))),
                                          id: Self.id(3), by: Self.alice)
        // Every optional attribute: a filter, limits, a snap length, several tools.
        let s2 = try table.createTapService(.init(portID: "p-b1", snaplen: 128, rateLimit: .init(maxKbps: .some(5000), maxKpps: .some(3)),
                                                  morePortIDs: ["p-b2"]), id: Self.id(4), by: Self.alice)
        let f2 = try table.createTapFlow(.init(tapServiceID: s2.id, sourcePort: "p-a2", direction: .out,
                                               trafficFilter: try TrafficFilter.make(.init(protocol: "tcp", sourceIPPrefix: "10.0.0.0/8",
                                                                                           destinationPortMin: 80, destinationPortMax: 90))),
                                         id: Self.id(5), by: Self.alice)
        do {
            let store = try open()
            try store.apply(table.ports.values.map { .savePort($0) })
            try store.apply([.saveTapService(s), .saveTapFlow(table.flows[f.id]!), .saveTapMirror(m), .saveTapService(s2), .saveTapFlow(f2)])
        }
        // A new process would open the store again: everything is there.
        let loaded = try open().load()
        #expect(loaded.services == [s, s2])
        #expect(loaded.flows == [table.flows[f.id]!, f2])
        #expect(loaded.mirrors == [m])
        #expect(Set(loaded.ports) == Set(table.ports.values))
        let rebuilt = PolicyTable(services: loaded.services, flows: loaded.flows, mirrors: loaded.mirrors, ports: loaded.ports)
        #expect(rebuilt.services == table.services && rebuilt.flows == table.flows && rebuilt.mirrors == table.mirrors)
    }

    /// The schema refuses what the policy never writes, and a refused batch leaves nothing.
    static func constraints(_ store: PolicyStore) throws {
        let s = TapService(id: Self.id(1), projectID: "p", name: "", description: "", portID: "port1", tunnelKey: 7)
        let f = TapFlow(id: Self.id(2), projectID: "p", name: "", description: "", tapServiceID: s.id, sourcePort: "port2", direction: .in,
                        vlanFilter: nil)
        try store.apply([.saveTapService(s), .saveTapFlow(f)])
        // Same destination port, or same tunnel key, on another service: refused, and nothing of the batch applies.
        var dup = s
        dup.id = Self.id(3)
        #expect(throws: (any Error).self) { try store.apply([.saveTapFlow(f), .saveTapService(dup)]) }
        dup.portID = "port9"
        #expect(throws: (any Error).self) { try store.apply([.saveTapService(dup)]) }
        // A flow must name an existing service.
        var orphan = f
        orphan.id = Self.id(4)
        orphan.tapServiceID = Self.id(99)
        #expect(throws: (any Error).self) { try store.apply([.saveTapFlow(orphan)]) }
        // Deleting the service deletes its flows.
        try store.apply([.deleteTapService(s.id)])
        let after = try store.load()
        #expect(after.services.isEmpty && after.flows.isEmpty)
    }

    /// A child writes as fast as it can and is killed with SIGKILL: every write it had
    /// acknowledged is in the database afterwards.
    @Test func acknowledgedWritesSurviveKill9() throws {
        let path = Self.tempDB()
        defer { Self.cleanup(path) }
        let bin = BuiltProducts.path("store-crash-writer")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: bin)
        child.arguments = [path]
        let out = Pipe()
        child.standardOutput = out
        try child.run()
        var acked: [String] = []
        var pending = ""
        let reader = out.fileHandleForReading
        let deadline = Date().addingTimeInterval(20)
        while acked.count < 300 && Date() < deadline {
            let data = reader.availableData
            if data.isEmpty { break }
            pending += String(decoding: data, as: UTF8.self)
            let lines = pending.split(separator: "\n", omittingEmptySubsequences: false)
            pending = String(lines.last ?? "")
            acked += lines.dropLast().compactMap { $0.hasPrefix("ack ") ? String($0.dropFirst(4)) : nil }
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        // Lines written before the kill count as acknowledged too.
        pending += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        acked += pending.split(separator: "\n").compactMap { $0.hasPrefix("ack ") && $0.count == 40 ? String($0.dropFirst(4)) : nil }
        #expect(acked.count >= 300, "the writer acknowledged only \(acked.count) writes")
        let stored = Set(try SQLitePolicyStore(path: path).load().services.map(\.id.rawValue))
        let lost = acked.filter { !stored.contains($0) }
        #expect(lost.isEmpty, "\(lost.count) acknowledged writes lost of \(acked.count)")
    }
}

/// The same store tests against a real PostgreSQL (a private server per test), plus what only
/// a server store has: migrations applied once however many replicas open it, and a lost
/// connection opened again.
@Suite(.serialized) final class PostgresStoreTests {
    let server: PrivatePostgres

    init() throws { server = try PrivatePostgres() }
    deinit { server.stop() }

    @Test func policyRoundTripsThroughPostgreSQL() throws {
        try StoreTests.roundTrip { try PostgresPolicyStore(url: server.url) }
    }

    @Test func schemaEnforcesCascadesAndUniqueness() throws {
        try StoreTests.constraints(try PostgresPolicyStore(url: server.url))
    }

    @Test func migrationsRunOnceAndAConnectionLostIsOpenedAgain() throws {
        let a = try PostgresPolicyStore(url: server.url), b = try PostgresPolicyStore(url: server.url)
        let applied = try Command.check(try PrivatePostgres.binary("psql"),
                                        ["-h", server.dir, "-U", "postgres", "-At", "-c", "SELECT count(*) FROM taas_migration"])
        #expect(applied.trimmingCharacters(in: .whitespacesAndNewlines) == "8", "every named migration once: \(applied)")
        let s = TapService(id: StoreTests.id(1), projectID: "p", name: "", description: "", portID: "port1", tunnelKey: 7)
        try a.apply([.saveTapService(s)])
        #expect(try b.load().services == [s], "a write through one replica's store is read by another's")
        // The server ends both stores' sessions (as a restart would): their next calls reconnect.
        let ended = try Command.check(try PrivatePostgres.binary("psql"), [
            "-h", server.dir, "-U", "postgres", "-At", "-c",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
        ])
        #expect(ended.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "both sessions ended: \(ended)")
        usleep(200_000)
        var s2 = s
        s2.name = "renamed"
        try a.apply([.saveTapService(s2)])
        #expect(try b.load().services == [s2])
    }

    static let ports = (1...40).map {
        PortRecord(id: "p\($0)", name: "tap\($0)", macAddress: "02:00:00:00:00:01", hostID: "node1", openflowPort: UInt32($0), vlan: nil,
                   projectID: "alice", up: true)
    }

    /// Two replicas' policy services on one database: each write is checked against the whole
    /// policy (what the other committed is taken first, under the writers' lock), and each
    /// replica's table ends up as the database holds it, with deltas to its subscribers.
    @Test func replicasCheckEveryWriteAgainstTheWholePolicyAndSeeEachOthersWrites() async throws {
        let a = try PolicyService(store: try PostgresPolicyStore(url: server.url))
        let b = try PolicyService(store: try PostgresPolicyStore(url: server.url))
        try await a.recordPorts(Self.ports)
        let (_, changes) = await b.subscribe()
        var seen = changes.makeAsyncIterator()
        let s = try await a.mutate { t, _ in try t.createTapService(.init(projectID: "alice", portID: "p1"), id: StoreTests.id(1), by: .admin) }
        // B has not looked yet, and still refuses a second service on the same port.
        await #expect(throws: PolicyError.self) {
            try await b.mutate { t, _ in try t.createTapService(.init(projectID: "alice", portID: "p1"), id: StoreTests.id(2), by: .admin) }
        }
        // What B took before checking was published, as one delta (its own write published nothing).
        let d1 = try #require(await seen.next())
        #expect(d1.ports.count == Self.ports.count && d1.tapServices == [s.id: .added(s)] && d1.tapFlows.isEmpty)
        // Both create at once: every write lands once, no tunnel key twice.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (replica, range) in [(a, 2...20), (b, 21...39)] {
                group.addTask {
                    for n in range {
                        _ = try await replica.mutate { t, _ in
                            try t.createTapService(.init(projectID: "alice", portID: "p\(n)"), id: StoreTests.id(n), by: .admin)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await a.refresh()
        try await b.refresh()
        let stored = try PostgresPolicyStore(url: server.url).load()
        #expect(stored.services.count == 39)
        #expect(Set(stored.services.map(\.tunnelKey)).count == 39, "no tunnel key given twice")
        for replica in [a, b] {
            let held = await replica.read { t in t.services.values.sorted { $0.id.rawValue < $1.id.rawValue } }
            #expect(held == stored.services, "each replica holds what the database holds")
        }
        // A deletion reaches the other replica too.
        try await a.mutate { t, _ in _ = try t.deleteTapService(StoreTests.id(5), by: .admin) }
        try await b.refresh()
        #expect(await b.read { $0.services[StoreTests.id(5)] } == nil)
    }

    /// A replica that was away longer than the change log keeps reads everything again.
    @Test func aReplicaBehindAPrunedLogReadsEverythingAgain() async throws {
        let store = try PostgresPolicyStore(url: server.url)
        let a = try PolicyService(store: store)
        let b = try PolicyService(store: try PostgresPolicyStore(url: server.url))
        try await a.recordPorts(Self.ports)
        let s = try await a.mutate { t, _ in try t.createTapService(.init(projectID: "alice", portID: "p3"), id: StoreTests.id(3), by: .admin) }
        try store.prune(olderThan: .zero)
        try await b.refresh()
        #expect(await b.read { $0.services.values } == [s])
        #expect(await b.read { $0.ports.count } == Self.ports.count)
    }

    /// The lease: one holder at a time, by the database's clock; a takeover is a new epoch; a
    /// released lease is free at once; every replica is listed.
    @Test func oneReplicaHoldsTheLeaseAndAnotherTakesOverWhenItLapses() throws {
        // A lease long enough that a busy machine (the other suites run alongside) answers each
        // round within its third.
        let a = try PostgresLease(url: server.url, name: "a", api: "127.0.0.1:1", duration: .seconds(3), logger: .init(label: "a"))
        let b = try PostgresLease(url: server.url, name: "b", api: "127.0.0.1:2", duration: .seconds(3), logger: .init(label: "b"))
        let first = try a.round()
        #expect(first.leading)
        let other = try b.round()
        #expect(!other.leading && other.holder == a.replicaID && other.epoch == first.epoch)
        #expect(Set(other.replicas.map(\.name)) == ["a", "b"] && other.replicas.first { $0.leader }?.name == "a")
        #expect(try a.round().epoch == first.epoch, "renewing keeps the epoch")
        usleep(3_200_000)
        let taken = try b.round()
        #expect(taken.leading && taken.epoch > first.epoch, "a lapsed lease is taken, with a newer epoch")
        #expect(try !a.round().leading)
        try b.release()
        let back = try a.round()
        #expect(back.leading && back.epoch > taken.epoch)
        // The lease's row starts again (a database restored from an older backup): epochs still grow.
        _ = try Command.check(try PrivatePostgres.binary("psql"), ["-h", server.dir, "-U", "postgres", "-At", "-c", "DELETE FROM taas_leader"])
        let again = try b.round()
        #expect(again.leading && again.epoch > back.epoch, "\(again.epoch) after \(back.epoch)")
        #expect(back.replicas.map(\.name) == ["a"], "a released replica is no longer listed")
    }

    /// A `postgres:` section of taasd's configuration, as the URL it stands for.
    @Test func aPostgresSectionIsAURL() throws {
        #expect(try PostgresPolicyStore.url(fields: ["host": "db", "port": "5433", "user": "taas", "password": "p@ss:w/rd", "database": "taas"])
                == "postgresql://taas:p%40ss%3Aw%2Frd@db:5433/taas")
        #expect(try PostgresPolicyStore.url(fields: ["user": "postgres", "database": "postgres", "socket-dir": "/run/postgresql"])
                == "postgresql://postgres@/postgres?host=/run/postgresql")
        for bad in [["host": "db", "database": "taas"], ["host": "db", "user": "taas"], ["user": "taas", "database": "taas"],
                    ["host": "db", "user": "taas", "database": "taas", "port": "0"]] {
            #expect(throws: (any Error).self, "\(bad)") { _ = try PostgresPolicyStore.url(fields: bad) }
        }
        // The password reaches the server decoded: the store opens with it.
        let store = try PostgresPolicyStore(url: try PostgresPolicyStore.url(fields: ["user": "postgres", "database": "postgres",
                                                                                     "password": "p@ss", "socket-dir": server.dir]))
        #expect(store.configuration.password == "p@ss")
    }

    @Test func badURLsAreRefusedWithTheReason() {
        for (url, text) in [("mysql://u@h/d", "not a postgresql://"), ("postgresql://h/d", "give a user"), ("postgresql://u@/d", "give a host")] {
            #expect(throws: (any Error).self) { _ = try PostgresPolicyStore(url: url) }
            do { _ = try PostgresPolicyStore(url: url) } catch { #expect("\(error)".contains(text), "\(url): \(error)") }
        }
        #expect(throws: (any Error).self) { _ = try PostgresPolicyStore(url: "postgresql://postgres@/postgres?host=/tmp/no-such-dir") }
    }
}
