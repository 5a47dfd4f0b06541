import OpenFlow

/// The tables of the mirroring pipeline (documented table by table in flows/README.md).
public enum Table {
    /// Tunnel arrivals, receive-only service ports, network classification.
    public static let ingress: UInt8 = 0
    /// Copies of what a source port sends (OUT).
    public static let outTaps: UInt8 = 1
    /// Which OUT copies the frame's sender (here or on another node) got, by source MAC.
    public static let senders: UInt8 = 2
    /// Copies of what the bridge delivers to a source port (IN).
    public static let inTaps: UInt8 = 3
    /// The original frame continues to normal forwarding.
    public static let forward: UInt8 = 4
    /// Copies under a traffic filter: reached by `resubmit` with the copy's condition in reg5,
    /// never by a goto; a frame matching no flow here is simply not copied.
    public static let filters: UInt8 = 5
    /// Copies toward a rate-limited destination, inside a clone, through its meter (reg4 names
    /// it); a second table when both a bit rate and a packet rate are limited.
    public static let metered: UInt8 = 6
    public static let meteredPackets: UInt8 = 7
    /// Copies to a tap service with several tool ports: reg3 holds the service's selector and
    /// the tool its hash chose (reached by `resubmit` from a `balancedCopy`).
    public static let balance: UInt8 = 8
}

/// A load-balanced tap service's copies: reg3 := its selector (its first tunnel key << 8), then
/// `multipath(symmetric_l3l4+udp, …, hrw, TOOLS, …)` writes the chosen tool into reg3's low 7
/// bits and table 8 delivers to that tool. The hash covers IP addresses, protocol and
/// TCP/UDP/SCTP ports, symmetric in source and destination, so both directions of a connection
/// reach the same tool. When a tool is down, its first choices hash again (bit 7 set, another
/// basis) over the live tools only: its share spreads over them, every other copy stays put.
public enum Balance {
    static let register: UInt8 = 3
    /// Set in reg3 for the second choice among live tools.
    static let again: UInt32 = 0x80
    static func selector(key: UInt32) -> UInt32 { (key & 0x00ff_ffff) << 8 }
    static func multipath(tools: Int, basis: UInt16) -> Multipath {
        Multipath(fields: .symmetricL3L4UDP, basis: basis, algorithm: .hrw, links: tools, register: register, offset: 0, bits: 7)
    }
}

/// Meters taasd owns: per rate-limited destination, a bit-rate meter `0x7a000000 | H` and a
/// packet-rate meter `0x7b000000 | H`, H a 24-bit hash of the destination's name on the wire.
/// Copies toward it carry H's bit-rate id in reg4 into table 6. Meters outside the range are
/// never touched.
public enum MeterIDs {
    static let register: UInt8 = 4
    public static let base: UInt32 = 0x7a00_0000
    public static let packets: UInt32 = 0x0100_0000
    public static func of(_ wireName: String) -> UInt32 { base | UInt32(truncatingIfNeeded: Cookie.fnv1a(wireName) & 0xff_ffff) }
    public static func isOurs(_ id: UInt32) -> Bool { id & 0xfe00_0000 == base }
}

/// Who owns a flow: the top 16 bits mark taasd's flows, the next 8 the kind of owner, the low 40
/// bits a hash of the owner's id. Flows whose cookie lacks the mark are never touched.
public enum Cookie {
    public static let mark: UInt64 = 0x7aa5 << 48
    public static let markMask: UInt64 = 0xffff << 48

    public enum Kind: UInt64, Sendable {
        case base = 0
        /// Delivery of a tap service's copies on its own node.
        case service = 1
        /// Copies of one source port's traffic.
        case source = 2
    }

    public static func make(_ kind: Kind, _ owner: String) -> UInt64 {
        mark | kind.rawValue << 40 | (fnv1a(owner) & 0xff_ffff_ffff)
    }

    public static func isOurs(_ cookie: UInt64) -> Bool { cookie & markMask == mark }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

/// Groups taasd owns: one per remote tap service on each node that sends it copies, numbered
/// from the service's tunnel key. Groups outside the range are never touched.
public enum GroupIDs {
    public static let base: UInt32 = 0x7a00_0000
    public static let mask: UInt32 = 0xff00_0000
    public static func service(key: UInt32) -> UInt32 { base | (key & 0x00ff_ffff) }
    public static func isOurs(_ id: UInt32) -> Bool { id & mask == base }
}

/// The network a frame came from, as table 0 records it in reg6: 0 for the untagged network,
/// 0x1000 | VLAN for an access VLAN.
enum Network {
    static let register: UInt8 = 6
    static func id(_ tag: UInt16?) -> UInt32 { tag.map { 0x1000 | UInt32($0) } ?? 0 }
}

/// The set of destinations a sender's OUT copies went to, as table 2 records it in reg7 for
/// table 3 of the same node: a 31-bit hash (never 0, which means "none") of the destinations'
/// names on the wire (tunnel keys, mirror port names), so it does not depend on generated ids.
enum SenderLabel {
    static let register: UInt8 = 7
    static func of(_ names: [String]) -> UInt32 {
        UInt32(truncatingIfNeeded: Cookie.fnv1a(names.sorted().joined(separator: ",")) & 0x7fff_ffff) | 1
    }
}

/// A filtered copy to one destination, as the flow that makes it records it in reg5 for table 5:
/// a 31-bit hash (never 0) of the destination's delivery and the filters that include and exclude
/// frames, so equal conditions share their flows whichever unit makes them.
enum CopyCondition {
    static let register: UInt8 = 5
    static func of(_ text: String) -> UInt32 {
        UInt32(truncatingIfNeeded: Cookie.fnv1a(text) & 0x7fff_ffff) | 1
    }
}

/// A flow's identity on a switch: table, priority and match (what OpenFlow keys flows by).
public struct FlowKey: Hashable, Sendable {
    public let table: UInt8
    public let priority: UInt16
    public let match: Match
    /// Hashed once: programs hold hundreds of thousands of keys, hashed on every insert and lookup.
    private let hashCode: Int

    public init(table: UInt8, priority: UInt16, match: Match) {
        self.init(table: table, priority: priority, normalized: match.normalized)
    }

    init(table: UInt8, priority: UInt16, normalized match: Match) {
        self.table = table
        self.priority = priority
        self.match = match
        var h = Hasher()
        h.combine(table)
        h.combine(priority)
        h.combine(match)
        hashCode = h.finalize()
    }

    public func hash(into h: inout Hasher) { h.combine(hashCode) }

    public static func == (a: FlowKey, b: FlowKey) -> Bool {
        a.hashCode == b.hashCode && a.table == b.table && a.priority == b.priority && a.match == b.match
    }
}

extension Action {
    /// A copy toward a rate-limited destination: inside a clone (so that a meter's drop ends the
    /// copy, never the original frame's later actions), reg4 := the meter, on to table 6. The
    /// clone's first action, a truncating output to the input port, sends nothing (Open vSwitch
    /// skips output to the input port) but makes Open vSwitch 3.1 keep the clone in the datapath;
    /// without it, a clone of resubmit alone is inlined and the meter would police the original.
    static func meteredCopy(meter: UInt32) -> Action {
        .clone([.outputTruncated(port: 0xfff8, maxLength: 65535), .setField(.register(MeterIDs.register, meter)),
                .resubmit(inPort: Action.niciraInPort, table: Table.metered)])
    }

    /// A copy to one of a load-balanced service's tools: in a clone (reg3 stays the frame's
    /// own), reg3 := `selector`, the hash picks one of `tools` into reg3's low bits, and table 8
    /// delivers. `basis` 0 is the first choice; a down tool's flow hashes again with basis
    /// tool + 1 over the live tools, with `Balance.again` in the selector.
    static func balancedCopy(selector: UInt32, tools: Int, basis: UInt16) -> Action {
        .clone([.setField(.register(Balance.register, selector)), .multipath(Balance.multipath(tools: tools, basis: basis)),
                .resubmit(inPort: Action.niciraInPort, table: Table.balance)])
    }

    /// The selector, tool count and basis of a `balancedCopy` (nil: not one).
    var balancedCopy: (selector: UInt32, tools: Int, basis: UInt16)? {
        guard case .clone(let inner) = self, inner.count == 3, case .setField(let f) = inner[0], f.id == .nxRegister(Balance.register),
              case .multipath(let m) = inner[1], m == Balance.multipath(tools: m.links, basis: m.basis),
              case .resubmit(Action.niciraInPort, Table.balance) = inner[2] else { return nil }
        return (UInt32(truncatingIfNeeded: f.value.integer), m.links, m.basis)
    }

    /// The meter of a `meteredCopy` (nil: not one).
    var meteredCopyMeter: UInt32? {
        guard case .clone(let inner) = self, inner.count == 3, case .outputTruncated(0xfff8, 65535) = inner[0],
              case .setField(let f) = inner[1], f.id == .nxRegister(MeterIDs.register), case .resubmit(_, Table.metered) = inner[2] else { return nil }
        return UInt32(truncatingIfNeeded: f.value.integer)
    }
}
