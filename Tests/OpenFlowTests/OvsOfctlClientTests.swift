import NIOCore
import OpenFlow
import TaaSTestSupport
import Testing

/// (b) of the interop proof: `ovs-ofctl` talks to a listener that plays the switch; what it
/// sends decodes to the expected values and re-encodes to identical bytes.
@Suite(.serialized) struct OvsOfctlClientTests {
    /// Runs ovs-ofctl against a fresh fake switch and returns what the switch received.
    /// `args` is ovs-ofctl's options, its command, then the command's arguments; the target goes after the command.
    func transact(_ args: [String], tables: FakeSwitch.Tables = .init()) throws -> (FakeSwitch, Command.Output) {
        let sw = try FakeSwitch(tables: tables)
        let commandIndex = args.firstIndex { !$0.hasPrefix("-") } ?? 0
        let out = try Command.run("ovs-ofctl", ["-O", "OpenFlow13", "--no-names", "--timeout=10"] + args[...commandIndex] + [sw.target]
                                  + args[(commandIndex + 1)...])
        return (sw, out)
    }

    /// Every received message re-encodes to the bytes ovs-ofctl sent.
    func expectByteIdentical(_ sw: FakeSwitch) {
        #expect(sw.decodingErrors.isEmpty, "\(sw.decodingErrors)")
        for r in sw.received {
            #expect(Array(r.message.encoded().readableBytesView) == r.bytes, "\(r.message)")
        }
    }

    func flowMods(_ sw: FakeSwitch) -> [FlowMod] {
        sw.requests.compactMap { if case .flowMod(let f) = $0.message.payload { f } else { nil } }
    }

    /// The FLOW_MOD `ovs-ofctl add-flow TEXT` sent, once checked that it was accepted and that it
    /// re-encodes to the bytes ovs-ofctl wrote.
    func addedFlow(_ text: String) throws -> FlowMod {
        let (sw, out) = try transact(["add-flow", text])
        defer { sw.shutdown() }
        #expect(out.status == 0, "\(text): \(out.stderr)")
        expectByteIdentical(sw)
        return try #require(flowMods(sw).first, "\(text)")
    }

    @Test func addFlowMirror() throws {
        let (sw, out) = try transact(["add-flow", "cookie=0x1234,priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff,actions=output:3,set_field:0x64->tun_id,output:100"])
        defer { sw.shutdown() }
        #expect(out.status == 0, "\(out.stderr)")
        expectByteIdentical(sw)
        #expect(flowMods(sw) == [Samples.mirrorFlowMod])
        #expect(sw.requests.last?.message.payload == .barrierRequest)
        #expect(sw.requests.first?.bytes.count == 128)
    }

    @Test func addFlowWithEveryInstructionAndNiciraActions() throws {
        let f = try addedFlow("table=2,cookie=0xa000000000000001,priority=200,send_flow_rem,reg0=0x7/0xff,tun_id=0x1000/0xfffff000,tun_dst=198.51.100.12,metadata=0x1/0xff,in_port=5,actions=meter:3,push_vlan:0x8100,set_field:4106->vlan_vid,pop_vlan,group:5,resubmit(,4),output(port=2,max_len=100),clear_actions,write_actions(output:4),write_metadata:0x1/0xff,goto_table:4")
        let expected = Samples.tunnelFlow
        #expect(f.cookie == expected.cookie && f.tableID == 2 && f.priority == 200 && f.flags == [.sendFlowRemoved])
        #expect(Set(f.match.fields) == Set(expected.match.fields))
        #expect(f.instructions.sorted { $0.wireLength < $1.wireLength } != [])
        #expect(Set(f.instructions) == Set(expected.instructions))
        // Open vSwitch encodes tun_dst with the Nicira OXM 0x00014004 and tun_id with the basic TUNNEL_ID.
        #expect(f.match[.nxTunnelIPv4Dst]?.value.integer == 0xc633_640c)
        #expect(f.match[.tunnelID]?.mask?.integer == 0xffff_f000)
    }

    @Test func addFlowWithACloneDecodesAndReencodesAsOpenVSwitchSentIt() throws {
        let f = try addedFlow("in_port=1,actions=clone(set_field:192.0.2.2->tun_dst,set_field:0x65->tun_id,output(port=9,max_len=128)),output(port=12,max_len=64)")
        #expect(f.instructions == [.applyActions([
            .clone([.setField(.tunnelIPv4Dst(IPv4Address(192, 0, 2, 2))), .setField(.tunnelID(0x65)), .outputTruncated(port: 9, maxLength: 128)]),
            .outputTruncated(port: 12, maxLength: 64),
        ])])
    }

    @Test func addFlowMatchesOfEveryKind() throws {
        let flows = [
            ("tcp,nw_src=10.0.0.0/8,tp_dst=80,actions=drop", [OXMField(.ethType, 0x0800), OXMField(.ipProto, 6), OXMField(.ipv4Src, 0x0a00_0000, mask: 0xff00_0000), OXMField(.tcpDst, 80)]),
            ("udp6,ipv6_dst=2001:db8::1,udp_src=53,actions=drop", [OXMField(.ethType, 0x86dd), OXMField(.ipProto, 17), OXMField(.ipv6Dst, value: OXMValue(hi: 0x2001_0db8_0000_0000, lo: 1)), OXMField(.udpSrc, 53)]),
            ("arp,arp_op=1,arp_tpa=192.0.2.1,actions=drop", [OXMField(.ethType, 0x0806), OXMField(.arpOp, 1), OXMField(.arpTPA, 0xc000_0201)]),
            ("dl_vlan=10,dl_vlan_pcp=3,actions=drop", [OXMField(.vlanVID, 0x100a), OXMField(.vlanPCP, 3)]),
            ("vlan_tci=0x1000/0x1000,actions=drop", [OXMField(.vlanVID, 0x1000, mask: 0x1000)]),
            ("dl_src=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop", [OXMField(.ethSrc, 0x0100_0000_0000, mask: 0x0100_0000_0000)]),
            ("reg3=0x10/0xf0,reg15=7,actions=drop", [.register(3, 0x10, mask: 0xf0), .register(15, 7)]),
            ("tun_src=203.0.113.1,tun_id=0x64,actions=drop", [.tunnelIPv4Src(IPv4Address(203, 0, 113, 1)), .tunnelID(0x64)]),
            ("icmp,icmp_type=8,icmp_code=0,nw_tos=32,actions=drop", [OXMField(.ethType, 0x0800), OXMField(.ipProto, 1), OXMField(.icmpv4Type, 8), OXMField(.icmpv4Code, 0), OXMField(.ipDSCP, 8)]),
            ("mpls,mpls_label=5,mpls_tc=1,mpls_bos=1,actions=drop", [OXMField(.ethType, 0x8847), OXMField(.mplsLabel, 5), OXMField(.mplsTC, 1), OXMField(.mplsBOS, 1)]),
        ]
        for (text, fields) in flows {
            let f = try addedFlow(text)
            #expect(Set(f.match.fields) == Set(fields), "\(text): \(f.match.fields)")
            #expect(f.instructions == [], "\(text)")
            try f.match.validate()
        }
    }

    @Test func modifyAndDeleteFlows() throws {
        let (sw, out) = try transact(["del-flows", "--strict", "table=3,priority=7,cookie=0x10/0xff,in_port=2,out_port=9"])
        defer { sw.shutdown() }
        #expect(out.status == 0, "\(out.stderr)")
        expectByteIdentical(sw)
        let f = try #require(flowMods(sw).first)
        #expect(f.command == .deleteStrict && f.tableID == 3 && f.priority == 7 && f.cookie == 0x10 && f.cookieMask == 0xff)
        #expect(f.outPort == 9 && f.match == [.inPort(2)])

        let (sw2, out2) = try transact(["mod-flows", "table=1,in_port=4,actions=output:5"])
        defer { sw2.shutdown() }
        #expect(out2.status == 0, "\(out2.stderr)")
        expectByteIdentical(sw2)
        let g = try #require(flowMods(sw2).first)
        #expect(g.command == .modify && g.instructions == [.applyActions([.output(5)])])
    }

    @Test func addGroup() throws {
        let (sw, out) = try transact(["add-group", "group_id=1,type=all,bucket=actions=output:3,bucket=actions=set_field:198.51.100.12->tun_dst,set_field:0x64->tun_id,output:100"])
        defer { sw.shutdown() }
        #expect(out.status == 0, "\(out.stderr)")
        expectByteIdentical(sw)
        let expected = Samples.allMessages.first { $0.0 == "group-mod" }!.1.payload
        #expect(sw.requests.first?.message.payload == expected)
    }

    @Test func addMeter() throws {
        let (sw, out) = try transact(["add-meter", "meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100,type=dscp_remark,rate=2000,burst_size=200,prec_level=1"])
        defer { sw.shutdown() }
        #expect(out.status == 0, "\(out.stderr)")
        expectByteIdentical(sw)
        let expected = Samples.allMessages.first { $0.0 == "meter-mod" }!.1.payload
        #expect(sw.requests.first?.message.payload == expected)
    }

    @Test func bundleAddFlows() throws {
        let file = "/tmp/taas-bundle-\(UInt32.random(in: 0...UInt32.max)).txt"
        let text = "priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff,cookie=0x1234,actions=output:3,set_field:0x64->tun_id,output:100\n"
            + "table=1,priority=5,reg0=1,actions=resubmit(,2)\n"
        try Command.check("sh", ["-c", "printf '%s' \"$0\" > \"$1\"", text, file])
        defer { _ = try? Command.run("rm", ["-f", file]) }
        let (sw, out) = try transact(["--bundle", "add-flows", file])
        defer { sw.shutdown() }
        #expect(out.status == 0, "\(out.stderr)")
        expectByteIdentical(sw)
        let kinds: [String] = sw.requests.map {
            switch $0.message.payload {
            case .bundleControl(let c): "control \(c.type.rawValue)"
            case .bundleAdd: "add"
            case .barrierRequest: "barrier"
            default: "other"
            }
        }
        #expect(kinds == ["control 0", "add", "add", "barrier", "control 4"])
        let adds = sw.requests.compactMap { r -> (UInt32, BundleAdd)? in
            if case .bundleAdd(let a) = r.message.payload { (r.message.xid, a) } else { nil }
        }
        #expect(adds.first?.1.message == .flowMod(Samples.mirrorFlowMod))
        #expect(adds.first?.1.flags == [.atomic, .ordered])
        guard case .flowMod(let second)? = adds.last?.1.message else { Issue.record("second add is not a flow mod"); return }
        #expect(second.tableID == 1 && second.instructions == [.applyActions([.resubmit(inPort: Action.niciraInPort, table: 2)])])
    }

    @Test func dumpFlowsPrintsWhatWeReply() throws {
        var tables = FakeSwitch.Tables()
        tables.flows = [
            FlowStats(tableID: 0, durationSec: 3, priority: 100, cookie: 0x1234, packetCount: 7, byteCount: 700,
                      match: Samples.mirrorFlowMod.match, instructions: Samples.mirrorFlowMod.instructions),
            FlowStats(tableID: 2, priority: 200, flags: [.sendFlowRemoved], cookie: Samples.tunnelFlow.cookie,
                      match: Samples.tunnelFlow.match, instructions: Samples.tunnelFlow.instructions),
        ]
        let (sw, out) = try transact(["--no-stats", "dump-flows"], tables: tables)
        defer { sw.shutdown() }
        #expect(out.status == 0, "\(out.stderr)")
        expectByteIdentical(sw)
        guard case .multipartRequest(let r)? = sw.requests.first?.message.payload, case .flow(let req) = r.body else {
            Issue.record("no flow stats request"); return
        }
        #expect(req == FlowStatsRequest())
        #expect(out.stdout == """
             cookie=0x1234, priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff actions=output:3,set_field:0x64->tun_id,output:100
             cookie=0xa000000000000001, table=2, send_flow_rem priority=200,reg0=0x7/0xff,tun_id=0x1000/0xfffff000,tun_dst=198.51.100.12,metadata=0x1/0xff,in_port=5 actions=meter:3,push_vlan:0x8100,set_field:4106->vlan_vid,pop_vlan,group:5,resubmit(,4),output(port=2,max_len=100),clear_actions,write_actions(output:4),write_metadata:0x1/0xff,goto_table:4

            """)
    }

    @Test func dumpGroupsAndMeters() throws {
        var tables = FakeSwitch.Tables()
        tables.groups = [GroupDescription(type: .all, groupID: 7, buckets: [Bucket(actions: [.output(3)]), Bucket(actions: [.output(4)])])]
        tables.meters = [MeterConfig(flags: [.kbps], meterID: 1, bands: [.drop(rate: 1000, burstSize: 0)])]
        let (sw, out) = try transact(["dump-groups"], tables: tables)
        defer { sw.shutdown() }
        #expect(out.status == 0, "\(out.stderr)")
        expectByteIdentical(sw)
        #expect(out.stdout.contains(" group_id=7,type=all,bucket=actions=output:3,bucket=actions=output:4"), "\(out.stdout)")
        let (sw2, out2) = try transact(["dump-meters"], tables: tables)
        defer { sw2.shutdown() }
        #expect(out2.status == 0, "\(out2.stderr)")
        expectByteIdentical(sw2)
        #expect(out2.stdout.contains("meter=1 kbps bands=\ntype=drop rate=1000"), "\(out2.stdout)")
    }

    @Test func malformedMessageGetsAnErrorThatOpenVSwitchUnderstands() throws {
        // A FLOW_MOD whose match has a bad type: we answer OFPBMC_BAD_TYPE; ofp-print must agree.
        var bytes = Array(OpenFlowMessage(xid: 9, .flowMod(Samples.mirrorFlowMod)).encoded().readableBytesView)
        bytes[49] = 0
        var b = ByteBuffer(bytes: bytes)
        var reply: OpenFlowMessage?
        do { _ = try b.readOpenFlowMessage() } catch { reply = error.errorReply }
        let r = try #require(reply)
        let out = try Command.run("ovs-ofctl", ["ofp-print", Array(r.encoded().readableBytesView).hex])
        #expect(out.stdout.contains("OFPT_ERROR (OF1.3) (xid=0x9): OFPBMC_BAD_TYPE"), "\(out.stdout)")
    }
}
