import OpenFlow

/// One message of every kind the codec knows, with realistic field values.
/// Shared by the round-trip, partial-read and `ovs-ofctl ofp-print` interop tests.
public enum Samples {
    public static let mac1 = EthernetAddress(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff)
    public static let mac2 = EthernetAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0x01)

    /// The canonical mirror flow: `priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:ff
    /// actions=output:3,set_field:0x64->tun_id,output:100` (128 bytes on the wire).
    public static let mirrorFlowMod = FlowMod(
        cookie: 0x1234, tableID: 0, command: .add, priority: 100,
        match: [.inPort(1), .ethDst(mac1)],
        instructions: [.applyActions([.output(3), .setField(.tunnelID(0x64)), .output(100)])]
    )

    public static let port1 = PortDescription(
        portNumber: 1, hardwareAddress: mac2, name: "vm1", config: 0, state: 4, current: 0x2820, advertised: 0,
        supported: 0, peer: 0, currentSpeed: 10_000_000, maxSpeed: 0)

    public static let tunnelFlow = FlowMod(
        cookie: 0xa000_0000_0000_0001, tableID: 2, command: .add, idleTimeout: 0, hardTimeout: 0, priority: 200,
        flags: [.sendFlowRemoved],
        match: [.inPort(5), .tunnelID(0x1000, mask: 0xffff_f000), .tunnelIPv4Dst(IPv4Address(198, 51, 100, 12)),
                .register(0, 7, mask: 0xff), .metadata(1, mask: 0xff)],
        instructions: [
            .meter(3),
            .applyActions([.pushVLAN(ethertype: 0x8100), .setField(OXMField(.vlanVID, 0x1000 | 10)), .popVLAN, .group(5),
                           .resubmit(inPort: Action.niciraInPort, table: 4), .outputTruncated(port: 2, maxLength: 100)]),
            .clearActions, .writeActions([.output(4)]), .writeMetadata(1, mask: 0xff), .gotoTable(4),
        ])

    public static let ipv6Flow = FlowMod(
        tableID: 1, command: .deleteStrict, priority: 10, outPort: 7, outGroup: 9,
        match: [.ethType(0x86dd), .ipProto(58), OXMField(.ipv6Src, value: OXMValue(hi: 0x2001_0db8_0000_0000, lo: 1)),
                OXMField(.icmpv6Type, 135), OXMField(.ipv6NDTarget, value: OXMValue(hi: 0x2001_0db8_0000_0000, lo: 2))],
        instructions: [.applyActions([.decNWTTL, .setNWTTL(9), .setQueue(1)])])

    public static let mplsActions: [Action] = [
        .pushMPLS(ethertype: 0x8847), .setMPLSTTL(5), .decMPLSTTL, .popMPLS(ethertype: 0x0800),
    ]

    /// Samples that Open vSwitch itself cannot decode: experimenter ids and actions it does
    /// not implement (OVS lacks copy_ttl_in/out and PBB), and deliberately unknown types.
    public static let beyondOpenVSwitch: Set<String> = [
        "experimenter", "mp-experimenter", "mpr-experimenter", "mpr-table-features-experimenter", "actions-ovs-lacks",
        "unknown-action-and-instruction",
    ]

    public static let allMessages: [(String, OpenFlowMessage)] = {
        var m: [(String, OpenFlowMessage)] = []
        func add(_ name: String, _ p: OpenFlowMessage.Payload, xid: UInt32 = 0x42) { m.append((name, OpenFlowMessage(xid: xid, p))) }
        m.append(("hello", OpenFlowMessage(xid: 1, .hello(.supporting([1, 4])))))
        m.append(("hello-bare", OpenFlowMessage(version: 6, xid: 1, .hello(Hello()))))
        add("error", .error(ErrorMessage(code: .badMatchBadPrereq, data: [4, 20, 0, 8, 0, 0, 0, 0x42])))
        add("error-experimenter", .error(ErrorMessage(code: .bundleMsgFailed, experimenter: ExperimenterID.onf, data: [])))
        add("echo-request", .echoRequest([1, 2, 3]))
        add("echo-reply", .echoReply([]))
        add("experimenter", .experimenter(ExperimenterMessage(experimenter: ExperimenterID.nicira, expType: 99, data: [0, 0, 0, 1])))
        add("features-request", .featuresRequest)
        add("features-reply", .featuresReply(SwitchFeatures(datapathID: 0x0000_0000_0000_00a1, nBuffers: 0, nTables: 254, capabilities: 0x4f)))
        add("get-config-request", .getConfigRequest)
        add("get-config-reply", .getConfigReply(SwitchConfig(flags: 0, missSendLength: 128)))
        add("set-config", .setConfig(SwitchConfig(flags: 0, missSendLength: 0xffff)))
        add("packet-in", .packetIn(PacketIn(totalLength: 60, reason: 1, tableID: 3, cookie: 0x99, match: [.inPort(2)],
                                           data: Array(repeating: 0xab, count: 60))))
        add("flow-removed", .flowRemoved(FlowRemoved(cookie: 7, priority: 100, reason: 2, tableID: 1, durationSec: 5, durationNsec: 10,
                                                    idleTimeout: 30, hardTimeout: 0, packetCount: 9, byteCount: 900,
                                                    match: [.inPort(1), .ethSrc(mac2)])))
        add("port-status", .portStatus(PortStatus(reason: .add, port: port1)))
        add("packet-out", .packetOut(PacketOut(inPort: .controller, actions: [.output(.normal)], data: [1, 2, 3, 4])))
        add("flow-mod-mirror", .flowMod(mirrorFlowMod))
        add("flow-mod-tunnel", .flowMod(tunnelFlow))
        add("flow-mod-ipv6", .flowMod(ipv6Flow))
        add("flow-mod-mpls", .flowMod(FlowMod(tableID: 3, priority: 1, match: [.ethType(0x8847), OXMField(.mplsLabel, 16)],
                                              instructions: [.applyActions(mplsActions)])))
        add("group-mod", .groupMod(GroupMod(command: .add, type: .all, groupID: 1, buckets: [
            Bucket(actions: [.output(3)]),
            Bucket(actions: [.setField(.tunnelIPv4Dst(IPv4Address(198, 51, 100, 12))), .setField(.tunnelID(0x64)), .output(100)]),
        ])))
        add("group-mod-delete", .groupMod(GroupMod(command: .delete, type: .all, groupID: Reserved.groupAll)))
        add("port-mod", .portMod(PortMod(portNumber: 1, hardwareAddress: mac2, config: 1, mask: 1, advertise: 0)))
        add("table-mod", .tableMod(TableMod(tableID: 0xff, config: 3)))
        add("mp-desc", .multipartRequest(MultipartRequest(.desc)))
        add("mp-flow", .multipartRequest(MultipartRequest(.flow(FlowStatsRequest(tableID: 0xff, cookie: 0x1, cookieMask: 0xf, match: [.inPort(1)])))))
        add("mp-aggregate", .multipartRequest(MultipartRequest(.aggregate(FlowStatsRequest()))))
        add("mp-table", .multipartRequest(MultipartRequest(.table)))
        add("mp-port-stats", .multipartRequest(MultipartRequest(.portStats(port: .any))))
        add("mp-queue", .multipartRequest(MultipartRequest(.queue(port: .any, queueID: Reserved.queueAll))))
        add("mp-group", .multipartRequest(MultipartRequest(.group(groupID: Reserved.groupAll))))
        add("mp-group-desc", .multipartRequest(MultipartRequest(.groupDesc)))
        add("mp-group-features", .multipartRequest(MultipartRequest(.groupFeatures)))
        add("mp-meter", .multipartRequest(MultipartRequest(.meter(meterID: Reserved.meterAll))))
        add("mp-meter-config", .multipartRequest(MultipartRequest(.meterConfig(meterID: Reserved.meterAll))))
        add("mp-meter-features", .multipartRequest(MultipartRequest(.meterFeatures)))
        add("mp-table-features", .multipartRequest(MultipartRequest(.tableFeatures([]))))
        add("mp-port-desc", .multipartRequest(MultipartRequest(.portDesc)))
        add("mp-experimenter", .multipartRequest(MultipartRequest(.experimenter(id: ExperimenterID.nicira, expType: 1, data: [0, 0, 0, 0]))))
        add("mpr-desc", .multipartReply(MultipartReply(.desc(SwitchDescription(manufacturer: "Nicira, Inc.", hardware: "Open vSwitch",
                                                                                software: "3.1.0", serialNumber: "None", datapath: "None")))))
        add("mpr-flow", .multipartReply(MultipartReply(flags: 1, .flow([
            FlowStats(tableID: 0, durationSec: 1, durationNsec: 2, priority: 100, cookie: 0x1234, packetCount: 3, byteCount: 4,
                      match: mirrorFlowMod.match, instructions: mirrorFlowMod.instructions),
            FlowStats(tableID: 1, priority: 0, cookie: 0, match: .all, instructions: []),
        ]))))
        add("mpr-aggregate", .multipartReply(MultipartReply(.aggregate(AggregateStats(packetCount: 1, byteCount: 2, flowCount: 3)))))
        add("mpr-table", .multipartReply(MultipartReply(.table([TableStats(tableID: 0, activeCount: 2, lookupCount: 30, matchedCount: 20)]))))
        add("mpr-port-stats", .multipartReply(MultipartReply(.portStats([PortStats(portNumber: 1, rxPackets: 1, txPackets: 2, rxBytes: 3,
                                                                                   txBytes: 4, collisions: 5, durationSec: 6)]))))
        add("mpr-queue", .multipartReply(MultipartReply(.queue([QueueStats(portNumber: 1, queueID: 0, txBytes: 1, txPackets: 2)]))))
        add("mpr-group", .multipartReply(MultipartReply(.group([GroupStats(groupID: 1, refCount: 2, packetCount: 3, byteCount: 4,
                                                                           buckets: [.init(packetCount: 1, byteCount: 2)])]))))
        add("mpr-group-desc", .multipartReply(MultipartReply(.groupDesc([GroupDescription(type: .all, groupID: 1, buckets: [Bucket(actions: [.output(3)])])]))))
        add("mpr-group-features", .multipartReply(MultipartReply(.groupFeatures(GroupFeatures(types: 0xf, capabilities: 0x7, maxGroups: [65535, 65535, 65535, 65535], actions: [1, 1, 1, 1])))))
        add("mpr-meter", .multipartReply(MultipartReply(.meter([MeterStats(meterID: 1, flowCount: 1, packetInCount: 5, byteInCount: 50,
                                                                           bands: [.init(packetCount: 1, byteCount: 10)])]))))
        add("mpr-meter-config", .multipartReply(MultipartReply(.meterConfig([MeterConfig(flags: [.kbps], meterID: 1, bands: [.drop(rate: 1000, burstSize: 0)])]))))
        add("mpr-meter-features", .multipartReply(MultipartReply(.meterFeatures(MeterFeatures(maxMeter: 65536, bandTypes: 2, capabilities: 0xf, maxBands: 1, maxColor: 0)))))
        add("mpr-table-features", .multipartReply(MultipartReply(.tableFeatures([TableFeatures(
            tableID: 0, name: "classifier", metadataMatch: .max, metadataWrite: .max, config: 0, maxEntries: 1_000_000,
            properties: [
                TableFeatureProperty(type: 0, content: .ids([FeatureID(type: 1), FeatureID(type: 4)])),
                TableFeatureProperty(type: 2, content: .tables([1, 2, 3])),
                TableFeatureProperty(type: 4, content: .ids([FeatureID(type: 0)])),
                TableFeatureProperty(type: 6, content: .ids([FeatureID(type: 0), FeatureID(type: 22)])),
                TableFeatureProperty(type: 8, content: .oxm([OXMID(header: 0x8000_0004), OXMID(header: 0x8000_0606)])),
                TableFeatureProperty(type: 10, content: .oxm([OXMID(header: 0x8000_0004)])),
                TableFeatureProperty(type: 12, content: .oxm([OXMID(header: 0x8000_4c08)])),
                TableFeatureProperty(type: 14, content: .oxm([OXMID(header: 0x8000_4c08), OXMID(header: 0x0001_4004)])),
            ])]))))
        add("mpr-table-features-experimenter", .multipartReply(MultipartReply(.tableFeatures([TableFeatures(
            tableID: 1, name: "t1", properties: [
                TableFeatureProperty(type: 6, content: .ids([FeatureID(type: 0xffff, extra: [0, 0, 0x23, 0x20])])),
                TableFeatureProperty(type: 8, content: .oxm([OXMID(header: 0xffff_0008, experimenter: 0x4f4e_4600)])),
                TableFeatureProperty(type: 0xfffe, content: .experimenter(id: 1, expType: 2, data: [9])),
                TableFeatureProperty(type: 0x7777, content: .raw([1, 2, 3])),
            ])]))))
        add("mpr-port-desc", .multipartReply(MultipartReply(.portDesc([port1, PortDescription(portNumber: .local, hardwareAddress: mac1, name: "br-int", config: 1, state: 1)]))))
        add("mpr-experimenter", .multipartReply(MultipartReply(.experimenter(id: 1, expType: 2, data: []))))
        add("barrier-request", .barrierRequest)
        add("barrier-reply", .barrierReply)
        add("queue-get-config-request", .queueGetConfigRequest(port: 1))
        add("queue-get-config-reply", .queueGetConfigReply(QueueGetConfigReply(port: 1, queues: [
            PacketQueue(queueID: 1, port: 1, properties: [.minRate(100), .maxRate(900), .experimenter(id: 5, body: [1, 2, 3, 4, 5, 6, 7, 8])]),
        ])))
        add("role-request", .roleRequest(RoleMessage(role: .master, generationID: 5)))
        add("role-reply", .roleReply(RoleMessage(role: .equal, generationID: 0)))
        add("get-async-request", .getAsyncRequest)
        add("get-async-reply", .getAsyncReply(AsyncConfig(packetInMask: [7, 0], portStatusMask: [7, 7], flowRemovedMask: [15, 0])))
        add("set-async", .setAsync(AsyncConfig(packetInMask: [1, 0], portStatusMask: [7, 7], flowRemovedMask: [0, 0])))
        add("meter-mod", .meterMod(MeterMod(command: .add, flags: [.kbps, .burst, .stats], meterID: 1, bands: [
            .drop(rate: 1000, burstSize: 100), .dscpRemark(rate: 2000, burstSize: 200, precedenceLevel: 1),
        ])))
        add("bundle-open", .bundleControl(BundleControl(bundleID: 1, type: .openRequest)))
        add("bundle-commit-reply", .bundleControl(BundleControl(bundleID: 1, type: .commitReply, flags: [])))
        add("bundle-add", .bundleAdd(BundleAdd(bundleID: 1, message: .flowMod(mirrorFlowMod))))
        add("actions-ovs-lacks", .flowMod(FlowMod(priority: 1, match: [.ethType(0x88e7)],
            instructions: [.applyActions([.copyTTLIn, .copyTTLOut, .pushPBB(ethertype: 0x88e7), .popPBB])])))
        add("unknown-action-and-instruction", .flowMod(FlowMod(priority: 1, match: [OXMField(OXMFieldID(OXMClass(rawValue: 0x8000), 120), value: OXMValue(bytes: [1, 2, 3]))],
            instructions: [.applyActions([.unknown(type: 99, body: [0, 0, 0, 0]), .experimenter(id: 0x2320, body: [0, 8, 1, 2, 3, 4, 5, 6])]),
                           .unknown(type: 77, body: [1, 2, 3, 4]), .experimenter(id: 0xabcd, body: [])])))
        return m
    }()
}

extension OXMField {
    public static func ipProto(_ p: UInt8) -> OXMField { OXMField(.ipProto, UInt64(p)) }
}
