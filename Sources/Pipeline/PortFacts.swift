import OpenFlow

/// An IN or OUT rule as a port counts them: where it copies to, which VLANs, how many.
struct Counted: Hashable, Sendable {
    var key: InKey
    var count: Int32
}

/// A port's counted rules: one (the common case) without an array.
enum CountedList: Hashable, Sendable, RandomAccessCollection {
    case none
    case one(Counted)
    case many([Counted])

    init(_ list: [Counted]) {
        switch list.count {
        case 0: self = .none
        case 1: self = .one(list[0])
        default: self = .many(list)
        }
    }

    var startIndex: Int { 0 }
    var endIndex: Int {
        switch self {
        case .none: 0
        case .one: 1
        case .many(let l): l.count
        }
    }

    subscript(i: Int) -> Counted {
        switch self {
        case .one(let c): c
        case .many(let l): l[i]
        case .none: preconditionFailure("no rules")
        }
    }
}

extension InKey {
    /// A fixed order (destination, then filter), so that equal rule sets compare equal.
    func precedes(_ o: InKey) -> Bool {
        if dest != o.dest { return dest < o.dest }
        if traffic != o.traffic { return (traffic?.text ?? "") < (o.traffic?.text ?? "") }
        switch (filter, o.filter) {
        case (nil, nil), (_?, nil): return false
        case (nil, _?): return true
        case (let a?, let b?):
            return a.ranges.map { [$0.lowerBound, $0.upperBound] }.joined().lexicographicallyPrecedes(b.ranges.map { [$0.lowerBound, $0.upperBound] }.joined())
        }
    }
}

/// What one port contributes to the engine's indexes, worked out from its topology and its
/// rules alone. When either changes, the old and new facts say which indexes and units change.
/// A port without rules contributes nothing (its facts are empty, and not kept).
struct PortFacts: Hashable, Sendable {
    /// The node whose table 1 makes its OUT copies (it has an OpenFlow number and OUT rules).
    var outNode: NodeRef?
    /// The network where its IN copies are made (it has an OpenFlow number and IN rules).
    var receiver: NetKey?
    /// Its IN rules as that network counts them (a filtered rule on an access VLAN never
    /// matches: frames are untagged there), in `InKey` order.
    var ins = CountedList.none
    /// Its OUT rules, in `InKey` order.
    var outs = CountedList.none
    /// Some OUT rule of it carries a VLAN or traffic filter.
    var filteredOut = false
    /// Its network when the topology knows it: its OUT copies label it there as a sender.
    var senderVLAN: VLANCode?
    /// The parts of its topology that flows carry.
    var mac: EthernetAddress?
    var ofport: UInt32?

    init() {}

    init(topo: PortTopo?, rules: [Rule]) {
        guard !rules.isEmpty else { return }
        mac = topo?.mac
        ofport = topo?.ofport
        var outs: [InKey: Int32] = [:], ins: [InKey: Int32] = [:]
        var hasIn = false
        for r in rules {
            if r.out {
                outs[InKey(dest: r.dest, filter: r.filter, traffic: r.traffic), default: 0] += 1
                if r.filter != nil || r.traffic != nil { filteredOut = true }
            } else {
                hasIn = true
                if let topo, topo.ofport != nil, topo.vlan == .untagged || r.filter == nil {
                    ins[InKey(dest: r.dest, filter: r.filter, traffic: r.traffic), default: 0] += 1
                }
            }
        }
        self.outs = CountedList(outs.map { Counted(key: $0.key, count: $0.value) }.sorted { $0.key.precedes($1.key) })
        guard let topo else { return }
        senderVLAN = topo.vlan
        guard topo.ofport != nil else { return }
        if !outs.isEmpty { outNode = topo.node }
        self.ins = CountedList(ins.map { Counted(key: $0.key, count: $0.value) }.sorted { $0.key.precedes($1.key) })
        if hasIn { receiver = NetKey(node: topo.node, vlan: topo.vlan) }
    }

    var isEmpty: Bool { self == PortFacts() }

    /// How many IN rules it has under a key.
    func inCount(_ k: InKey) -> Int { Int(ins.first { $0.key == k }?.count ?? 0) }

    /// Its IN rules per destination.
    var mine: [DestRef: Int] {
        var m: [DestRef: Int] = [:]
        for c in ins { m[c.key.dest, default: 0] += Int(c.count) }
        return m
    }

    /// The destinations of its OUT rules.
    var outDests: Set<DestRef> { Set(outs.map(\.key.dest)) }

    /// (destination, network) pairs it sends into, as a sender.
    var senderKeys: [SenderKey] {
        guard let v = senderVLAN else { return [] }
        return outDests.map { SenderKey(dest: $0, vlan: v) }
    }
}
