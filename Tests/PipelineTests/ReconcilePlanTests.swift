import OpenFlow
import OpenFlowText
import Pipeline
import Testing

@Suite struct ReconcilePlanTests {
    static let program = Scenarios.programs(Scenarios.all[0])["node1"]!

    @Test func nothingToSendWhenTheBridgeHoldsItsProgram() {
        let plan = ReconcilePlan(desired: Self.program, installedFlows: Array(Self.program.flows.values), installedGroups: [])
        #expect(plan.isEmpty)
    }

    /// Meters go outside the bundle: added or changed before it, deleted after it; another
    /// owner's meters are never named; a bridge that holds them gets nothing.
    @Test func metersBeforeAndAfterTheBundle() throws {
        let scenario = try #require(Scenarios.all.first { $0.name == "rate-limit" })
        let program = try #require(Scenarios.programs(scenario)["node1"])
        #expect(program.meters.count == 3)
        let held = ReconcilePlan(desired: program, installedFlows: Array(program.flows.values), installedGroups: Array(program.groups.values),
                                 installedMeters: Array(program.meters.values))
        #expect(held.isEmpty)
        var installed = Array(program.meters.values)
        let changed = installed.removeFirst()
        installed.append(MeterConfig(flags: changed.flags, meterID: changed.meterID, bands: [.drop(rate: 1, burstSize: 1)]))
        installed.removeFirst()
        installed.append(MeterConfig(flags: [.kbps], meterID: MeterIDs.base | 0x42, bands: [.drop(rate: 5, burstSize: 0)]))  // stale
        installed.append(MeterConfig(flags: [.kbps], meterID: 7, bands: [.drop(rate: 5, burstSize: 0)]))  // not ours
        let plan = ReconcilePlan(desired: program, installedFlows: Array(program.flows.values), installedGroups: Array(program.groups.values),
                                 installedMeters: installed)
        #expect(plan.count == 0 && !plan.isEmpty, "no flow changes: no bundle")
        #expect(plan.metersAdded == 1 && plan.metersModified == 1 && plan.metersDeleted == 1)
        let first = plan.metersFirst.compactMap { m -> MeterMod? in if case .meterMod(let mm) = m { mm } else { nil } }
        let last = plan.metersLast.compactMap { m -> MeterMod? in if case .meterMod(let mm) = m { mm } else { nil } }
        #expect(Set(first.map(\.command)) == [.add, .modify] && last.map(\.command) == [.delete] && last.first?.meterID == MeterIDs.base | 0x42)
        #expect(plan.messages.isEmpty, "meters never ride in the bundle")
    }

    @Test func onlyTheDifferenceAndNeverAnotherOwnersFlows() throws {
        var installed = Array(Self.program.flows.values)
        // One of ours is missing, one has other actions, one is no longer wanted; one is not ours.
        // (Not the table-4 flow, which is changed below; the program's order is a dictionary's.)
        let missing = installed.remove(at: try #require(installed.firstIndex { $0.tableID != Table.forward }))
        let i = try #require(installed.firstIndex { $0.tableID == Table.forward })
        installed[i].instructions = [.applyActions([.output(.flood)])]
        installed.append(try FlowText.parse("cookie=0x7aa5020000000001, table=1, priority=100,in_port=77 actions=output:9,goto_table:2"))
        installed.append(try FlowText.parse("cookie=0x1234, priority=5,in_port=77 actions=drop"))
        let plan = ReconcilePlan(desired: Self.program, installedFlows: installed, installedGroups: [
            GroupDescription(type: .all, groupID: 7, buckets: []),  // not ours: left alone
            GroupDescription(type: .all, groupID: GroupIDs.service(key: 0xf00009), buckets: []),
        ])
        #expect(plan.flowsAdded == 1 && plan.flowsModified == 1 && plan.flowsDeleted == 1 && plan.groupsDeleted == 1)
        var commands: [String] = []
        for m in plan.messages {
            switch m {
            case .flowMod(let f):
                commands.append("\(f.command.rawValue):\(f.tableID):\(f.priority)")
                #expect(Cookie.isOurs(f.cookie), "touches only taasd's flows")
                if f.command == .deleteStrict { #expect(f.cookieMask == UInt64.max) }
            case .groupMod(let g):
                commands.append("group \(g.command.rawValue):\(g.groupID)")
                #expect(GroupIDs.isOurs(g.groupID))
            default: Issue.record("unexpected \(m)")
            }
        }
        #expect(commands.contains("0:\(missing.tableID):\(missing.priority)"))
        #expect(commands.contains("2:\(Table.forward):0"), "changed actions are modified in place (counters kept)")
        #expect(commands.last == "group 2:\(GroupIDs.service(key: 0xf00009))", "unused groups go last, after the flows using them")
    }
}

/// A plan sends flows in one documented order (table, priority from high to low, then the match's
/// fields by header, value and mask), whatever order the program's dictionary holds them in.
@Suite struct ReconcilePlanOrderTests {
    /// The order spelled out field by field, as the plan's word keys must reproduce it.
    static func precedes(_ a: FlowEntry, _ b: FlowEntry) -> Bool {
        if a.tableID != b.tableID { return a.tableID < b.tableID }
        if a.priority != b.priority { return a.priority > b.priority }
        for (x, y) in zip(a.match.fields, b.match.fields) {
            if x.header != y.header { return x.header < y.header }
            if x.value != y.value { return x.value.bytes.lexicographicallyPrecedes(y.value.bytes) }
            if x.mask != y.mask { return (x.mask?.bytes ?? []).lexicographicallyPrecedes(y.mask?.bytes ?? []) }
        }
        return a.match.fields.count < b.match.fields.count
    }

    /// 20,000 flows take the path that cuts them into pieces (sample sort).
    @Test(arguments: [3000, 20000]) func flowsGoInTableThenPriorityThenFieldOrder(count: Int) {
        var rng = SystemRandomNumberGenerator()
        var flows: [FlowEntry] = []
        for i in 0..<count {
            var fields: [OXMField] = [.inPort(PortNumber(UInt32.random(in: 1...4, using: &rng)))]
            switch i % 4 {
            case 0: fields.append(.ethDst(EthernetAddress(rawValue: UInt64.random(in: 0...0xffff_ffff_ffff, using: &rng))))
            case 1: fields.append(OXMField(.ipv6Src, value: OXMValue(hi: UInt64.random(in: 0...3, using: &rng), lo: UInt64.random(in: 0...UInt64.max, using: &rng))))
            case 2: fields.append(.ethDst(EthernetAddress(rawValue: UInt64(i)), mask: EthernetAddress(rawValue: UInt64.random(in: 1...0xff, using: &rng))))
            default: break
            }
            flows.append(FlowEntry(cookie: Cookie.make(.source, "p\(i)"), tableID: UInt8.random(in: 0...3, using: &rng),
                                   priority: [50, 60, 100].randomElement(using: &rng) ?? 100, match: Match(fields).normalized,
                                   instructions: [.gotoTable(4)]))
        }
        let plan = ReconcilePlan(desired: BridgeProgram(flows: flows), installedFlows: [], installedGroups: [])
        let sent = plan.messages.compactMap { m -> FlowEntry? in if case .flowMod(let f) = m { FlowEntry(f) } else { nil } }
        let unique = BridgeProgram(flows: flows).flows.count
        #expect(sent.count == unique)
        #expect(zip(sent, sent.dropFirst()).allSatisfy { a, b in !Self.precedes(b, a) }, "out of order")
        #expect(zip(sent, sent.dropFirst()).filter { a, b in !Self.precedes(a, b) }.count == 0, "out of order, or two flows with one key")
        var pieces: [Int] = []
        plan.pieces { pieces.append($0.count) }
        #expect(plan.count == unique && pieces.reduce(0, +) == unique)
        if count > 4 * 1024 {
            #expect(pieces.count > 10 && pieces.max() ?? 0 < 4096, "a large plan comes in pieces: \(pieces)")
        }
    }

    /// The pieces of a plan that adds, modifies, replaces and deletes are its messages in order,
    /// and a message is found again by its place (how a refused one is named).
    @Test func piecesAreTheMessagesInOrder() throws {
        func flow(_ i: Int, cookie: String = "p", port: UInt32 = 2) -> FlowEntry {
            FlowEntry(cookie: Cookie.make(.source, "\(cookie)\(i % 7)"), tableID: UInt8(i % 3), priority: 100,
                      match: Match([.inPort(PortNumber(UInt32(i % 50 + 1))), .ethSrc(EthernetAddress(rawValue: UInt64(i)))]).normalized,
                      instructions: [.applyActions([.output(PortNumber(port))])])
        }
        let installed = (0..<9000).map { flow($0) }
        var desired = Array(installed[0..<6000])                         // kept
        desired += (6000..<7000).map { flow($0, port: 3) }               // modified in place
        desired += (7000..<8000).map { flow($0, cookie: "q") }           // cookie changed: delete, then add
        desired += (9000..<10500).map { flow($0) }                      // added; 8000..<9000 deleted
        let plan = ReconcilePlan(desired: BridgeProgram(flows: desired), installedFlows: installed, installedGroups: [])
        #expect(plan.flowsAdded == 1500 && plan.flowsModified == 2000 && plan.flowsDeleted == 1000)
        let all = plan.messages
        #expect(all.count == plan.count && plan.count == 1500 + 1000 + 2 * 1000 + 1000)
        var gathered: [OpenFlowMessage.Payload] = []
        plan.pieces { gathered += $0 }
        #expect(gathered == all)
        for i in [0, 1, 2499, 2500, all.count - 1] { #expect(plan.message(at: i) == all[i]) }
        #expect(plan.message(at: all.count) == nil && plan.message(at: -1) == nil)
        var commands: [FlowMod.Command: Int] = [:]
        for case .flowMod(let f) in all { commands[f.command, default: 0] += 1 }
        #expect(commands == [.add: 2500, .modifyStrict: 1000, .deleteStrict: 2000])
    }
}
