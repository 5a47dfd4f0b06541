import NIOCore
import OpenFlow
import OpenFlowText
import TaaSTestSupport
import Testing

/// The codec against a running ovs-vswitchd (userspace datapath, started privately): what we
/// send is accepted and reads back as sent; everything the switch sends decodes and
/// re-encodes to the identical bytes.
@Suite(.serialized, .offCooperativePool) final class RealSwitchTests {
    let node: OVSNode
    let client: OpenFlowTestClient

    init() throws {
        node = try OVSNode()
        do {
            try node.addIntegrationBridge(datapathID: 0xa1)
            client = try OpenFlowTestClient(unixPath: node.mgmtPath())
        } catch {
            node.stop()
            throw error
        }
    }

    deinit {
        client.close()
        node.stop()
    }

    /// Every message the switch sent decoded, and re-encodes to the bytes it sent.
    func expectSwitchBytesRoundTrip() {
        #expect(client.decodingErrors.isEmpty, "\(client.decodingErrors)")
        for (m, bytes) in client.receivedWithBytes {
            #expect(Array(m.encoded().readableBytesView) == bytes, "\(m.type)")
        }
    }

    @Test func handshakeAndSwitchDescriptions() throws {
        let features = try client.request(.featuresRequest)
        guard case .featuresReply(let f)? = features.first?.payload else { Issue.record("no features reply"); return }
        #expect(f.datapathID == 0xa1)
        let hello = try #require(client.received.first)
        guard case .hello = hello.payload else { Issue.record("first message is not HELLO"); return }
        #expect(hello.version == 4)

        let desc = try client.request(.multipartRequest(MultipartRequest(.desc)))
        guard case .multipartReply(let r)? = desc.first?.payload, case .desc(let d) = r.body else { Issue.record("no desc"); return }
        #expect(d.manufacturer == "Nicira, Inc." && d.hardware == "Open vSwitch")

        let ports = try client.request(.multipartRequest(MultipartRequest(.portDesc)))
        guard case .multipartReply(let pr)? = ports.first?.payload, case .portDesc(let list) = pr.body else { Issue.record("no ports"); return }
        #expect(list.contains { $0.portNumber == .local && $0.name == "br-int" })

        // The switch's TABLE_FEATURES reply is long, in many parts, with every property kind.
        let tables = try client.request(.multipartRequest(MultipartRequest(.tableFeatures([]))))
        let features2 = tables.flatMap { m -> [TableFeatures] in
            if case .multipartReply(let r) = m.payload, case .tableFeatures(let t) = r.body { return t }
            return []
        }
        #expect(features2.count == 254)
        #expect(features2.first?.properties.isEmpty == false)
        for request in [MultipartRequest(.table), MultipartRequest(.portStats(port: .any)), MultipartRequest(.groupFeatures),
                        MultipartRequest(.meterFeatures), MultipartRequest(.aggregate(FlowStatsRequest()))] {
            let reply = try client.request(.multipartRequest(request))
            guard case .multipartReply? = reply.first?.payload else { Issue.record("\(request.type): \(reply)"); continue }
        }
        _ = try client.request(.getConfigRequest)
        _ = try client.request(.getAsyncRequest)
        _ = try client.request(.roleRequest(RoleMessage(role: .noChange)))
        _ = try client.request(.echoRequest([1, 2, 3]))
        expectSwitchBytesRoundTrip()
    }

    @Test func bundledFlowsReadBackAsSent() throws {
        // The tunnel flow uses group 5 and meter 3: create them first.
        let setup = try client.sendWithBarrier([
            .groupMod(GroupMod(command: .add, type: .all, groupID: 5, buckets: [
                Bucket(actions: [.output(.normal)]),
                Bucket(actions: [.setField(.tunnelIPv4Dst(IPv4Address(198, 51, 100, 12))), .setField(.tunnelID(0x64)), .output(.inPort)]),
            ])),
            .meterMod(MeterMod(command: .add, flags: [.kbps, .stats], meterID: 3, bands: [.drop(rate: 1000, burstSize: 0)])),
        ])
        #expect(setup.isEmpty, "switch rejected setup: \(setup)")

        let flows = [Samples.mirrorFlowMod, Samples.tunnelFlow]
        let xid = client.makeXID()
        client.send(OpenFlowMessage(xid: xid, .bundleControl(BundleControl(bundleID: 1, type: .openRequest))))
        for f in flows { client.send(OpenFlowMessage(xid: client.makeXID(), .bundleAdd(BundleAdd(bundleID: 1, message: .flowMod(f))))) }
        let commitXID = client.makeXID()
        client.send(OpenFlowMessage(xid: commitXID, .bundleControl(BundleControl(bundleID: 1, type: .commitRequest))))
        let commit = try client.waitFor(xid: commitXID) { !$0.isEmpty }
        #expect(commit.first?.payload == .bundleControl(BundleControl(bundleID: 1, type: .commitReply, flags: [])), "\(commit)")
        #expect(try client.waitFor(xid: xid) { !$0.isEmpty }.first?.payload
            == .bundleControl(BundleControl(bundleID: 1, type: .openReply, flags: [])))

        // ovs-ofctl reads back exactly what we installed.
        let text = try node.ofctl("dump-flows", options: ["--no-stats"])
        #expect(text == """
             cookie=0x1234, priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff actions=output:3,set_field:0x64->tun_id,output:100
             cookie=0xa000000000000001, table=2, send_flow_rem priority=200,reg0=0x7/0xff,tun_id=0x1000/0xfffff000,tun_dst=198.51.100.12,metadata=0x1/0xff,in_port=5 actions=meter:3,push_vlan:0x8100,set_field:4106->vlan_vid,pop_vlan,group:5,resubmit(,4),output(port=2,max_len=100),clear_actions,write_actions(output:4),write_metadata:0x1/0xff,goto_table:4

            """)

        // And so does our own FLOW stats request.
        let reply = try client.request(.multipartRequest(MultipartRequest(.flow(FlowStatsRequest()))))
        let stats = reply.flatMap { m -> [FlowStats] in
            if case .multipartReply(let r) = m.payload, case .flow(let s) = r.body { return s }
            return []
        }.sorted { $0.tableID < $1.tableID }
        #expect(stats.count == 2)
        // Our text form of what the switch reported is ovs-ofctl's, line for line.
        #expect(FlowText.renderSorted(stats.map(FlowEntry.init)) == text.split(separator: "\n").map { $0.dropFirst() + "\n" }.joined())
        for (s, f) in zip(stats, flows) {
            #expect(s.cookie == f.cookie && s.tableID == f.tableID && s.priority == f.priority && s.flags == f.flags)
            #expect(Set(s.match.fields) == Set(f.match.fields))
            #expect(s.instructions == f.instructions)
        }
        let groups = try client.request(.multipartRequest(MultipartRequest(.groupDesc)))
        guard case .multipartReply(let g)? = groups.first?.payload, case .groupDesc(let descs) = g.body else { Issue.record("no groups"); return }
        #expect(descs.first?.groupID == 5 && descs.first?.buckets.count == 2)
        let meters = try client.request(.multipartRequest(MultipartRequest(.meterConfig(meterID: Reserved.meterAll))))
        guard case .multipartReply(let mr)? = meters.first?.payload, case .meterConfig(let configs) = mr.body else { Issue.record("no meters"); return }
        // Without the burst flag, Open vSwitch reports the burst size it chose (the rate).
        #expect(configs == [MeterConfig(flags: [.kbps, .stats], meterID: 3, bands: [.drop(rate: 1000, burstSize: 1000)])])
        expectSwitchBytesRoundTrip()
    }

    /// Our `Match.validate()` answers invalid matches with the error Open vSwitch itself sends.
    @Test(arguments: [
        ("prerequisite missing", Match([OXMField(.tcpDst, 80)])),
        ("wrong IP protocol", Match([.ethType(0x0800), OXMField(.ipProto, 17), OXMField(.tcpDst, 80)])),
        ("IPv4 field on IPv6", Match([.ethType(0x86dd), OXMField(.ipv4Src, 1)])),
        ("duplicate field", Match([.inPort(1), .inPort(2)])),
        ("ICMPv4 field on IPv6", Match([.ethType(0x86dd), OXMField(.ipProto, 1), OXMField(.icmpv4Type, 8)])),
        ("value outside its mask", Match([OXMField(.inPort, 1, mask: 0)])),
    ])
    func invalidMatchesGetTheSameErrorFromOVS(name: String, match: Match) throws {
        var ours: ErrorCode?
        do { try match.validate() } catch { ours = error.code }
        let replies = try client.sendWithBarrier([.flowMod(FlowMod(priority: 1, match: match))])
        guard case .error(let e)? = replies.first?.payload else { Issue.record("\(name): switch accepted it: \(replies)"); return }
        #expect(ours == e.code, "\(name): we say \(String(describing: ours)), OVS says \(e.code)")
    }

    /// A malformed message reaches the switch and is answered with the error our decoder would send.
    @Test func malformedFlowModGetsTheSameErrorFromOVS() throws {
        var bytes = Array(OpenFlowMessage(xid: 4242, .flowMod(Samples.mirrorFlowMod)).encoded().readableBytesView)
        // An unknown match type. (For type 0, OFPMT_STANDARD, Open vSwitch checks the OpenFlow 1.1
        // match length first and answers BAD_LEN; the spec's BAD_TYPE is what we send.)
        bytes[49] = 5
        var ours: ErrorCode?
        var b = ByteBuffer(bytes: bytes)
        do { _ = try b.readOpenFlowMessage() } catch { ours = error.code }
        client.send(bytes: bytes)
        let reply = try client.waitFor(xid: 4242) { !$0.isEmpty }
        guard case .error(let e)? = reply.first?.payload else { Issue.record("no error: \(reply)"); return }
        #expect(e.code == ours, "OVS: \(e.code), ours: \(String(describing: ours))")
        #expect(e.data.prefix(8) == bytes.prefix(8)[...])
    }
}
