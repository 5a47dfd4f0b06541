import TaaSPolicy
import Testing

@Suite struct PolicyTableTests {
    static let alice = Caller(projectID: "alice", isAdmin: false)
    static let bob = Caller(projectID: "bob", isAdmin: false)
    static let reader = Caller(projectID: "alice", isAdmin: false, canWrite: false)
    static func id(_ n: Int) -> ResourceID { ResourceID("00000000-0000-4000-8000-\(String(repeating: "0", count: 12 - String(n).count))\(n)")! }
    static func port(_ id: String, project: String) -> PortRecord {
        PortRecord(id: id, name: "tap-\(id)", macAddress: "02:00:00:00:00:01", hostID: "node1", openflowPort: 1, vlan: nil, projectID: project, up: true)
    }

    static func table(_ config: PolicyTable.Configuration = .init()) -> PolicyTable {
        PolicyTable(configuration: config, ports: [port("p-a1", project: "alice"), port("p-a2", project: "alice"),
                                                   port("p-a3", project: "alice"), port("p-b1", project: "bob")])
    }

    func expectError(_ kind: PolicyError.Kind, _ type: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(type)")
        } catch let error as PolicyError {
            #expect(error.kind == kind && error.type == type, "\(error)")
            #expect(!error.message.isEmpty)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func tapServiceLifecycle() throws {
        var t = Self.table()
        let s = try t.createTapService(.init(name: "analyzer", portID: "p-a1"), id: Self.id(1), by: Self.alice)
        #expect(s.projectID == "alice" && s.tunnelKey == 0xf0_0000)
        let s2 = try t.createTapService(.init(portID: "p-a2"), id: Self.id(2), by: Self.alice)
        #expect(s2.tunnelKey == 0xf0_0001)
        let f = try t.createTapFlow(.init(tapServiceID: s.id, sourcePort: "p-a3", direction: .both), id: Self.id(3), by: Self.alice)
        #expect(t.flows[f.id] == f)
        #expect(try t.updateTapService(s.id, .init(name: "renamed", description: "d"), by: Self.alice).name == "renamed")
        // Deleting the service deletes its flows and frees its key for reuse.
        #expect(try t.deleteTapService(s.id, by: Self.alice) == [f.id])
        #expect(t.flows.isEmpty)
        #expect(try t.createTapService(.init(portID: "p-a1"), id: Self.id(4), by: Self.alice).tunnelKey == 0xf0_0000)
    }

    @Test func serviceWithSeveralToolsTakesAKeyPerToolAndEveryPort() throws {
        var t = Self.table()
        let s = try t.createTapService(.init(portID: "p-a1", morePortIDs: ["p-a2", "p-a3"]), id: Self.id(1), by: Self.alice)
        #expect(s.portIDs == ["p-a1", "p-a2", "p-a3"])
        #expect(s.tools.map(\.tunnelKey) == [0xf0_0000, 0xf0_0001, 0xf0_0002])
        // Every tool port is taken, and every key.
        expectError(.conflict, "PortInUse") { _ = try t.createTapService(.init(portID: "p-a3"), id: Self.id(2), by: Self.alice) }
        expectError(.badRequest, "InvalidInput") {
            _ = try t.createTapService(.init(portID: "p-b1", morePortIDs: ["p-b1"]), id: Self.id(3), by: Self.bob)
        }
        expectError(.notFound, "PortNotFound") {
            _ = try t.createTapService(.init(portID: "p-b1", morePortIDs: ["p-a9"]), id: Self.id(3), by: Self.bob)
        }
        expectError(.badRequest, "InvalidInput") {
            _ = try t.createTapService(.init(portID: "p-b1", morePortIDs: (1...16).map { "x\($0)" }), id: Self.id(3), by: Self.bob)
        }
        #expect(t.services.count == 1, "refusals changed nothing")
        expectError(.conflict, "PortIsTapServiceDestination") {
            _ = try t.createTapFlow(.init(tapServiceID: s.id, sourcePort: "p-a2", direction: .both), id: Self.id(6), by: Self.alice)
        }
        #expect(try t.createTapService(.init(portID: "p-b1"), id: Self.id(4), by: Self.bob).tunnelKey == 0xf0_0003)
        // Deleting frees every port and key.
        try t.deleteTapService(s.id, by: Self.alice)
        let again = try t.createTapService(.init(portID: "p-a3", morePortIDs: ["p-a1"]), id: Self.id(5), by: Self.alice)
        #expect(again.tools.map(\.tunnelKey) == [0xf0_0000, 0xf0_0001])
    }

    @Test func snaplenOnServicesAndMirrorsOnly() throws {
        var t = Self.table()
        let s = try t.createTapService(.init(portID: "p-a1", snaplen: 14), id: Self.id(1), by: Self.alice)
        #expect(s.snaplen == 14)
        expectError(.badRequest, "InvalidInput") { _ = try t.createTapService(.init(portID: "p-a2", snaplen: 13), id: Self.id(2), by: Self.alice) }
        #expect(t.services[Self.id(2)] == nil)
        #expect(try t.updateTapService(s.id, .init(snaplen: .some(65535)), by: Self.alice).snaplen == 65535)
        #expect(try t.updateTapService(s.id, .init(name: "n"), by: Self.alice).snaplen == 65535, "not given: unchanged")
        #expect(try t.updateTapService(s.id, .init(snaplen: .some(nil)), by: Self.alice).snaplen == nil)
        expectError(.badRequest, "InvalidInput") { _ = try t.updateTapService(s.id, .init(snaplen: .some(70000)), by: Self.alice) }
        let f = try t.createTapFlow(.init(tapServiceID: s.id, sourcePort: "p-a3", direction: .both), id: Self.id(3), by: Self.alice)
        expectError(.badRequest, "InvalidInput") { _ = try t.updateTapFlow(f.id, .init(snaplen: .some(64)), by: Self.alice) }
        let m = try t.createTapMirror(.init(portID: "p-a3", directions: [.both: 7], remoteIP: "198.51.100.1", mirrorType: .gre, snaplen: 96),
                                      id: Self.id(4), by: Self.alice)
        #expect(m.snaplen == 96)
        #expect(try t.updateTapMirror(m.id, .init(snaplen: .some(nil)), by: Self.alice).snaplen == nil)
    }

    @Test func rules() throws {
        var t = Self.table()
        let s = try t.createTapService(.init(portID: "p-a1"), id: Self.id(1), by: Self.alice)
        expectError(.notFound, "PortNotFound") { _ = try t.createTapService(.init(portID: "nope"), id: Self.id(9), by: Self.alice) }
        // Another project's port is invisible: 404, as in Neutron.
        expectError(.notFound, "PortNotFound") { _ = try t.createTapService(.init(portID: "p-b1"), id: Self.id(9), by: Self.alice) }
        expectError(.conflict, "PortInUse") { _ = try t.createTapService(.init(portID: "p-a1"), id: Self.id(9), by: Self.alice) }
        expectError(.conflict, "PortIsTapServiceDestination") {
            _ = try t.createTapFlow(.init(tapServiceID: s.id, sourcePort: "p-a1", direction: .in), id: Self.id(9), by: Self.alice)
        }
        expectError(.notFound, "TapServiceNotFound") {
            _ = try t.createTapFlow(.init(tapServiceID: Self.id(77), sourcePort: "p-a2", direction: .in), id: Self.id(9), by: Self.alice)
        }
        // Bob sees nothing of Alice's.
        expectError(.notFound, "TapServiceNotFound") { _ = try t.tapService(s.id, by: Self.bob) }
        expectError(.notFound, "TapServiceNotFound") { _ = try t.deleteTapService(s.id, by: Self.bob) }
        #expect(t.tapServices(by: Self.bob).isEmpty)
        #expect(t.tapServices(by: .admin).count == 1)
        // Readers look but do not touch; non-admins cannot act for another project.
        expectError(.forbidden, "PolicyNotAuthorized") { _ = try t.createTapService(.init(portID: "p-a2"), id: Self.id(9), by: Self.reader) }
        expectError(.forbidden, "PolicyNotAuthorized") { _ = try t.updateTapService(s.id, .init(name: "x"), by: Self.reader) }
        expectError(.forbidden, "PolicyNotAuthorized") {
            _ = try t.createTapService(.init(projectID: "bob", portID: "p-a2"), id: Self.id(9), by: Self.alice)
        }
        // An admin may use any project's port and act for any project.
        let b = try t.createTapService(.init(projectID: "bob", portID: "p-b1"), id: Self.id(10), by: .admin)
        let seenByBob = try t.tapService(b.id, by: Self.bob)
        #expect(b.projectID == "bob" && seenByBob == b)
    }

    @Test func quotasAndKeys() throws {
        var t = Self.table(.init(tunnelKeys: 10...11, quotas: Quotas(tapServices: 2, tapFlows: 1)))
        let s = try t.createTapService(.init(portID: "p-a1"), id: Self.id(1), by: Self.alice)
        _ = try t.createTapService(.init(portID: "p-a2"), id: Self.id(2), by: Self.alice)
        expectError(.conflict, "OverQuota") { _ = try t.createTapService(.init(portID: "p-a3"), id: Self.id(3), by: Self.alice) }
        _ = try t.createTapFlow(.init(tapServiceID: s.id, sourcePort: "p-a3", direction: .out), id: Self.id(4), by: Self.alice)
        expectError(.conflict, "OverQuota") {
            _ = try t.createTapFlow(.init(tapServiceID: s.id, sourcePort: "p-a2", direction: .out), id: Self.id(5), by: Self.alice)
        }
        var full = Self.table(.init(tunnelKeys: 10...10))
        _ = try full.createTapService(.init(portID: "p-a1"), id: Self.id(1), by: Self.alice)
        expectError(.conflict, "TunnelKeysExhausted") { _ = try full.createTapService(.init(portID: "p-a2"), id: Self.id(2), by: Self.alice) }
    }

    @Test func tapMirrors() throws {
        var t = Self.table()
        let m = try t.createTapMirror(.init(portID: "p-a1", directions: [.in: 100, .out: 101], remoteIP: "203.0.113.9", mirrorType: .erspanv1),
                                      id: Self.id(1), by: Self.alice)
        #expect(t.mirrors[m.id] == m)
        expectError(.conflict, "TapMirrorKeyInUse") {
            _ = try t.createTapMirror(.init(portID: "p-a2", directions: [.both: 101], remoteIP: "2001:db8::9", mirrorType: .gre), id: Self.id(2), by: Self.alice)
        }
        _ = try t.createTapMirror(.init(portID: "p-a2", directions: [.both: 102], remoteIP: "2001:db8::9", mirrorType: .gre), id: Self.id(3), by: Self.alice)
        let bad: [([Direction: UInt32], String)] = [([:], "203.0.113.9"), ([.both: 1, .in: 2], "203.0.113.9"), ([.in: 5, .out: 5], "203.0.113.9"),
                                                   ([.in: 7], "203.0.113.256"), ([.in: 7], "2001:db8:::1"), ([.in: 7], "host.example")]
        for (dirs, ip) in bad {
            expectError(.badRequest, "InvalidInput") {
                _ = try t.createTapMirror(.init(portID: "p-a3", directions: dirs, remoteIP: ip, mirrorType: .gre), id: Self.id(9), by: Self.alice)
            }
        }
    }

    /// A change is journaled: `journaled` says what it did, resource by resource, and a
    /// rollback leaves the table, its keys and its indexes as they were.
    @Test func changesAreJournaledAndRollBack() throws {
        var t = Self.table()
        let s = try t.createTapService(.init(portID: "p-a1"), id: Self.id(1), by: Self.alice)
        let f = try t.createTapFlow(.init(tapServiceID: s.id, sourcePort: "p-a2", direction: .in), id: Self.id(2), by: Self.alice)
        t.begin()
        let renamed = try t.updateTapFlow(f.id, .init(name: "web"), by: Self.alice)
        let s2 = try t.createTapService(.init(portID: "p-a3"), id: Self.id(3), by: Self.alice)
        try t.deleteTapService(s.id, by: Self.alice)
        let d = t.journaled
        #expect(d.tapFlows == [f.id: .removed(f)], "the update then the cascade: removed, as it was before the change")
        #expect(d.tapServices == [s.id: .removed(s), s2.id: .added(s2)])
        #expect(renamed.name == "web")
        t.rollback()
        #expect(t.services == [s.id: s] && t.flows == [f.id: f])
        // The indexes came back too: the port is in use again, the freed key is not handed out twice.
        expectError(.conflict, "PortInUse") { _ = try t.createTapService(.init(portID: "p-a1"), id: Self.id(9), by: Self.alice) }
        #expect(try t.createTapService(.init(portID: "p-a3"), id: Self.id(4), by: Self.alice).tunnelKey == 0xf0_0001)
        t.begin()
        t.commit()
        #expect(t.journaled.isEmpty)
    }

    /// A delta followed by another is one delta: additions then removals cancel out.
    @Test func deltasCompose() throws {
        var t = Self.table()
        t.begin()
        let s = try t.createTapService(.init(portID: "p-a1"), id: Self.id(1), by: Self.alice)
        var d = t.journaled
        t.commit()
        t.begin()
        let s1 = try t.updateTapService(s.id, .init(name: "x"), by: Self.alice)
        d.formSequence(t.journaled)
        #expect(d.tapServices == [s.id: .added(s1)])
        t.commit()
        t.begin()
        try t.deleteTapService(s.id, by: Self.alice)
        d.formSequence(t.journaled)
        #expect(d.isEmpty)
    }

    @Test func portsStayKnownWhenTheyGoAway() {
        var t = Self.table()
        t.markPortDown("p-a1")
        #expect(t.ports["p-a1"]?.up == false)
        #expect(t.portList(by: Self.alice).count == 3 && t.portList(by: Self.bob).count == 1)
    }

    @Test(arguments: [
        ("9,18,27-36", "9,18,27-36"), ("0", "0"), ("4095", "4095"), ("1-3, 2-5,7", "1-5,7"), ("10-10", "10"), ("5,4,3", "3-5"),
    ])
    func vlanFiltersParse(text: String, canonical: String) throws {
        #expect(try VLANFilter(parsing: text).description == canonical)
    }

    @Test(arguments: ["", "4096", "1-", "-1", "a", "3-1", "1,,2", "1-2-3", "99999999999", "١٢"])
    func badVLANFiltersAreRefused(text: String) {
        #expect(throws: VLANFilter.ParseError.self) { try VLANFilter(parsing: text) }
    }

    @Test func vlanFilterMembership() throws {
        let f = try VLANFilter(parsing: "9,18,27-36")
        #expect(f.contains(9) && f.contains(27) && f.contains(36) && !f.contains(10) && !f.contains(37))
    }

    @Test func resourceIDs() {
        #expect(ResourceID("1F0E2D3C-4B5A-4978-8695-A4B3C2D1E0F9")?.rawValue == "1f0e2d3c-4b5a-4978-8695-a4b3c2d1e0f9")
        for bad in ["", "1f0e2d3c4b5a49788695a4b3c2d1e0f9", "1f0e2d3c-4b5a-4978-8695-a4b3c2d1e0fz", "1f0e2d3c-4b5a-4978-8695-a4b3c2d1e0f9-0"] {
            #expect(ResourceID(bad) == nil, "\(bad)")
        }
        var g = SystemRandomNumberGenerator()
        let r = ResourceID.random(using: &g)
        #expect(ResourceID(r.rawValue) == r)
    }

    /// New ids are UUIDs of version 7 whose order is the order they were made in: within a
    /// millisecond, across milliseconds, when the clock steps back, past 4,096 in one millisecond.
    @Test func newIDsComeInOrder() {
        var ids = IDGenerator(), random = SystemRandomNumberGenerator()
        let now: UInt64 = 1_796_000_000_000
        let made = (0..<5000).map { i in ids.next(now: now + (i > 4200 ? 1 : 0), using: &random) }
            + [ids.next(now: now - 60_000, using: &random), ids.next(now: now + 10, using: &random)]
        #expect(made == made.sorted() && Set(made).count == made.count)
        #expect(made.map(\.rawValue) == made.map(\.rawValue).sorted(), "text sorts as the ids do")
        for id in made.prefix(3) + made.suffix(3) {
            let text = Array(id.rawValue.utf8)
            #expect(text[14] == UInt8(ascii: "7"), "version 7: \(id)")
            #expect("89ab".utf8.contains(text[19]), "RFC 9562 variant: \(id)")
            #expect(ResourceID(id.rawValue) == id)
        }
        #expect(made[0].rawValue.hasPrefix("01a2"), "the first 48 bits are the milliseconds (0x01a2…): \(made[0])")
        #expect(made[made.count - 1].rawValue.hasPrefix(String(now + 10, radix: 16).leftPadded(12).prefix(8)))
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
