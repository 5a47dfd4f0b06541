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
