import OpenFlow
import OpenFlowText

/// A flow of taasd's pipeline, packed: its key (table, priority and the few match fields the
/// pipeline uses) and its value (cookie, actions, next table) in plain integers. The engine
/// keeps hundreds of thousands of flows; as `FlowEntry` values (arrays of OXM fields and of
/// instructions) they cost about 900 bytes each, packed about 80, and hash and compare without
/// following a pointer. They become `FlowEntry`s only on their way to a switch or a reader.
struct PackedKey: Hashable, Sendable {
    struct Fields: OptionSet, Hashable, Sendable {
        let rawValue: UInt16
        static let inPort = Fields(rawValue: 1)
        static let tunnelID = Fields(rawValue: 2)
        /// reg6: the frame's network.
        static let network = Fields(rawValue: 4)
        /// reg7: the sender's label.
        static let label = Fields(rawValue: 8)
        static let ethDst = Fields(rawValue: 16)
        /// eth_dst with only the group bit: broadcast and multicast.
        static let multicast = Fields(rawValue: 32)
        static let ethSrc = Fields(rawValue: 64)
        static let vlan = Fields(rawValue: 128)
        /// reg5: a filtered copy's condition (held in `data`).
        static let condition = Fields(rawValue: 256)
        /// reg4: a rate-limited destination's meter (held in `data`).
        static let meterKey = Fields(rawValue: 512)
        /// reg3: a load-balanced service's selector and tool (held in `data`).
        static let balance = Fields(rawValue: 1024)
    }

    var table: UInt8
    var fields: Fields = []
    var priority: UInt16
    var vlanValue: UInt16 = 0
    /// 0: an exact match.
    var vlanMask: UInt16 = 0
    /// A traffic filter's L3/L4 fields (table 5 only), as `TrafficFields` numbers them (0: none):
    /// a number, not the fields, so that keys stay plain bits (copied and hashed without
    /// reference counting) and no larger.
    var extra: UInt16 = 0
    var inPort: UInt32 = 0
    var network: UInt32 = 0
    var label: UInt32 = 0
    /// eth_dst, eth_src, tun_id or reg5: a flow of the pipeline matches one of them at most.
    var data: UInt64 = 0

    init(_ table: UInt8, _ priority: UInt16) {
        self.table = table
        self.priority = priority
    }

    /// Hashed as five words rather than ten fields: programs hash keys on every change.
    func hash(into h: inout Hasher) {
        h.combine(UInt64(table) | UInt64(fields.rawValue) << 8 | UInt64(priority) << 16 | UInt64(vlanValue) << 32 | UInt64(vlanMask) << 48)
        h.combine(UInt64(inPort) | UInt64(network) << 32)
        h.combine(UInt64(label) | UInt64(extra) << 32)
        h.combine(data)
    }

    func inPort(_ p: UInt32) -> Self { var k = self; k.fields.insert(.inPort); k.inPort = p; return k }
    func tunnelID(_ id: UInt64) -> Self { var k = self; k.fields.insert(.tunnelID); k.data = id; return k }
    func network(_ v: VLANCode) -> Self { var k = self; k.fields.insert(.network); k.network = Network.id(v.tag); return k }
    func label(_ l: UInt32) -> Self { var k = self; k.fields.insert(.label); k.label = l; return k }
    func ethDst(_ a: EthernetAddress) -> Self { var k = self; k.fields.insert(.ethDst); k.data = a.rawValue; return k }
    func ethSrc(_ a: EthernetAddress) -> Self { var k = self; k.fields.insert(.ethSrc); k.data = a.rawValue; return k }
    var multicast: Self { var k = self; k.fields.insert(.multicast); return k }
    func condition(_ c: UInt32) -> Self { var k = self; k.fields.insert(.condition); k.data = UInt64(c); return k }
    func meterKey(_ m: UInt32) -> Self { var k = self; k.fields.insert(.meterKey); k.data = UInt64(m); return k }
    func balance(_ b: UInt32) -> Self { var k = self; k.fields.insert(.balance); k.data = UInt64(b); return k }
    func traffic(_ fields: [OXMField]) -> Self { var k = self; k.extra = TrafficFields.number(fields); return k }

    /// With a VLAN class's match (nil: every VLAN, nothing added).
    func vlan(_ f: OXMField?) -> Self {
        guard let f else { return self }
        var k = self
        k.fields.insert(.vlan)
        k.vlanValue = UInt16(truncatingIfNeeded: f.value.integer)
        k.vlanMask = f.mask.map { UInt16(truncatingIfNeeded: $0.integer) } ?? 0
        return k
    }

    static let groupBit = EthernetAddress(rawValue: 0x0100_0000_0000)

    /// The match as a flow entry holds it (`BridgeProgram.entry` normalizes it the same way).
    var normalizedMatch: Match {
        var fields = match.fields
        Match.normalize(&fields)
        return Match(fields)
    }

    /// The match as OXM fields, in the normalized order.
    var match: Match {
        var m: [OXMField] = []
        let extraFields = extra == 0 ? [] : TrafficFields.fields(extra)
        m.reserveCapacity(fields.rawValue.nonzeroBitCount + extraFields.count)
        if fields.contains(.inPort) { m.append(.inPort(PortNumber(inPort))) }
        if fields.contains(.ethDst) { m.append(.ethDst(EthernetAddress(rawValue: data))) }
        if fields.contains(.multicast) { m.append(.ethDst(Self.groupBit, mask: Self.groupBit)) }
        if fields.contains(.ethSrc) { m.append(.ethSrc(EthernetAddress(rawValue: data))) }
        if fields.contains(.vlan) { m.append(.vlanVID(vlanValue, mask: vlanMask == 0 ? nil : vlanMask)) }
        if fields.contains(.tunnelID) { m.append(.tunnelID(data)) }
        if fields.contains(.network) { m.append(.register(Network.register, network)) }
        if fields.contains(.label) { m.append(.register(SenderLabel.register, label)) }
        if fields.contains(.condition) { m.append(.register(CopyCondition.register, UInt32(truncatingIfNeeded: data))) }
        if fields.contains(.meterKey) { m.append(.register(MeterIDs.register, UInt32(truncatingIfNeeded: data))) }
        if fields.contains(.balance) { m.append(.register(Balance.register, UInt32(truncatingIfNeeded: data))) }
        m += extraFields
        Match.normalize(&m)
        return Match(m)
    }

    var flowKey: FlowKey { FlowKey(table: table, priority: priority, normalized: match) }
}

/// What a flow does: its cookie, its actions (up to two inline), its next table.
struct PackedValue: Hashable, Sendable {
    var cookie: UInt64
    var actions: Actions
    /// The table it goes on to; 0xff: none.
    var next: UInt8 = 0xff

    /// Each action as kind << 56 | value.
    enum Actions: Hashable, Sendable {
        case none
        case one(UInt64)
        case two(UInt64, UInt64)
        case many([UInt64])

        var list: [UInt64] {
            switch self {
            case .none: []
            case .one(let a): [a]
            case .two(let a, let b): [a, b]
            case .many(let l): l
            }
        }
    }

    /// A truncating output holds its length in bits 32–47; a clone to another node is three
    /// words: `cloneTunnel` (the tunnel port and length, as a truncating output), `cloneIP`
    /// (tun_dst) and `cloneKey` (tun_id).
    enum Kind: UInt64 {
        case output = 1, group = 2, setNetwork = 3, setLabel = 4, outputTruncated = 5, cloneTunnel = 6, cloneIP = 7, cloneKey = 8
        /// reg5 := a filtered copy's condition; `resubmit(,TABLE)`.
        case setCondition = 9, resubmit = 10
        /// A copy toward a rate-limited destination (`Action.meteredCopy`, its meter's id), and a
        /// flow's meter instruction (the first word when there is one).
        case meteredCopy = 11, meter = 12
        /// A copy to a load-balanced service (`Action.balancedCopy`): selector in bits 0–31,
        /// tools in 32–39, basis in 40–47.
        case balancedCopy = 13
    }

    init(cookie: UInt64, actions: [Action], goto next: UInt8?) {
        self.cookie = cookie
        self.next = next ?? 0xff
        var packed: [UInt64] = []
        packed.reserveCapacity(actions.count)
        for a in actions { Self.pack(a, into: &packed) }
        switch packed.count {
        case 0: self.actions = .none
        case 1: self.actions = .one(packed[0])
        case 2: self.actions = .two(packed[0], packed[1])
        default: self.actions = .many(packed)
        }
    }

    static func pack(_ a: Action, into out: inout [UInt64]) {
        func word(_ k: Kind, _ value: UInt64) -> UInt64 { k.rawValue << 56 | value }
        switch a {
        case .output(let port, _): out.append(word(.output, UInt64(port.rawValue)))
        case .outputTruncated(let port, let maxLen): out.append(word(.outputTruncated, UInt64(maxLen & 0xffff) << 32 | UInt64(port)))
        case .group(let id): out.append(word(.group, UInt64(id)))
        case .setField(let f) where f.id == .nxRegister(Network.register): out.append(word(.setNetwork, f.value.integer))
        case .setField(let f) where f.id == .nxRegister(SenderLabel.register): out.append(word(.setLabel, f.value.integer))
        case .setField(let f) where f.id == .nxRegister(CopyCondition.register): out.append(word(.setCondition, f.value.integer))
        case .resubmit(let port, let table?) where port == Action.niciraInPort: out.append(word(.resubmit, UInt64(table)))
        case .clone where a.meteredCopyMeter != nil:
            out.append(word(.meteredCopy, UInt64(a.meteredCopyMeter ?? 0)))
        case .clone where a.balancedCopy != nil:
            let b = a.balancedCopy ?? (0, 0, 0)
            out.append(word(.balancedCopy, UInt64(b.basis & 0xff) << 40 | UInt64(b.tools & 0xff) << 32 | UInt64(b.selector)))
        case .clone(let inner):
            // The other clone the pipeline makes: tun_dst, tun_id, a truncating output.
            guard inner.count == 3, case .setField(let ip) = inner[0], ip.id == .nxTunnelIPv4Dst,
                  case .setField(let key) = inner[1], key.id == .tunnelID, case .outputTruncated(let port, let maxLen) = inner[2] else {
                preconditionFailure("the packed form has no clone \(inner)")
            }
            out.append(word(.cloneTunnel, UInt64(maxLen & 0xffff) << 32 | UInt64(port)))
            out.append(word(.cloneIP, ip.value.integer & 0xffff_ffff))
            out.append(word(.cloneKey, key.value.integer & 0xff_ffff_ffff_ffff))
        default:
            // The pipeline makes no other action; failing loudly here beats a wrong flow.
            preconditionFailure("the packed form has no action \(a)")
        }
    }

    static func unpack(_ words: [UInt64]) -> [Action] {
        var out: [Action] = []
        out.reserveCapacity(words.count)
        var i = 0
        while i < words.count {
            let p = words[i]
            let value = UInt32(truncatingIfNeeded: p)
            let length = UInt32(truncatingIfNeeded: p >> 32) & 0xffff
            i += 1
            switch Kind(rawValue: p >> 56) {
            case .group: out.append(.group(value))
            case .setNetwork: out.append(.setField(.register(Network.register, value)))
            case .setLabel: out.append(.setField(.register(SenderLabel.register, value)))
            case .setCondition: out.append(.setField(.register(CopyCondition.register, value)))
            case .resubmit: out.append(.resubmit(inPort: Action.niciraInPort, table: UInt8(truncatingIfNeeded: value)))
            case .meteredCopy: out.append(.meteredCopy(meter: value))
            case .balancedCopy: out.append(.balancedCopy(selector: value, tools: Int(p >> 32 & 0xff), basis: UInt16(p >> 40 & 0xff)))
            case .meter: break
            case .outputTruncated: out.append(.outputTruncated(port: UInt16(truncatingIfNeeded: value), maxLength: length))
            case .cloneTunnel where i + 1 < words.count:
                let ip = UInt32(truncatingIfNeeded: words[i]), key = words[i + 1] & 0xff_ffff_ffff_ffff
                i += 2
                out.append(.clone([.setField(.tunnelIPv4Dst(IPv4Address(rawValue: ip))), .setField(.tunnelID(key)),
                                   .outputTruncated(port: UInt16(truncatingIfNeeded: value), maxLength: length)]))
            default: out.append(.output(PortNumber(value)))
            }
        }
        return out
    }

    /// The meter instruction it starts with (nil: none).
    var meter: UInt32? {
        guard let first = actions.list.first, first >> 56 == Kind.meter.rawValue else { return nil }
        return UInt32(truncatingIfNeeded: first)
    }

    /// The meters its copies go through (`meteredCopy` words).
    func forEachMeteredCopy(_ body: (UInt32) -> Void) { forEach(.meteredCopy, body) }

    /// The same value with a meter instruction first.
    func metered(_ id: UInt32) -> PackedValue {
        var v = self
        let words = [Kind.meter.rawValue << 56 | UInt64(id)] + actions.list
        v.actions = words.count == 1 ? .one(words[0]) : words.count == 2 ? .two(words[0], words[1]) : .many(words)
        return v
    }

    /// The load-balanced services its copies go to, by selector (first choices only: a down
    /// tool's second choice is the balance unit's own).
    func forEachBalancedCopy(_ body: (UInt32) -> Void) {
        forEach(.balancedCopy) { if $0 & Balance.again == 0 { body($0) } }
    }

    /// The groups its actions output to.
    func forEachGroup(_ body: (UInt32) -> Void) { forEach(.group, body) }

    /// The value of each action word of one kind (without building the list for one or none).
    private func forEach(_ kind: Kind, _ body: (UInt32) -> Void) {
        switch actions {
        case .none: return
        case .one(let a): if a >> 56 == kind.rawValue { body(UInt32(truncatingIfNeeded: a)) }
        default: for p in actions.list where p >> 56 == kind.rawValue { body(UInt32(truncatingIfNeeded: p)) }
        }
    }

    /// The flow as the switch holds it.
    func entry(_ key: PackedKey) -> FlowEntry {
        BridgeProgram.entry(key.table, key.priority, cookie, key.match.fields, Self.unpack(actions.list), goto: next == 0xff ? nil : next,
                            meter: meter).entry
    }
}
