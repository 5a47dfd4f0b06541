import OpenFlow
import TaaSTestSupport
import Testing

/// (a) of the interop proof: every message the codec encodes is decoded by Open vSwitch's
/// own `ovs-ofctl ofp-print`, and the text it prints is checked field by field.
@Suite struct OfpPrintTests {
    /// What ovs-ofctl must print for each sample: its header, then the decoded fields.
    static let expectations: [String: [String]] = [
        "hello": ["OFPT_HELLO (OF1.3) (xid=0x1):", "version bitmap: 0x01, 0x04"],
        "hello-bare": ["OFPT_HELLO (OF1.5) (xid=0x1):"],
        "error": ["OFPT_ERROR (OF1.3) (xid=0x42): OFPBMC_BAD_PREREQ", "OFPT_BARRIER_REQUEST (OF1.3) (xid=0x42)"],
        "error-experimenter": ["OFPT_ERROR (OF1.3) (xid=0x42): OFPBFC_MSG_FAILED"],
        "echo-request": ["OFPT_ECHO_REQUEST (OF1.3) (xid=0x42): 3 bytes of payload", "01 02 03"],
        "echo-reply": ["OFPT_ECHO_REPLY (OF1.3) (xid=0x42): 0 bytes of payload"],
        "features-request": ["OFPT_FEATURES_REQUEST (OF1.3) (xid=0x42):"],
        "features-reply": ["OFPT_FEATURES_REPLY (OF1.3) (xid=0x42): dpid:00000000000000a1", "n_tables:254, n_buffers:0",
                           "capabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS QUEUE_STATS"],
        "get-config-request": ["OFPT_GET_CONFIG_REQUEST (OF1.3) (xid=0x42):"],
        "get-config-reply": ["OFPT_GET_CONFIG_REPLY (OF1.3) (xid=0x42): frags=normal miss_send_len=128"],
        "set-config": ["OFPT_SET_CONFIG (OF1.3) (xid=0x42): frags=normal miss_send_len=65535"],
        "packet-in": ["OFPT_PACKET_IN (OF1.3) (xid=0x42): table_id=3 cookie=0x99 total_len=60 in_port=2 (via action) data_len=60 (unbuffered)",
                      "dl_src=ab:ab:ab:ab:ab:ab,dl_dst=ab:ab:ab:ab:ab:ab,dl_type=0xabab"],
        "flow-removed": ["OFPT_FLOW_REMOVED (OF1.3) (xid=0x42): priority=100,in_port=1,dl_src=02:00:00:00:00:01 reason=delete table_id=1 cookie:0x7 duration5.00000001s idle30 pkts9 bytes900"],
        "port-status": ["OFPT_PORT_STATUS (OF1.3) (xid=0x42): ADD: 1(vm1): addr:02:00:00:00:00:01", "state:      LIVE",
                        "speed: 10000 Mbps now, 0 Mbps max"],
        "packet-out": ["OFPT_PACKET_OUT (OF1.3) (xid=0x42): in_port=CONTROLLER actions=NORMAL data_len=4"],
        "flow-mod-mirror": ["OFPT_FLOW_MOD (OF1.3) (xid=0x42): ADD priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff cookie:0x1234 actions=output:3,set_field:0x64->tun_id,output:100"],
        "flow-mod-tunnel": ["OFPT_FLOW_MOD (OF1.3) (xid=0x42): ADD table:2 priority=200,reg0=0x7/0xff,tun_id=0x1000/0xfffff000,tun_dst=198.51.100.12,metadata=0x1/0xff,in_port=5 cookie:0xa000000000000001 send_flow_rem actions=meter:3,push_vlan:0x8100,set_field:4106->vlan_vid,pop_vlan,group:5,resubmit(,4),output(port=2,max_len=100),clear_actions,write_actions(output:4),write_metadata:0x1/0xff,goto_table:4"],
        "flow-mod-ipv6": ["OFPT_FLOW_MOD (OF1.3) (xid=0x42): DEL_STRICT table:1 priority=10,icmp6,ipv6_src=2001:db8::1,icmp_type=135,nd_target=2001:db8::2 out_port:7 actions=dec_ttl,mod_nw_ttl:9,set_queue:1"],
        "flow-mod-mpls": ["OFPT_FLOW_MOD (OF1.3) (xid=0x42): ADD table:3 priority=1,mpls,mpls_label=16 actions=push_mpls:0x8847,set_mpls_ttl(5),dec_mpls_ttl,pop_mpls:0x0800"],
        "group-mod": ["OFPT_GROUP_MOD (OF1.3) (xid=0x42):",
                      "ADD group_id=1,type=all,bucket=actions=output:3,bucket=actions=set_field:198.51.100.12->tun_dst,set_field:0x64->tun_id,output:100"],
        "group-mod-delete": ["DEL group_id=4294967292,type=all"],
        "port-mod": ["OFPT_PORT_MOD (OF1.3) (xid=0x42): port: 1: addr:02:00:00:00:00:01", "config: PORT_DOWN", "mask:   PORT_DOWN"],
        "table-mod": ["OFPT_TABLE_MOD (OF1.3) (xid=0x42): table_id: ALL_TABLES"],
        "mp-desc": ["OFPST_DESC request (OF1.3) (xid=0x42):"],
        "mp-flow": ["OFPST_FLOW request (OF1.3) (xid=0x42): in_port=1"],
        "mp-aggregate": ["OFPST_AGGREGATE request (OF1.3) (xid=0x42):"],
        "mp-table": ["OFPST_TABLE request (OF1.3) (xid=0x42):"],
        "mp-port-stats": ["OFPST_PORT request (OF1.3) (xid=0x42): port_no=ANY"],
        "mp-queue": ["OFPST_QUEUE request (OF1.3) (xid=0x42): port=ANY queue=ALL"],
        "mp-group": ["OFPST_GROUP request (OF1.3) (xid=0x42): group_id=ALL"],
        "mp-group-desc": ["OFPST_GROUP_DESC request (OF1.3) (xid=0x42): group_id=ALL"],
        "mp-group-features": ["OFPST_GROUP_FEATURES request (OF1.3) (xid=0x42):"],
        "mp-meter": ["OFPST_METER request (OF1.3) (xid=0x42): meter=all"],
        "mp-meter-config": ["OFPST_METER_CONFIG request (OF1.3) (xid=0x42): meter=all"],
        "mp-meter-features": ["OFPST_METER_FEATURES request (OF1.3) (xid=0x42):"],
        "mp-table-features": ["OFPST_TABLE_FEATURES request (OF1.3) (xid=0x42):"],
        "mp-port-desc": ["OFPST_PORT_DESC request (OF1.3) (xid=0x42): port=ANY"],
        "mpr-desc": ["OFPST_DESC reply (OF1.3) (xid=0x42):", "Manufacturer: Nicira, Inc.", "Hardware: Open vSwitch", "Software: 3.1.0",
                     "Serial Num: None", "DP Description: None"],
        "mpr-flow": ["OFPST_FLOW reply (OF1.3) (xid=0x42): flags=[more]",
                     " cookie=0x1234, duration=1.000000002s, table=0, n_packets=3, n_bytes=4, priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff actions=output:3,set_field:0x64->tun_id,output:100",
                     " cookie=0x0, duration=0s, table=1, n_packets=0, n_bytes=0, priority=0 actions=drop"],
        "mpr-aggregate": ["OFPST_AGGREGATE reply (OF1.3) (xid=0x42): packet_count=1 byte_count=2 flow_count=3"],
        "mpr-table": ["OFPST_TABLE reply (OF1.3) (xid=0x42):", "table 0:", "active=2, lookup=30, matched=20"],
        "mpr-port-stats": ["OFPST_PORT reply (OF1.3) (xid=0x42): 1 ports", "port  1: rx pkts=1, bytes=3, drop=0, errs=0, frame=0, over=0, crc=0",
                           "tx pkts=2, bytes=4, drop=0, errs=0, coll=5", "duration=6s"],
        "mpr-queue": ["OFPST_QUEUE reply (OF1.3) (xid=0x42): 1 queues", "port 1 queue 0: bytes=1, pkts=2, errors=0, duration=0s"],
        "mpr-group": ["group_id=1,duration=0s,ref_count=2,packet_count=3,byte_count=4,bucket0:packet_count=1,byte_count=2"],
        "mpr-group-desc": ["OFPST_GROUP_DESC reply (OF1.3) (xid=0x42):", "group_id=1,type=all,bucket=actions=output:3"],
        "mpr-group-features": ["OFPST_GROUP_FEATURES reply (OF1.3) (xid=0x42):", "Types:  0xf", "Capabilities:  0x7", "max_groups=0xffff"],
        "mpr-meter": ["meter:1 flow_count:1 packet_in_count:5 byte_in_count:50 duration:0s bands:", "0: packet_count:1 byte_count:10"],
        "mpr-meter-config": ["OFPST_METER_CONFIG reply (OF1.3) (xid=0x42):", "meter=1 kbps bands=", "type=drop rate=1000"],
        "mpr-meter-features": ["max_meter:65536 max_bands:1 max_color:0", "band_types: drop", "capabilities: kbps pktps burst stats"],
        "mpr-table-features": ["OFPST_TABLE_FEATURES reply (OF1.3) (xid=0x42):", "table 0 (\"classifier\"):", "max_entries=1000000",
                               "instructions: apply_actions goto_table", "next tables: 1-3",
                               "Write-Actions features:", "actions: output group", "supported on Set-Field: tun_{id,dst}"],
        "mpr-port-desc": ["OFPST_PORT_DESC reply (OF1.3) (xid=0x42):", "1(vm1): addr:02:00:00:00:00:01", "LOCAL(br-int): addr:aa:bb:cc:dd:ee:ff",
                          "state:      LINK_DOWN"],
        "barrier-request": ["OFPT_BARRIER_REQUEST (OF1.3) (xid=0x42):"],
        "barrier-reply": ["OFPT_BARRIER_REPLY (OF1.3) (xid=0x42):"],
        "queue-get-config-request": ["OFPT_QUEUE_GET_CONFIG_REQUEST (OF1.3) (xid=0x42): port=1"],
        "queue-get-config-reply": ["OFPT_QUEUE_GET_CONFIG_REPLY (OF1.3) (xid=0x42): port=1", "queue 1: min_rate:10.0% max_rate:90.0%"],
        "role-request": ["OFPT_ROLE_REQUEST (OF1.3) (xid=0x42): role=primary generation_id=5"],
        "role-reply": ["OFPT_ROLE_REPLY (OF1.3) (xid=0x42): role=equal generation_id=0"],
        "get-async-request": ["OFPT_GET_ASYNC_REQUEST (OF1.3) (xid=0x42):"],
        "get-async-reply": ["OFPT_GET_ASYNC_REPLY (OF1.3) (xid=0x42):", "PACKET_IN: no_match action invalid_ttl",
                            "FLOW_REMOVED: idle hard delete group_delete"],
        "set-async": ["OFPT_SET_ASYNC (OF1.3) (xid=0x42):", "PACKET_IN: no_match", "PORT_STATUS: add delete modify"],
        "meter-mod": ["OFPT_METER_MOD (OF1.3) (xid=0x42): ADD meter=1 kbps burst stats bands=",
                      "type=drop rate=1000 burst_size=100", "type=dscp_remark rate=2000 burst_size=200 prec_level=1"],
        "bundle-open": ["ONFT_BUNDLE_CONTROL (OF1.3) (xid=0x42):", "bundle_id=0x1 type=OPEN_REQUEST flags=atomic ordered"],
        "bundle-commit-reply": ["bundle_id=0x1 type=COMMIT_REPLY flags=0"],
        "bundle-add": ["ONFT_BUNDLE_ADD_MESSAGE (OF1.3) (xid=0x42):", "bundle_id=0x1 flags=atomic ordered",
                       "OFPT_FLOW_MOD (OF1.3) (xid=0x42): ADD priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff cookie:0x1234 actions=output:3,set_field:0x64->tun_id,output:100"],
    ]

    static let checked = Samples.allMessages.map(\.0).filter { !Samples.beyondOpenVSwitch.contains($0) }

    @Test func everySampleHasAnExpectation() {
        #expect(Set(Self.checked) == Set(Self.expectations.keys))
    }

    @Test(arguments: checked)
    func openVSwitchDecodesWhatWeEncode(name: String) throws {
        let message = try #require(Samples.allMessages.first { $0.0 == name }).1
        let hex = Array(message.encoded().readableBytesView).hex
        let out = try Command.run("ovs-ofctl", ["ofp-print", hex])
        #expect(out.status == 0)
        #expect(!out.stdout.contains("decode error"), "\(out.stdout)")
        #expect(!out.stderr.contains("WARN"), "\(out.stderr)")
        for line in Self.expectations[name] ?? [] {
            #expect(out.stdout.contains(line), "missing «\(line)» in:\n\(out.stdout)")
        }
    }
}
