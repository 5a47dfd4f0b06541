import OpenFlow
import OpenFlowText
import Testing

@Suite("Round trips")
struct RoundTripTests {
    static let mirrorLine =
        "priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff actions=output:3,set_field:0x64->tun_id,set_field:198.51.100.12->tun_dst,output:100"

    static let groupLines = [
        "group_id=1,type=all,bucket=actions=output:3,bucket=actions=output:4,set_field:0x5->reg0,bucket=actions=set_field:0x64->tun_id,set_field:198.51.100.12->tun_dst,output:100",
        "group_id=2,type=select,bucket=weight:100,watch_port:3,actions=output:3,bucket=watch_group:5,actions=drop",
        "group_id=3,type=ff,bucket=watch_port:3,actions=output:3,bucket=watch_port:4,actions=LOCAL",
        "group_id=4,type=indirect,bucket=actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:2",
        "group_id=4294967040,type=all",
    ]

    static let meterTexts = [
        "meter=1 kbps bands=\ntype=drop rate=1000",
        "meter=2 pktps burst stats bands=\ntype=drop rate=10 burst_size=5\ntype=dscp_remark rate=5 burst_size=2 prec_level=1",
        "meter=3 kbps bands=\ntype=dscp_remark rate=100 prec_level=2",
        "meter=controller pktps stats flags:0x30 bands=\ntype=drop rate=7",
    ]

    @Test func mirrorFlow() throws {
        let e = try FlowText.parse(Self.mirrorLine)
        #expect(e.priority == 100)
        #expect(e.match == [.inPort(1), .ethDst(EthernetAddress(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff))])
        #expect(e.instructions == [.applyActions([
            .output(3), .setField(.tunnelID(0x64)), .setField(.tunnelIPv4Dst(IPv4Address(198, 51, 100, 12))), .output(100),
        ])])
        #expect(FlowText.render(e) == Self.mirrorLine)
        #expect(try FlowText.parse(FlowText.render(e)) == e)
    }

    @Test func pipelines() throws {
        let flows = [
            FlowEntry(priority: 200, match: [.inPort(2)], instructions: [.applyActions([.resubmit(inPort: Action.niciraInPort, table: 1)])]),
            FlowEntry(tableID: 1, priority: 10, match: [.inPort(5), .tunnelID(0x64)],
                      instructions: [.writeMetadata(1, mask: 0xff), .gotoTable(2)]),
            FlowEntry(tableID: 2, priority: 0, instructions: [.applyActions([.resubmit(inPort: 7, table: 255), .resubmit(inPort: 1, table: 2)])]),
        ]
        let text = FlowText.renderSorted(flows.reversed())
        #expect(text == """
            priority=200,in_port=2 actions=resubmit(,1)
            table=1, priority=10,tun_id=0x64,in_port=5 actions=write_metadata:0x1/0xff,goto_table:2
            table=2, priority=0 actions=resubmit:7,resubmit(1,2)

            """)
        #expect(try FlowText.parseLines(text) == flows)
    }

    @Test func vlanMatches() throws {
        let cases: [(String, Match)] = [
            ("dl_vlan=10", [.vlanVID(0x100a)]),
            ("dl_vlan=5,dl_vlan_pcp=3", [.vlanVID(0x1005), OXMField(.vlanPCP, 3)]),
            ("dl_vlan_pcp=3", [.vlanVID(0x1000, mask: 0x1000), OXMField(.vlanPCP, 3)]),
            ("vlan_tci=0x1000/0x1000", [.vlanVID(0x1000, mask: 0x1000)]),
            ("vlan_tci=0x0000/0x1fff", [.vlanVID(0)]),
            ("vlan_tci=0x1005/0x1ff7", [.vlanVID(0x1005, mask: 0x1ff7)]),
        ]
        for (text, match) in cases {
            #expect(try FlowText.parseMatch(text) == match, "\(text)")
            #expect(FlowText.renderMatch(match) == text)
        }
        // OXM that the TCI view cannot show (PCP without VLAN_VID) still reads back.
        let odd: Match = [OXMField(.vlanPCP, 3)]
        let text = FlowText.renderMatch(odd)
        #expect(text == "oxm:8000:7=0x03")
        #expect(try FlowText.parseMatch(text) == odd)
    }

    @Test func maskedFields() throws {
        let line = "ip,reg2=0x10/0xf0,tun_id=0x5/0xff,tun_dst=10.0.0.0/8,metadata=0x1/0xff,dl_src=aa:bb:cc:00:00:00/ff:ff:ff:00:00:00,nw_src=10.0.0.0/255.0.255.0,nw_dst=10.1.0.0/16 actions=drop"
        let e = try FlowText.parse(line)
        #expect(e.match[.nxRegister(2)] == .register(2, 0x10, mask: 0xf0))
        #expect(e.match[.ipv4Src]?.mask == OXMValue(0xff00_ff00, width: 4))
        #expect(FlowText.render(e) == line)
        // Values are ANDed with their mask; full masks become exact; zero masks drop the field.
        let m = try FlowText.parseMatch("ip,nw_dst=10.1.2.3/16,nw_src=1.2.3.4/32,reg0=0/0")
        #expect(m == [.ethType(0x0800), OXMField(.ipv4Src, 0x0102_0304), OXMField(.ipv4Dst, 0x0a01_0000, mask: 0xffff_0000)])
    }

    @Test func ipv6Text() throws {
        let cases = ["::", "::1", "1::", "2001:db8::1", "1:0:0:1::1", "1:0:1:0:1:0:1:0", "::1.2.3.4", "::ffff:1.2.3.4",
                     "fe80::1:2:3:4", "2001:db8::1:0:0:1", "1:2:3:4:5:6:7:8"]
        for c in cases {
            let line = "ipv6,ipv6_src=\(c) actions=drop"
            #expect(FlowText.render(try FlowText.parse(line)) == line)
        }
        let m = try FlowText.parseMatch("ipv6,ipv6_dst=2001:db8::/32,ipv6_src=2001:db8::/ffff::ffff")
        #expect(FlowText.renderMatch(m) == "ipv6,ipv6_src=2001::/ffff::ffff,ipv6_dst=2001:db8::/32")
    }

    @Test func headerItems() throws {
        let line = "cookie=0x1f, table=3, idle_timeout=30, hard_timeout=60, send_flow_rem check_overlap actions=drop"
        let e = try FlowText.parse(line)
        #expect(e == FlowEntry(cookie: 0x1f, tableID: 3, idleTimeout: 30, hardTimeout: 60, flags: [.sendFlowRemoved, .checkOverlap]))
        #expect(FlowText.render(e) == line)
        // With counters (dump-flows without --no-stats) and leading space.
        let stats = " cookie=0x1f, duration=5.123s, table=3, n_packets=10, n_bytes=1000, idle_timeout=30, hard_timeout=60, send_flow_rem check_overlap actions=drop"
        #expect(try FlowText.parse(stats) == e)
        #expect(FlowText.render(FlowEntry(priority: 0x8000, match: [.inPort(1)])) == "in_port=1 actions=drop")
        #expect(FlowText.render(FlowEntry(priority: 0)) == "priority=0 actions=drop")
        #expect(FlowText.render(FlowEntry(flags: FlowMod.Flags(rawValue: 0x41))) == "send_flow_rem flags=0x40 actions=drop")
        #expect(try FlowText.parse("send_flow_rem flags=0x40 actions=drop").flags.rawValue == 0x41)
    }

    @Test func aliases() throws {
        let a = try FlowText.parse("table=2 in_port=1,dl_type=0x0800,nw_proto=6,priority=7,tcp_dst=80 actions=output:1")
        let b = try FlowText.parse("tcp,priority=7,in_port=1,table=2,tp_dst=80 actions=1")
        #expect(a == b)
        #expect(a.match == [.inPort(1), .ethType(0x0800), OXMField(.ipProto, 6), OXMField(.tcpDst, 80)])
        #expect(FlowText.render(a) == "table=2, priority=7,tcp,in_port=1,tp_dst=80 actions=output:1")
        #expect(try FlowText.parseMatch("ip") == [.ethType(0x0800)])
        #expect(try FlowText.parseMatch("udp,tp_src=5") == [.ethType(0x0800), OXMField(.ipProto, 17), OXMField(.udpSrc, 5)])
        #expect(try FlowText.parseActions("output:controller,controller,controller:100,normal,in_port,local") == [.applyActions([
            .output(.controller), .output(.controller), .output(port: .controller, maxLength: 100), .output(.normal), .output(.inPort),
            .output(.local),
        ])])
        #expect(try FlowText.parseMatch("in_port=65534") == [.inPort(.local)])
        #expect(try FlowText.parseMatch("in_port=65280") == [.inPort(PortNumber(0xffff_ff00))])
    }

    @Test func actionsRoundTrip() throws {
        let actions: [Action] = [
            .output(3), .output(.controller), .output(port: .controller, maxLength: 128), .output(.normal), .output(.flood),
            .output(.all), .output(.local), .output(.inPort), .output(.table), .output(.any), .output(PortNumber(0xff05)),
            .output(PortNumber(0xffff_ff05)), .output(PortNumber(70000)),
            .copyTTLOut, .copyTTLIn, .setMPLSTTL(5), .decMPLSTTL, .pushVLAN(ethertype: 0x88a8), .popVLAN,
            .pushMPLS(ethertype: 0x8848), .popMPLS(ethertype: 0x86dd), .setQueue(7), .group(9), .setNWTTL(3), .decNWTTL,
            .pushPBB(ethertype: 0x88e7), .popPBB,
            .resubmit(inPort: Action.niciraInPort, table: 4), .resubmit(inPort: 5, table: 255), .resubmit(inPort: 5, table: 6),
            .resubmit(inPort: Action.niciraInPort, table: 255), .resubmit(inPort: 0xfffe, table: 1),
            .outputTruncated(port: 1, maxLength: 100), .outputTruncated(port: 0xfffe, maxLength: 64),
            .clone([.setField(.tunnelID(0x64)), .outputTruncated(port: 100, maxLength: 128)]), .clone([]),
            .clone([.clone([.output(3)]), .group(9)]),
            .setField(.tunnelID(0x64)), .setField(.tunnelIPv4Dst(IPv4Address(192, 0, 2, 1))), .setField(.vlanVID(4106)),
            .setField(.register(3, 7)), .setField(.metadata(1)), .setField(OXMField(.packetRegister(2), 1)),
            .setField(OXMField(.ipv6Src, value: OXMValue(hi: 0x2001_0db8_0000_0000, lo: 1))),
            .setField(OXMField(.tunnelID, 5, mask: 0xff)),
            .setField(OXMField(.nxTunnelID, 5)),
            .setField(OXMField(OXMFieldID(.nxm1, 100), value: OXMValue(bytes: [1, 2, 3]))),
            .experimenter(id: ExperimenterID.nicira, body: [0, 8, 0xaa, 0xbb, 0, 0, 0, 0]),
            .experimenter(id: 0x1234, body: []),
            .unknown(type: 0x1c, body: [0, 0, 0, 0]),
        ]
        let entry = FlowEntry(match: [.inPort(1)], instructions: [
            .meter(3), .applyActions(actions), .clearActions, .writeActions([.output(4), .group(1)]), .writeMetadata(1, mask: .max),
            .gotoTable(4), .experimenter(id: 0xabcd, body: [1, 2, 3, 4]), .unknown(type: 9, body: [0, 0, 0, 0]),
        ])
        let line = FlowText.render(entry)
        #expect(try FlowText.parse(line) == entry)
        #expect(FlowText.render(try FlowText.parse(line)) == line)
        #expect(FlowText.renderAction(.experimenter(id: ExperimenterID.nicira, body: [0, 8, 0xaa, 0xbb, 0, 0, 0, 0]))
            == "experimenter(0x00002320,0008aabb00000000)")
        #expect(FlowText.renderAction(.resubmit(inPort: Action.niciraInPort, table: 255)) == "resubmit(,)")
        #expect(FlowText.renderAction(.output(PortNumber(0xff05))) == "output:0xff05")
        #expect(FlowText.renderAction(.setField(OXMField(.nxm1Register100()))) == "set_field:0x010203->oxm:0001:100")
        #expect(FlowText.renderActions([.writeActions([])]) == "write_actions(drop)")
        #expect(try FlowText.parseActions("write_actions(drop)") == [.writeActions([])])
    }

    @Test func genericMatchFields() throws {
        let m: Match = [
            .inPort(1), OXMField(.tunnelID, 0x5, mask: 0xffff_ffff_ffff_ffff), OXMField(.nxTunnelID, 7),
            OXMField(OXMFieldID(.experimenter, 42), value: OXMValue(bytes: [0x4f, 0x4e, 0x46, 0x00]), mask: OXMValue(bytes: [0, 2, 0, 2])),
            OXMField(.inPort, 2),
        ]
        let text = FlowText.renderMatch(m)
        #expect(text == "in_port=1,oxm:8000:0=0x00000002,oxm:8000:38=0x0000000000000005/0xffffffffffffffff,oxm:0001:16=0x0000000000000007,oxm:ffff:42=0x4f4e4600/0x00020002")
        // Encoding order: a repeated field follows its first occurrence, other generic items come after the registers.
        let back = try FlowText.parseMatch(text)
        #expect(back == Match([m.fields[0], m.fields[4], m.fields[1], m.fields[2], m.fields[3]]))
        #expect(FlowText.renderMatch(back) == text)
    }

    @Test func canonicalForm() throws {
        // Out of encoding order and with an empty apply-actions: canonical() is what the text reads back as.
        let e = FlowEntry(match: [OXMField(.ipProto, 6), .ethType(0x0800), .inPort(3)],
                          instructions: [.gotoTable(1), .applyActions([])])
        let c = e.canonical
        #expect(c.match == [.inPort(3), .ethType(0x0800), OXMField(.ipProto, 6)])
        #expect(c.instructions == [.gotoTable(1)])
        #expect(FlowText.render(c) == FlowText.render(e))
        #expect(try FlowText.parse(FlowText.render(c)) == c)
    }

    @Test(arguments: groupLines)
    func groupRoundTrip(line: String) throws {
        let g = try GroupText.parse(line)
        #expect(GroupText.render(g) == line)
        #expect(try GroupText.parse(GroupText.render(g)) == g)
    }

    @Test func groupAllBuckets() throws {
        let g = try GroupText.parse(Self.groupLines[0])
        #expect(g.type == .all)
        #expect(g.groupID == 1)
        #expect(g.buckets.count == 3)
        #expect(g.buckets[0] == Bucket(actions: [.output(3)]))
        #expect(g.buckets[2].actions.count == 3)
        // Bucket actions without actions=, and a bucket weight on an all group.
        let h = try GroupText.parse("group_id=5,type=all,bucket=output:1,bucket=weight:3,output:2")
        #expect(h.buckets == [Bucket(actions: [.output(1)]), Bucket(weight: 3, actions: [.output(2)])])
        #expect(GroupText.render(h) == "group_id=5,type=all,bucket=actions=output:1,bucket=weight:3,actions=output:2")
        let odd = GroupDescription(type: GroupType(rawValue: 9), groupID: 6, buckets: [Bucket(weight: 0, actions: [])])
        #expect(try GroupText.parse(GroupText.render(odd)) == odd)
    }

    @Test(arguments: meterTexts)
    func meterRoundTrip(text: String) throws {
        let m = try MeterText.parse(text)
        #expect(MeterText.render(m) == text)
    }

    @Test func meterForms() throws {
        let m = try MeterText.parse("meter=1,kbps,burst,band=type=drop,rate=1000,burst_size=10")
        #expect(m == MeterConfig(flags: [.kbps, .burst], meterID: 1, bands: [.drop(rate: 1000, burstSize: 10)]))
        let odd = MeterConfig(flags: MeterMod.Flags(rawValue: 0x31), meterID: Reserved.meterController, bands: [
            .experimenter(rate: 1, burstSize: 2, experimenter: 0x2320, body: [1, 2, 3, 4]),
            .unknown(type: 7, rate: 3, burstSize: 4, body: []), .drop(rate: 5, burstSize: 0),
        ])
        let text = MeterText.render(odd)
        #expect(text == "meter=controller kbps flags:0x30 bands=\ntype=experimenter rate=1 burst_size=2 experimenter=0x00002320 data=01020304\ntype=0x0007 rate=3 burst_size=4\ntype=drop rate=5")
        #expect(try MeterText.parse(text) == odd)
        // Like ovs-ofctl, a burst size without the burst flag is not shown.
        let noFlag = MeterConfig(flags: [.pktps], meterID: 9, bands: [.dscpRemark(rate: 5, burstSize: 3, precedenceLevel: 1)])
        #expect(MeterText.render(noFlag) == "meter=9 pktps bands=\ntype=dscp_remark rate=5 prec_level=1")
    }
}

extension OXMFieldID {
    static func nxm1Register100() -> OXMFieldID { OXMFieldID(.nxm1, 100) }
}

extension OXMField {
    init(_ id: OXMFieldID) { self.init(id, value: OXMValue(bytes: [1, 2, 3])) }
}
