import OpenFlow
import SwitchSimulator
import Testing

/// The simulated switch's tables follow what a controller sends, as Open vSwitch's do for the
/// messages taasd uses (so that scale benchmarks read back what they wrote).
struct SimulatedTablesTests {
    static func flow(_ match: [OXMField], _ command: FlowMod.Command = .add, cookie: UInt64 = 0x10, mask: UInt64 = 0, table: UInt8 = 1,
                     priority: UInt16 = 100, out: UInt32 = 3) -> FlowMod {
        FlowMod(cookie: cookie, cookieMask: mask, tableID: table, command: command, priority: priority, match: Match(match),
                instructions: [.applyActions([.output(PortNumber(out))])])
    }

    static let a: [OXMField] = [.inPort(1), .ethDst(EthernetAddress(rawValue: 0xaa))]
    static let b: [OXMField] = [.inPort(2)]

    @Test func addReplacesTheSameFlowWhateverTheFieldOrder() throws {
        var t = SimulatedTables()
        try t.apply(.flowMod(Self.flow(Self.a, out: 3)), xid: 1)
        try t.apply(.flowMod(Self.flow(Array(Self.a.reversed()), out: 4)), xid: 2)
        #expect(t.flowCount == 1)
        #expect(t.allFlows.first?.instructions == [.applyActions([.output(4)])])
        try t.apply(.flowMod(Self.flow(Self.a, priority: 200)), xid: 3)
        #expect(t.flowCount == 2)
    }

    @Test func strictModifyAndDeleteNeedTheExactFlowAndItsCookie() throws {
        var t = SimulatedTables()
        try t.apply(.flowMod(Self.flow(Self.a)), xid: 1)
        #expect(try t.apply(.flowMod(Self.flow(Self.b, .modifyStrict, out: 9)), xid: 2) == false)
        #expect(try t.apply(.flowMod(Self.flow(Self.a, .deleteStrict, cookie: 0x99, mask: .max)), xid: 3) == false)
        #expect(t.flowCount == 1)
        #expect(try t.apply(.flowMod(Self.flow(Self.a, .modifyStrict, out: 9)), xid: 4))
        #expect(t.allFlows.first?.instructions == [.applyActions([.output(9)])])
        #expect(try t.apply(.flowMod(Self.flow(Self.a, .deleteStrict, cookie: 0x10, mask: .max)), xid: 5))
        #expect(t.flowCount == 0)
    }

    @Test func looseDeleteByCookieSpansTablesAndSparesOthers() throws {
        var t = SimulatedTables()
        try t.apply(.flowMod(Self.flow(Self.a, cookie: 0x1_0001, table: 0)), xid: 1)
        try t.apply(.flowMod(Self.flow(Self.b, cookie: 0x1_0002, table: 3)), xid: 2)
        try t.apply(.flowMod(Self.flow(Self.a, cookie: 0x2_0001, table: 3)), xid: 3)
        let request = FlowStatsRequest(cookie: 0x1_0000, cookieMask: 0xffff_0000)
        #expect(t.flows(matching: request).count == 2)
        try t.apply(.flowMod(Self.flow([], .delete, cookie: 0x1_0000, mask: 0xffff_0000, table: Reserved.tableAll)), xid: 4)
        #expect(t.allFlows.map(\.cookie) == [0x2_0001])
    }

    @Test func groupsRefuseWhatOpenVSwitchRefuses() throws {
        var t = SimulatedTables()
        let g = GroupMod(command: .add, type: .all, groupID: 7, buckets: [Bucket(actions: [.output(1)])])
        try t.apply(.groupMod(g), xid: 1)
        #expect(throws: SimulatedTables.Failure.self) { try t.apply(.groupMod(g), xid: 2) }
        #expect(throws: SimulatedTables.Failure.self) {
            try t.apply(.groupMod(GroupMod(command: .modify, type: .all, groupID: 8)), xid: 3)
        }
        try t.apply(.groupMod(GroupMod(command: .delete, type: .all, groupID: Reserved.groupAll)), xid: 4)
        #expect(t.groups.isEmpty)
    }

    @Test func aBundleCommitsAllOrNothingAndNamesTheFailedMessage() throws {
        var t = SimulatedTables()
        let g = GroupMod(command: .add, type: .all, groupID: 7, buckets: [Bucket(actions: [.output(1)])])
        try t.apply(.groupMod(g), xid: 1)
        func control(_ type: BundleControl.ControlType) -> OpenFlowMessage.Payload { .bundleControl(BundleControl(bundleID: 5, type: type)) }

        #expect(t.bundle(control(.openRequest), xid: 10).reply?.type == .openReply)
        _ = t.bundle(.bundleAdd(BundleAdd(bundleID: 5, message: .flowMod(Self.flow(Self.a)))), xid: 11)
        _ = t.bundle(.bundleAdd(BundleAdd(bundleID: 5, message: .groupMod(g))), xid: 12)  // exists: fails
        let failed = t.bundle(control(.commitRequest), xid: 13)
        #expect(failed.reply == nil)
        #expect(failed.errors.map(\.0) == [12, 13])
        #expect(failed.errors.map(\.1) == [.groupModFailedGroupExists, .bundleMsgFailed])
        #expect(t.flowCount == 0)

        _ = t.bundle(control(.openRequest), xid: 20)
        _ = t.bundle(.bundleAdd(BundleAdd(bundleID: 5, message: .flowMod(Self.flow(Self.a)))), xid: 21)
        _ = t.bundle(.bundleAdd(BundleAdd(bundleID: 5, message: .flowMod(Self.flow(Self.b)))), xid: 22)
        #expect(t.flowCount == 0, "nothing applies before the commit")
        let committed = t.bundle(control(.commitRequest), xid: 23)
        #expect(committed.reply?.type == .commitReply && committed.errors.isEmpty && committed.changed)
        #expect(t.flowCount == 2)
        #expect(t.bundle(control(.commitRequest), xid: 24).errors.map(\.1) == [.bundleBadID], "a committed bundle is gone")
    }

    @Test func aFailedCommitPutsBackWhatItsEarlierMessagesChangedOrRemoved() throws {
        var t = SimulatedTables()
        let g = GroupMod(command: .add, type: .all, groupID: 7, buckets: [Bucket(actions: [.output(1)])])
        try t.apply(.groupMod(g), xid: 1)
        try t.apply(.flowMod(Self.flow(Self.a)), xid: 2)
        let flowsBefore = t.allFlows, groupsBefore = t.groups
        func add(_ m: OpenFlowMessage.Payload, _ xid: UInt32) { _ = t.bundle(.bundleAdd(BundleAdd(bundleID: 9, message: m)), xid: xid) }
        _ = t.bundle(.bundleControl(BundleControl(bundleID: 9, type: .openRequest)), xid: 10)
        add(.flowMod(Self.flow(Self.a, .deleteStrict)), 11)
        add(.groupMod(GroupMod(command: .delete, type: .all, groupID: Reserved.groupAll)), 12)
        add(.flowMod(Self.flow(Self.b)), 13)
        add(.groupMod(GroupMod(command: .add, type: .all, groupID: 7, buckets: [Bucket(actions: [.output(2)])])), 14)
        add(.groupMod(g), 15)  // exists now: fails, and everything above is undone
        let failed = t.bundle(.bundleControl(BundleControl(bundleID: 9, type: .commitRequest)), xid: 16)
        #expect(failed.errors.map(\.0) == [15, 16])
        #expect(t.allFlows == flowsBefore)
        #expect(t.groups == groupsBefore)
    }

    @Test func metersAsOpenVSwitchTakesThem() throws {
        var t = SimulatedTables()
        func meter(_ c: MeterMod.Command, _ id: UInt32, _ flags: MeterMod.Flags = .kbps, _ bands: [MeterBand] = [.drop(rate: 1000, burstSize: 0)]) -> OpenFlowMessage.Payload {
            .meterMod(MeterMod(command: c, flags: flags, meterID: id, bands: bands))
        }
        func refused(_ p: OpenFlowMessage.Payload) -> ErrorCode? {
            do throws(SimulatedTables.Failure) { try t.apply(p, xid: 1); return nil } catch { return error.code }
        }
        var metered = Self.flow(Self.a)
        metered.instructions = [.meter(3)] + metered.instructions
        #expect(refused(.flowMod(metered)) == .meterModFailedInvalidMeter, "a flow naming a missing meter")
        #expect(refused(meter(.add, 3)) == nil && t.meters[3]?.bands == [.drop(rate: 1000, burstSize: 0)])
        #expect(refused(meter(.add, 3)) == .meterModFailedMeterExists)
        #expect(refused(meter(.modify, 4)) == .meterModFailedUnknownMeter)
        #expect(refused(meter(.add, 0)) == .meterModFailedInvalidMeter)
        #expect(refused(meter(.add, 5, [.kbps, .pktps])) == .meterModFailedBadFlags)
        #expect(refused(meter(.add, 5, .kbps, [.dscpRemark(rate: 1, burstSize: 0, precedenceLevel: 1)])) == .meterModFailedBadBand)
        #expect(refused(.flowMod(metered)) == nil && t.flowCount == 1)
        #expect(refused(meter(.modify, 3, .pktps, [.drop(rate: 10, burstSize: 0)])) == nil && t.meters[3]?.flags == .pktps)
        // Deleting the meter deletes the flows that use it; deleting a missing one is no error.
        #expect(refused(meter(.delete, 3)) == nil && t.meters.isEmpty && t.flowCount == 0)
        #expect(refused(meter(.delete, 3)) == nil)
        // A meter mod never travels in a bundle.
        _ = t.bundle(.bundleControl(BundleControl(bundleID: 1, type: .openRequest)), xid: 2)
        #expect(t.bundle(.bundleAdd(BundleAdd(bundleID: 1, message: meter(.add, 6))), xid: 3).errors.map(\.1) == [.bundleMsgUnsup])
    }

    @Test func aLargeDumpIsSplitUnderTheMessageLimit() throws {
        var responder = SwitchResponder(datapathID: 1)
        responder.flows = (0..<1000).map { i in
            FlowStats(tableID: 1, priority: 100, cookie: 0x10, match: Match([.inPort(PortNumber(UInt32(i))), .ethDst(EthernetAddress(rawValue: UInt64(i)))]),
                      instructions: [.applyActions([.output(3), .setField(.tunnelID(UInt64(i))), .output(100)])])
        }
        let replies = responder.answer(OpenFlowMessage(xid: 9, .multipartRequest(MultipartRequest(.flow(FlowStatsRequest())))))
        #expect(replies.count > 1)
        var total = 0
        for (i, m) in replies.enumerated() {
            #expect(m.encoded().readableBytes <= 65535)
            guard case .multipartReply(let r) = m.payload, case .flow(let f) = r.body else { Issue.record("not a FLOW reply"); continue }
            #expect(r.hasMore == (i < replies.count - 1))
            total += f.count
        }
        #expect(total == 1000)
    }
}
