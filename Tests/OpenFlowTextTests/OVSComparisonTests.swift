import Foundation
import OpenFlow
import OpenFlowText
import Testing

/// Checks the text form against the real `ovs-ofctl` 3.x: what it prints back for a flow,
/// and the bytes it would send.
@Suite("Against ovs-ofctl")
struct OVSComparisonTests {
    /// Varied flows in `add-flow` syntax (aliases and all); OVS prints each back in dump-flows form.
    static let flows: [String] = [
        "priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff actions=output:3,set_field:0x64->tun_id,set_field:198.51.100.12->tun_dst,output:100",
        "table=0,priority=200,in_port=2 actions=resubmit(,1)",
        "table=1,priority=10,tun_id=0x64,in_port=5 actions=goto_table:2",
        "table=3,priority=5,ip,nw_src=10.0.0.0/8 actions=resubmit(,4),goto_table:5",
        "cookie=0x1f,table=3,idle_timeout=30,hard_timeout=60,send_flow_rem,check_overlap,actions=drop",
        "priority=0 actions=NORMAL",
        "in_port=LOCAL,vlan_tci=0x1000/0x1000 actions=NORMAL,CONTROLLER:65535,LOCAL,IN_PORT",
        "udp,reg2=0x10/0xf0,tun_id=0x5/0xff,tun_dst=10.0.0.0/8,metadata=0x1/0xff,dl_vlan=10,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,nw_dst=10.1.0.0/16,tp_dst=4789 actions=meter:3,push_vlan:0x8100,set_field:4106->vlan_vid,pop_vlan,group:5,clear_actions,write_actions(output:4),write_metadata:0x1/0xff,goto_table:4",
        "tcp,in_port=1,nw_tos=16,nw_ecn=1,tcp_src=80,tp_dst=0x50/0xfff0 actions=output:1",
        "arp,nw_src=1.2.3.4,arp_tpa=1.2.3.0/24,nw_proto=1,arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00/ff:00:00:00:00:00 actions=drop",
        "ipv6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::/32,ipv6_label=5 actions=output:7",
        "icmp6,icmp_type=135,icmp_code=0,nd_target=fe80::1,nd_sll=00:11:22:33:44:55 actions=output:2",
        "icmp,icmp_type=8,icmp_code=0 actions=dec_ttl,output:3",
        "dl_vlan=5,dl_vlan_pcp=3 actions=pop_vlan,output:2",
        "dl_vlan=0xffff actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:3",
        "vlan_tci=0x3005/0x3fff,priority=9 actions=strip_vlan,output:4",
        "vlan_pcp=6 actions=drop",
        "mpls,mpls_label=5,mpls_tc=1,mpls_bos=1 actions=pop_mpls:0x0800,output:1",
        "dl_type=0x0800 actions=push_mpls:0x8847,output:2",
        "sctp6,tp_src=1,tp_dst=2 actions=set_queue:5,output:1",
        "reg0=0x7,reg15=0x10/0xf0,xreg3=0x100000002 actions=output(port=1,max_len=100)",
        "in_port=1 actions=clone(set_field:192.0.2.2->tun_dst,set_field:0x65->tun_id,output(port=9,max_len=128)),output:2",
        "dl_type=0x88cc actions=CONTROLLER:100",
        "rarp actions=FLOOD,ALL,TABLE",
        "ip,nw_ttl=3,ip_frag=no actions=mod_nw_ttl:9,set_field:9->nw_ttl,set_field:8->nw_tos,mod_nw_tos:16",
        "ip,ip_frag=not_later,nw_src=10.0.0.0/255.0.255.0 actions=output:1",
        "ipv6,ipv6_src=::1.2.3.4,ipv6_dst=::ffff:1.2.3.4 actions=set_field:::1->ipv6_src,set_field:0x5->ipv6_label",
        "metadata=0x5,pkt_mark=0x7 actions=resubmit:3,resubmit(1,2),resubmit(IN_PORT,3),write_metadata:0x5",
        "priority=65535,dl_src=aa:bb:cc:00:00:00/ff:ff:ff:00:00:00,dl_type=0x0800 actions=set_field:aa:bb:cc:dd:ee:ff->eth_src,set_field:0x12345678->reg1,group:4294967040",
        "tun_src=192.0.2.7,tun_dst=192.0.2.8,in_port=9 actions=set_field:0->tun_id,set_field:1.2.3.4->tun_src,set_field:LOCAL->in_port,output:IN_PORT",
        "tun_ipv6_dst=2001:db8::2 actions=set_field:2001:db8::1->tun_ipv6_dst,set_field:0x1->xreg1,set_field:0x5->pkt_mark",
        "reset_counts,no_packet_counts,no_byte_counts,priority=7,in_port=3 actions=drop",
        "hard_timeout=10,idle_timeout=5,cookie=0xabc,table=7,priority=1,udp6,udp_dst=53 actions=meter:1,output:2",
        "tcp,tcp_dst=443 actions=mod_tp_dst:8443,mod_dl_src:00:00:5e:00:53:01,mod_nw_dst:192.0.2.1,output:1",
        "udp,udp_src=68 actions=set_field:67->udp_src,set_field:3->nw_ecn,set_field:4->ip_dscp,output:1",
        "in_port=4 actions=write_actions(set_field:0x5->reg3,group:1),goto_table:9",
        "in_port=4 actions=clear_actions",
        "in_port=4 actions=set_field:0x1005->vlan_tci,output:1",
        "in_port=1 actions=clone(set_field:0xf0000100->reg3,multipath(symmetric_l3l4+udp,0,hrw,3,0,NXM_NX_REG3[0..6]),resubmit(,8)),output:2",
        "reg3=0xf0000181 actions=multipath(eth_src,7,modulo_n,128,0,NXM_NX_REG0[]),multipath(symmetric_l4,65535,iter_hash,2,5,NXM_NX_REG15[8..15])",
    ]

    @Test("render(parse(line)) is what ovs-ofctl prints back", arguments: flows)
    func renderMatchesOVS(line: String) throws {
        try OVSOfctl.requireInstalled()
        let ovs = try OVSOfctl.parseFlow(line)
        let expected = OVSOfctl.dumpForm(fromFlowMod: ovs.text)
        let entry = try FlowText.parse(line)
        #expect(FlowText.render(entry) == expected)
        // OVS's own line reads back to the same entry and prints identically.
        let again = try FlowText.parse(expected)
        #expect(again == entry)
        #expect(FlowText.render(again) == expected)
    }

    @Test("a parsed line encodes to the bytes ovs-ofctl sends", arguments: flows)
    func bytesMatchOVS(line: String) throws {
        try OVSOfctl.requireInstalled()
        let ovs = try OVSOfctl.parseFlow(line)
        let entry = try FlowText.parse(line)
        let ours = Array(OpenFlowMessage(xid: 1, .flowMod(entry.flowMod())).encoded().readableBytesView)
        #expect(OVSOfctl.hex(ours) == OVSOfctl.hex(ovs.bytes))
    }

    /// The dump-flows line itself (header items included) through ofp-print of a flow-stats
    /// reply our codec encodes: ofp-print shows counters, which are dropped here.
    @Test("flow-stats reply printed by ovs-ofctl matches render")
    func flowStatsReply() throws {
        try OVSOfctl.requireInstalled()
        let entries = try Self.flows.map { try FlowText.parse($0) }
        let stats = entries.map {
            FlowStats(tableID: $0.tableID, priority: $0.priority, idleTimeout: $0.idleTimeout, hardTimeout: $0.hardTimeout,
                      flags: $0.flags, cookie: $0.cookie, match: $0.match, instructions: $0.instructions)
        }
        let msg = OpenFlowMessage(xid: 2, .multipartReply(MultipartReply(.flow(stats))))
        let printed = try OVSOfctl.ofpPrint(Array(msg.encoded().readableBytesView))
        let lines = printed.split(separator: "\n").dropFirst().map { line -> String in
            var s = String(line.dropFirst())  // leading space
            // Counters and the always-shown cookie/table, which --no-stats leaves out.
            s = s.replacingOccurrences(of: #"duration=[0-9.]+s, "#, with: "", options: .regularExpression)
            s = s.replacingOccurrences(of: #"n_packets=[0-9]+, n_bytes=[0-9]+, "#, with: "", options: .regularExpression)
            if s.hasPrefix("cookie=0x0, ") { s.removeFirst("cookie=0x0, ".count) }
            s = s.replacingOccurrences(of: #"^(cookie=0x[0-9a-f]+, )?table=0, "#, with: "$1", options: .regularExpression)
            return s
        }
        #expect(lines == entries.map(FlowText.render))
    }

    @Test("dump-groups text matches ovs-ofctl's print of a group-desc reply")
    func groups() throws {
        try OVSOfctl.requireInstalled()
        let groups = try RoundTripTests.groupLines.map { try GroupText.parse($0) }
        let msg = OpenFlowMessage(xid: 2, .multipartReply(MultipartReply(.groupDesc(groups))))
        let printed = try OVSOfctl.ofpPrint(Array(msg.encoded().readableBytesView))
        let lines = printed.split(separator: "\n").dropFirst().map { String($0.dropFirst()) }
        #expect(lines == groups.map(GroupText.render))
        #expect(lines == RoundTripTests.groupLines)
    }

    @Test("parse-group agrees on what a group line means")
    func parseGroup() throws {
        try OVSOfctl.requireInstalled()
        for line in RoundTripTests.groupLines {
            let r = try OVSOfctl.run(["-O", "OpenFlow13", "-mmmmm", "parse-group", line])
            let lines = r.stdout.split(separator: "\n").map(String.init)
            let text = lines.first { $0.hasPrefix(" ADD ") }.map { String($0.dropFirst(5)) }
            #expect(text == line)
            let g = try GroupText.parse(line)
            let ours = OpenFlowMessage(xid: 1, .groupMod(GroupMod(command: .add, type: g.type, groupID: g.groupID, buckets: g.buckets)))
            #expect(OVSOfctl.hex(Array(ours.encoded().readableBytesView)) == OVSOfctl.hex(OVSOfctl.hexDump(lines)))
        }
    }

    @Test("dump-meters text matches ovs-ofctl's print of a meter-config reply")
    func meters() throws {
        try OVSOfctl.requireInstalled()
        let meters = try RoundTripTests.meterTexts.map { try MeterText.parse($0) }
        let msg = OpenFlowMessage(xid: 2, .multipartReply(MultipartReply(.meterConfig(meters))))
        let printed = try OVSOfctl.ofpPrint(Array(msg.encoded().readableBytesView))
        // Header line, then meters separated by blank lines.
        let body = printed.split(separator: "\n", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let blocks = body.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }
        #expect(blocks == meters.map(MeterText.render))
        #expect(blocks == RoundTripTests.meterTexts)
    }
}
