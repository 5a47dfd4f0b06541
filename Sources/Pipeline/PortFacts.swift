import OpenFlow

/// What one port contributes to the engine's indexes, worked out from its topology and its
/// rules alone. When either changes, the old and new facts say which indexes and units change.
struct PortFacts: Hashable, Sendable {
    /// The node whose table 1 makes its OUT copies (it has an OpenFlow number and OUT rules).
    var outNode: NodeRef?
    /// The network where its IN copies are made (it has an OpenFlow number and IN rules).
    var receiver: NetKey?
    /// Its IN rules as that network counts them (a filtered rule on an access VLAN never
    /// matches: frames are untagged there).
    var ins: [InKey: Int] = [:]
    /// Its OUT rules, counted by (destination, filter).
    var outs: [InKey: Int] = [:]
    /// Some OUT rule of it carries a VLAN filter.
    var filteredOut = false
    /// Its network when the topology knows it: its OUT copies label it there as a sender.
    var senderVLAN: VLANCode?
    var outDests: Set<DestRef> = []
    /// The parts of its topology that flows carry.
    var mac: EthernetAddress?
    var ofport: UInt32?

    init() {}

    init(topo: PortTopo?, rules: [Rule]) {
        mac = topo?.mac
        ofport = topo?.ofport
        for r in rules where r.out {
            outs[InKey(dest: r.dest, filter: r.filter), default: 0] += 1
            outDests.insert(r.dest)
            if r.filter != nil { filteredOut = true }
        }
        guard let topo else { return }
        senderVLAN = topo.vlan
        guard topo.ofport != nil else { return }
        if !outDests.isEmpty { outNode = topo.node }
        var hasIn = false
        for r in rules where !r.out {
            hasIn = true
            if topo.vlan == .untagged || r.filter == nil { ins[InKey(dest: r.dest, filter: r.filter), default: 0] += 1 }
        }
        if hasIn { receiver = NetKey(node: topo.node, vlan: topo.vlan) }
    }

    /// Its IN rules per destination.
    var mine: [DestRef: Int] {
        var m: [DestRef: Int] = [:]
        for (k, n) in ins { m[k.dest, default: 0] += n }
        return m
    }

    /// (destination, network) pairs it sends into, as a sender.
    var senderKeys: [SenderKey] {
        guard let v = senderVLAN else { return [] }
        return outDests.map { SenderKey(dest: $0, vlan: v) }
    }
}
