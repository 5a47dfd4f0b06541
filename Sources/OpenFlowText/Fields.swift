import OpenFlow

/// How a field's value is written.
enum ValueKind {
    case decimal
    /// `%#x`: `0` or `0x…`.
    case hex
    case ipv4, ipv6, mac
    /// A 32-bit OpenFlow 1.3 port number, reserved ports by name.
    case port
    /// A 16-bit OpenFlow 1.0 port number (`NXM_OF_IN_PORT`), reserved ports by name.
    case port16
    /// `0x%04x`.
    case ethType
    /// `0x%05x` (IPv6 flow label in a match).
    case flowLabel
    /// OXM IP_DSCP shown as the ToS byte (`nw_tos=DSCP<<2`).
    case tos
    /// `nw_frag=no|yes|first|later|not_later`.
    case frag
}

/// What the text form knows about one field: names, formats and where it goes.
struct FieldSpec: Sendable {
    let id: OXMFieldID
    let width: Int
    /// Name in a match, or nil when a match never shows it by name.
    let matchName: String?
    /// Name after `set_field:…->`, or nil.
    let setName: String?
    let kind: ValueKind
    let setKind: ValueKind
    /// Position in `ovs-ofctl`'s printed match.
    let printRank: Int
    /// Position in the OXM list Open vSwitch encodes for OpenFlow 1.3.
    let wireRank: Int
}

/// NXM/OXM ids the text form knows beyond the codec's constants.
enum ExtraField {
    /// `NXM_OF_IN_PORT`: what Open vSwitch sends for `set_field:N->in_port` (it cannot
    /// set OXM_OF_IN_PORT, which therefore only shows in the generic form).
    static let nxInPort = OXMFieldID(.nxm0, 0)
    /// `NXM_OF_VLAN_TCI`: `set_field:V->vlan_tci`.
    static let vlanTCI = OXMFieldID(.nxm0, 4)
    /// `NXM_OF_IP_TOS`: what Open vSwitch sends for `set_field:N->nw_tos`.
    static let nwTOS = OXMFieldID(.nxm0, 5)
    /// `NXM_NX_IP_FRAG`.
    static let nwFrag = OXMFieldID(.nxm1, 26)
    /// `NXM_NX_IP_TTL`.
    static let nwTTL = OXMFieldID(.nxm1, 29)
    /// `NXM_NX_PKT_MARK`.
    static let pktMark = OXMFieldID(.nxm1, 33)
}

/// Rank given to fields known only generically: after the registers, before metadata
/// (where Open vSwitch puts most of its extension fields), in the order given.
let genericWireRank = 150
let genericPrintRank = 10_000
/// The protocol shorthand (`ip`, `tcp`, …) sits here among the printed items.
let shorthandPrintRank = 50

enum Fields {
    static let all: [FieldSpec] = {
        func f(_ id: OXMFieldID, _ width: Int, _ matchName: String?, _ setName: String?, _ kind: ValueKind,
               _ setKind: ValueKind? = nil, print: Int, wire: Int) -> FieldSpec {
            FieldSpec(id: id, width: width, matchName: matchName, setName: setName, kind: kind, setKind: setKind ?? kind,
                      printRank: print, wireRank: wire)
        }
        var list: [FieldSpec] = [
            f(.inPort, 4, "in_port", nil, .port, print: 310, wire: 0),
            f(.inPhyPort, 4, "in_phy_port", "in_phy_port", .port, print: 311, wire: 1),
            f(.metadata, 8, "metadata", "metadata", .hex, print: 300, wire: 900),
            f(.ethSrc, 6, "dl_src", "eth_src", .mac, print: 330, wire: 10),
            f(.ethDst, 6, "dl_dst", "eth_dst", .mac, print: 331, wire: 11),
            f(.ethType, 2, "dl_type", "eth_type", .ethType, .hex, print: 340, wire: 12),
            // VLAN fields print through vlan_tci logic; names here serve set_field.
            f(.vlanVID, 2, nil, "vlan_vid", .decimal, print: 320, wire: 13),
            f(.vlanPCP, 1, nil, "vlan_pcp", .decimal, print: 321, wire: 14),
            f(.mplsTC, 1, "mpls_tc", "mpls_tc", .decimal, print: 451, wire: 20),
            f(.mplsBOS, 1, "mpls_bos", "mpls_bos", .decimal, print: 452, wire: 21),
            f(.mplsLabel, 4, "mpls_label", "mpls_label", .decimal, print: 450, wire: 22),
            f(.ipv4Src, 4, "nw_src", "ip_src", .ipv4, print: 410, wire: 30),
            f(.ipv4Dst, 4, "nw_dst", "ip_dst", .ipv4, print: 411, wire: 31),
            f(.ipv6Src, 16, "ipv6_src", "ipv6_src", .ipv6, print: 400, wire: 32),
            f(.ipv6Dst, 16, "ipv6_dst", "ipv6_dst", .ipv6, print: 401, wire: 33),
            f(ExtraField.nwFrag, 1, "nw_frag", nil, .frag, print: 460, wire: 40),
            f(.ipDSCP, 1, "nw_tos", "ip_dscp", .tos, .decimal, print: 440, wire: 41),
            f(.ipECN, 1, "nw_ecn", "nw_ecn", .decimal, print: 441, wire: 42),
            f(ExtraField.nwTTL, 1, "nw_ttl", "nw_ttl", .decimal, print: 442, wire: 43),
            f(.ipv6FLabel, 4, "ipv6_label", "ipv6_label", .flowLabel, .hex, print: 402, wire: 44),
            f(.ipv6ExtHdr, 2, "ipv6_exthdr", "ipv6_exthdr", .hex, print: 500, wire: 46),
            f(.ipProto, 1, "nw_proto", "nw_proto", .decimal, print: 420, wire: 45),
            f(.tcpSrc, 2, "tcp_src", "tcp_src", .decimal, print: 470, wire: 50),
            f(.tcpDst, 2, "tcp_dst", "tcp_dst", .decimal, print: 471, wire: 51),
            f(.udpSrc, 2, "udp_src", "udp_src", .decimal, print: 472, wire: 52),
            f(.udpDst, 2, "udp_dst", "udp_dst", .decimal, print: 473, wire: 53),
            f(.sctpSrc, 2, "sctp_src", "sctp_src", .decimal, print: 474, wire: 54),
            f(.sctpDst, 2, "sctp_dst", "sctp_dst", .decimal, print: 475, wire: 55),
            f(.icmpv4Type, 1, "icmp_type", "icmp_type", .decimal, print: 480, wire: 56),
            f(.icmpv4Code, 1, "icmp_code", "icmp_code", .decimal, print: 481, wire: 57),
            f(.icmpv6Type, 1, "icmpv6_type", "icmpv6_type", .decimal, print: 482, wire: 58),
            f(.icmpv6Code, 1, "icmpv6_code", "icmpv6_code", .decimal, print: 483, wire: 59),
            f(.ipv6NDTarget, 16, "nd_target", "nd_target", .ipv6, print: 490, wire: 60),
            f(.ipv6NDSLL, 6, "nd_sll", "nd_sll", .mac, print: 491, wire: 61),
            f(.ipv6NDTLL, 6, "nd_tll", "nd_tll", .mac, print: 492, wire: 62),
            f(.arpOp, 2, "arp_op", "arp_op", .decimal, print: 421, wire: 70),
            f(.arpSPA, 4, "arp_spa", "arp_spa", .ipv4, print: 412, wire: 71),
            f(.arpTPA, 4, "arp_tpa", "arp_tpa", .ipv4, print: 413, wire: 72),
            f(.arpSHA, 6, "arp_sha", "arp_sha", .mac, print: 430, wire: 73),
            f(.arpTHA, 6, "arp_tha", "arp_tha", .mac, print: 431, wire: 74),
            f(.tunnelID, 8, "tun_id", "tun_id", .hex, print: 200, wire: 80),
            f(.nxTunnelIPv4Src, 4, "tun_src", "tun_src", .ipv4, print: 201, wire: 82),
            f(.nxTunnelIPv4Dst, 4, "tun_dst", "tun_dst", .ipv4, print: 202, wire: 83),
            f(.nxTunnelIPv6Src, 16, "tun_ipv6_src", "tun_ipv6_src", .ipv6, print: 203, wire: 84),
            f(.nxTunnelIPv6Dst, 16, "tun_ipv6_dst", "tun_ipv6_dst", .ipv6, print: 204, wire: 85),
            f(.pbbISID, 3, "pbb_isid", "pbb_isid", .hex, print: 510, wire: 140),
            f(ExtraField.pktMark, 4, "pkt_mark", "pkt_mark", .hex, print: 5, wire: 120),
            // Set-field only: Open vSwitch encodes matches on these with the OXM fields.
            f(ExtraField.nxInPort, 2, nil, "in_port", .port16, print: genericPrintRank, wire: genericWireRank),
            f(ExtraField.vlanTCI, 2, nil, "vlan_tci", .hex, print: genericPrintRank, wire: genericWireRank),
            f(ExtraField.nwTOS, 1, nil, "nw_tos", .decimal, print: genericPrintRank, wire: genericWireRank),
        ]
        for n in 0..<16 {
            list.append(f(.nxRegister(UInt8(n)), 4, "reg\(n)", "reg\(n)", .hex, print: 100 + n, wire: 100 + n))
        }
        // In a match, `xregN` text means a pair of 32-bit registers (as Open vSwitch encodes it
        // for OpenFlow 1.3), so OXM_OF_PKT_REG fields only print generically there.
        for n in 0..<8 {  // Open vSwitch 3.1 has eight xregs
            list.append(f(.packetRegister(UInt8(n)), 8, nil, "xreg\(n)", .hex, print: genericPrintRank, wire: genericWireRank))
        }
        return list
    }()

    static let byID: [OXMFieldID: FieldSpec] = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

    static func spec(_ id: OXMFieldID) -> FieldSpec? { byID[id] }

    static let bySetName: [String: FieldSpec] = {
        var d: [String: FieldSpec] = [:]
        for s in all { if let n = s.setName { d[n] = s } }
        return d
    }()

    static let byMatchName: [String: FieldSpec] = {
        var d: [String: FieldSpec] = [:]
        for s in all { if let n = s.matchName { d[n] = s } }
        return d
    }()

    static func wireRank(_ id: OXMFieldID) -> Int { byID[id]?.wireRank ?? genericWireRank }
}

// MARK: - Generic form

/// Fields without a usable name print as `oxm:CCCC:F=0xVALUE[/0xMASK]`: the OXM class in
/// four hex digits, the field number in decimal, and the exact bytes of value and mask.
enum GenericField {
    static func name(_ id: OXMFieldID) -> String {
        let c = String(id.oxmClass.rawValue, radix: 16)
        return "oxm:" + String(repeating: "0", count: 4 - c.count) + c + ":\(id.field)"
    }

    static func value(_ f: OXMField) -> String {
        var s = "0x" + Fmt.plainHex(f.value.bytes)
        if let m = f.mask { s += "/0x" + Fmt.plainHex(m.bytes) }
        return s
    }

    static func parseName(_ name: String) -> OXMFieldID? {
        guard name.hasPrefix("oxm:") else { return nil }
        let parts = name.dropFirst(4).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 4, !parts[0].isEmpty,
              let cls = Scan.number("0x" + parts[0], max: 0xffff),
              !parts[1].hasPrefix("0x"), let field = Scan.number(parts[1], max: 127) else { return nil }
        return OXMFieldID(OXMClass(rawValue: UInt16(cls)), UInt8(field))
    }

    static func parseValue(_ id: OXMFieldID, _ text: String) -> OXMField? {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let v = Scan.hexBytes(parts[0]), v.count <= 255 else { return nil }
        var mask: OXMValue? = nil
        if parts.count == 2 {
            guard let m = Scan.hexBytes(parts[1]), m.count == v.count else { return nil }
            mask = OXMValue(bytes: m)
        }
        return OXMField(id, value: OXMValue(bytes: v), mask: mask)
    }
}

// MARK: - Ports

enum PortText {
    static let reserved: [(String, UInt32)] = [
        ("IN_PORT", 0xffff_fff8), ("TABLE", 0xffff_fff9), ("NORMAL", 0xffff_fffa), ("FLOOD", 0xffff_fffb),
        ("ALL", 0xffff_fffc), ("CONTROLLER", 0xffff_fffd), ("LOCAL", 0xffff_fffe), ("ANY", 0xffff_ffff),
    ]

    /// As `ovs-ofctl` prints an OpenFlow 1.3 port. Ports Open vSwitch cannot name
    /// (0xff00 through 0xfffffeff outside the 16-bit range) print in hex so they read back.
    static func render(_ p: UInt32) -> String {
        if let r = reserved.first(where: { $0.1 == p }) { return r.0 }
        if p >= 0xffff_ff00 { return String(p - 0xffff_0000) }
        if p >= 0xff00 && p <= 0xffff { return "0x" + String(p, radix: 16) }
        return String(p)
    }

    /// Names (any case), decimal (16-bit reserved numbers 0xff00–0xffff translate to their
    /// 1.3 values, as `ovs-ofctl` does), or `0x` hex taken as the raw 32-bit number.
    static func parse(_ s: String) -> UInt32? {
        let upper = s.uppercased()
        if let r = reserved.first(where: { $0.0 == upper }) { return r.1 }
        if upper == "NONE" { return 0xffff_ffff }
        if s.hasPrefix("0x") { return Scan.number(s, max: UInt64(UInt32.max)).map { UInt32($0) } }
        guard let n = Scan.number(s, max: UInt64(UInt32.max)) else { return nil }
        if n >= 0xff00 && n <= 0xffff { return UInt32(n) | 0xffff_0000 }
        return UInt32(n)
    }

    /// The 16-bit (OpenFlow 1.0) port numbers of Nicira actions.
    static func render16(_ p: UInt16) -> String {
        if p >= 0xfff8, let r = reserved.first(where: { $0.1 == UInt32(p) | 0xffff_0000 }) { return r.0 }
        return String(p)
    }

    static func parse16(_ s: String) -> UInt16? {
        guard let p = parse(s) else { return nil }
        if p <= 0xffff { return UInt16(p) }
        if p >= 0xffff_ff00 { return UInt16(truncatingIfNeeded: p) }
        return nil
    }
}

// MARK: - Values

enum FieldValue {
    /// Text of a value (and mask) of `width` bytes; nil when `kind` cannot show it.
    static func render(_ f: OXMField, kind: ValueKind, width: Int, maskedDecimalAsHex: Bool = true) -> String? {
        guard f.value.count == width, f.mask.map({ $0.count == width }) ?? true else { return nil }
        let v = f.value.integer
        let m = f.mask?.integer
        switch kind {
        case .decimal:
            guard let m else { return String(v) }
            return maskedDecimalAsHex ? Fmt.alt(v) + "/" + Fmt.alt(m) : String(v) + "/" + String(m)
        case .hex:
            guard width <= 8 else { return nil }
            return Fmt.alt(v) + (m.map { "/" + Fmt.alt($0) } ?? "")
        case .ethType:
            guard m == nil else { return nil }
            return Fmt.padded(v, 4)
        case .flowLabel:
            return Fmt.padded(v, 5) + (m.map { "/" + Fmt.padded($0, 5) } ?? "")
        case .ipv4:
            guard let m else { return Fmt.ipv4(UInt32(truncatingIfNeeded: v)) }
            return Fmt.ipv4Masked(UInt32(truncatingIfNeeded: v), UInt32(truncatingIfNeeded: m))
        case .ipv6:
            guard let mask = f.mask else { return Fmt.ipv6(hi: f.value.high, lo: v) }
            return Fmt.ipv6Masked(f.value, mask)
        case .mac:
            return Fmt.mac(v) + (m.map { "/" + Fmt.mac($0) } ?? "")
        case .port:
            guard m == nil else { return nil }
            return PortText.render(UInt32(truncatingIfNeeded: v))
        case .port16:
            guard m == nil else { return nil }
            return PortText.render16(UInt16(truncatingIfNeeded: v))
        case .tos:
            guard m == nil, v < 64 else { return nil }
            return String(v << 2)
        case .frag:
            switch (v, m) {
            case (0, nil): return "no"
            case (1, nil): return "first"
            case (3, nil): return "later"
            case (1, 1?): return "yes"
            case (0, 2?): return "not_later"
            default: return nil
            }
        }
    }

    /// Parses a value (and optional mask) into a field. Masks of all ones become exact
    /// matches and values are ANDed with their mask, as `ovs-ofctl` does.
    static func parse(_ text: String, id: OXMFieldID, kind: ValueKind, width: Int) -> OXMField? {
        var field: OXMField
        switch kind {
        case .decimal, .hex, .ethType, .flowLabel:
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let max: UInt64 = width >= 8 ? .max : (1 << UInt64(width * 8)) - 1
            guard let v = Scan.number(parts[0], max: max) else { return nil }
            var m: UInt64? = nil
            if parts.count == 2 {
                guard let mm = Scan.number(parts[1], max: max) else { return nil }
                m = mm
            }
            field = OXMField(id, value: OXMValue(v, width: width), mask: m.map { OXMValue($0, width: width) })
        case .ipv4:
            guard width == 4, let (v, m) = Addr.ipv4Masked(text) else { return nil }
            field = OXMField(id, value: OXMValue(UInt64(v), width: 4), mask: m.map { OXMValue(UInt64($0), width: 4) })
        case .ipv6:
            guard width == 16, let (v, m) = Addr.ipv6Masked(text) else { return nil }
            field = OXMField(id, value: v, mask: m)
        case .mac:
            guard width == 6, let (v, m) = Addr.macMasked(text) else { return nil }
            field = OXMField(id, value: OXMValue(v, width: 6), mask: m.map { OXMValue($0, width: 6) })
        case .port:
            guard width == 4, let p = PortText.parse(text) else { return nil }
            field = OXMField(id, value: OXMValue(UInt64(p), width: 4))
        case .port16:
            guard width == 2, let p = PortText.parse16(text) else { return nil }
            field = OXMField(id, value: OXMValue(UInt64(p), width: 2))
        case .tos:
            guard let tos = Scan.number(text, max: 255), tos & 3 == 0 else { return nil }
            field = OXMField(id, value: OXMValue(tos >> 2, width: 1))
        case .frag:
            switch text {
            case "no": field = OXMField(id, value: OXMValue(0, width: 1))
            case "first": field = OXMField(id, value: OXMValue(1, width: 1))
            case "later": field = OXMField(id, value: OXMValue(3, width: 1))
            case "yes": field = OXMField(id, value: OXMValue(1, width: 1), mask: OXMValue(1, width: 1))
            case "not_later": field = OXMField(id, value: OXMValue(0, width: 1), mask: OXMValue(2, width: 1))
            default: return nil
            }
            return field
        }
        if let m = field.mask {
            if m.isAllOnes { field.mask = nil } else { field.value = field.value.and(m) }
        }
        return field
    }
}
