import OpenFlow
import OpenFlowText

/// A flow of taasd's pipeline, packed: its key (table, priority and the few match fields the
/// pipeline uses) and its value (cookie, actions, next table) in plain integers. The engine
/// keeps hundreds of thousands of flows; as `FlowEntry` values (arrays of OXM fields and of
/// instructions) they cost about 900 bytes each, packed about 80, and hash and compare without
/// following a pointer. They become `FlowEntry`s only on their way to a switch or a reader.
struct PackedKey: Hashable, Sendable {
    struct Fields: OptionSet, Hashable, Sendable {
        let rawValue: UInt8
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
    }

    var table: UInt8
    var fields: Fields = []
    var priority: UInt16
    var vlanValue: UInt16 = 0
    /// 0: an exact match.
    var vlanMask: UInt16 = 0
    var inPort: UInt32 = 0
    var network: UInt32 = 0
    var label: UInt32 = 0
    /// eth_dst, eth_src or tun_id: a flow of the pipeline matches one of them at most.
    var data: UInt64 = 0

    init(_ table: UInt8, _ priority: UInt16) {
        self.table = table
        self.priority = priority
    }

    /// Hashed as five words rather than ten fields: programs hash keys on every change.
    func hash(into h: inout Hasher) {
        h.combine(UInt64(table) | UInt64(fields.rawValue) << 8 | UInt64(priority) << 16 | UInt64(vlanValue) << 32 | UInt64(vlanMask) << 48)
        h.combine(UInt64(inPort) | UInt64(network) << 32)
        h.combine(label)
        h.combine(data)
    }

    func inPort(_ p: UInt32) -> Self { var k = self; k.fields.insert(.inPort); k.inPort = p; return k }
    func tunnelID(_ id: UInt64) -> Self { var k = self; k.fields.insert(.tunnelID); k.data = id; return k }
    func network(_ v: VLANCode) -> Self { var k = self; k.fields.insert(.network); k.network = Network.id(v.tag); return k }
    func label(_ l: UInt32) -> Self { var k = self; k.fields.insert(.label); k.label = l; return k }
    func ethDst(_ a: EthernetAddress) -> Self { var k = self; k.fields.insert(.ethDst); k.data = a.rawValue; return k }
    func ethSrc(_ a: EthernetAddress) -> Self { var k = self; k.fields.insert(.ethSrc); k.data = a.rawValue; return k }
    var multicast: Self { var k = self; k.fields.insert(.multicast); return k }

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

    /// The match as OXM fields, in the normalized order.
    var match: Match {
        var m: [OXMField] = []
        m.reserveCapacity(fields.rawValue.nonzeroBitCount)
        if fields.contains(.inPort) { m.append(.inPort(PortNumber(inPort))) }
        if fields.contains(.ethDst) { m.append(.ethDst(EthernetAddress(rawValue: data))) }
        if fields.contains(.multicast) { m.append(.ethDst(Self.groupBit, mask: Self.groupBit)) }
        if fields.contains(.ethSrc) { m.append(.ethSrc(EthernetAddress(rawValue: data))) }
        if fields.contains(.vlan) { m.append(.vlanVID(vlanValue, mask: vlanMask == 0 ? nil : vlanMask)) }
        if fields.contains(.tunnelID) { m.append(.tunnelID(data)) }
        if fields.contains(.network) { m.append(.register(Network.register, network)) }
        if fields.contains(.label) { m.append(.register(SenderLabel.register, label)) }
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

    enum Kind: UInt64 {
        case output = 1, group = 2, setNetwork = 3, setLabel = 4
    }

    init(cookie: UInt64, actions: [Action], goto next: UInt8?) {
        self.cookie = cookie
        self.next = next ?? 0xff
        let packed = actions.map(Self.pack)
        switch packed.count {
        case 0: self.actions = .none
        case 1: self.actions = .one(packed[0])
        case 2: self.actions = .two(packed[0], packed[1])
        default: self.actions = .many(packed)
        }
    }

    static func pack(_ a: Action) -> UInt64 {
        switch a {
        case .output(let port, _): return Kind.output.rawValue << 56 | UInt64(port.rawValue)
        case .group(let id): return Kind.group.rawValue << 56 | UInt64(id)
        case .setField(let f) where f.id == .nxRegister(Network.register): return Kind.setNetwork.rawValue << 56 | f.value.integer
        case .setField(let f) where f.id == .nxRegister(SenderLabel.register): return Kind.setLabel.rawValue << 56 | f.value.integer
        default:
            // The pipeline makes no other action; failing loudly here beats a wrong flow.
            preconditionFailure("the packed form has no action \(a)")
        }
    }

    static func unpack(_ p: UInt64) -> Action {
        let value = UInt32(truncatingIfNeeded: p)
        switch Kind(rawValue: p >> 56) {
        case .group: return .group(value)
        case .setNetwork: return .setField(.register(Network.register, value))
        case .setLabel: return .setField(.register(SenderLabel.register, value))
        default: return .output(PortNumber(value))
        }
    }

    /// The groups its actions output to.
    func forEachGroup(_ body: (UInt32) -> Void) {
        switch actions {
        case .none: return
        case .one(let a): if a >> 56 == Kind.group.rawValue { body(UInt32(truncatingIfNeeded: a)) }
        default: for p in actions.list where p >> 56 == Kind.group.rawValue { body(UInt32(truncatingIfNeeded: p)) }
        }
    }

    /// The flow as the switch holds it.
    func entry(_ key: PackedKey) -> FlowEntry {
        BridgeProgram.entry(key.table, key.priority, cookie, key.match.fields, actions.list.map(Self.unpack), goto: next == 0xff ? nil : next).entry
    }
}
