import NIOCore

/// An OXM class (`ofp_oxm_class`), an open set.
public struct OXMClass: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Nicira's original NXM fields (`NXM_OF_*`).
    public static let nxm0 = OXMClass(rawValue: 0x0000)
    /// Nicira's extension fields (`NXM_NX_*`): registers, tunnel metadata.
    public static let nxm1 = OXMClass(rawValue: 0x0001)
    public static let openflowBasic = OXMClass(rawValue: 0x8000)
    /// `OXM_OF_PKT_REGS`: the 64-bit packet registers (Open vSwitch's xregs).
    public static let packetRegisters = OXMClass(rawValue: 0x8001)
    public static let experimenter = OXMClass(rawValue: 0xffff)
}

/// Which field an OXM TLV carries: its class and field number, without the
/// has-mask bit and length (which follow from the value).
public struct OXMFieldID: Hashable, Sendable, Comparable {
    public var oxmClass: OXMClass
    public var field: UInt8

    @inlinable public init(_ oxmClass: OXMClass, _ field: UInt8) {
        self.oxmClass = oxmClass
        self.field = field
    }

    @inlinable static func basic(_ f: UInt8) -> OXMFieldID { OXMFieldID(.openflowBasic, f) }

    public static let inPort = basic(0)
    public static let inPhyPort = basic(1)
    public static let metadata = basic(2)
    public static let ethDst = basic(3)
    public static let ethSrc = basic(4)
    public static let ethType = basic(5)
    public static let vlanVID = basic(6)
    public static let vlanPCP = basic(7)
    public static let ipDSCP = basic(8)
    public static let ipECN = basic(9)
    public static let ipProto = basic(10)
    public static let ipv4Src = basic(11)
    public static let ipv4Dst = basic(12)
    public static let tcpSrc = basic(13)
    public static let tcpDst = basic(14)
    public static let udpSrc = basic(15)
    public static let udpDst = basic(16)
    public static let sctpSrc = basic(17)
    public static let sctpDst = basic(18)
    public static let icmpv4Type = basic(19)
    public static let icmpv4Code = basic(20)
    public static let arpOp = basic(21)
    public static let arpSPA = basic(22)
    public static let arpTPA = basic(23)
    public static let arpSHA = basic(24)
    public static let arpTHA = basic(25)
    public static let ipv6Src = basic(26)
    public static let ipv6Dst = basic(27)
    public static let ipv6FLabel = basic(28)
    public static let icmpv6Type = basic(29)
    public static let icmpv6Code = basic(30)
    public static let ipv6NDTarget = basic(31)
    public static let ipv6NDSLL = basic(32)
    public static let ipv6NDTLL = basic(33)
    public static let mplsLabel = basic(34)
    public static let mplsTC = basic(35)
    public static let mplsBOS = basic(36)
    public static let pbbISID = basic(37)
    public static let tunnelID = basic(38)
    public static let ipv6ExtHdr = basic(39)

    /// `NXM_NX_REG0`…`NXM_NX_REG15`: Open vSwitch's 32-bit registers.
    public static func nxRegister(_ n: UInt8) -> OXMFieldID { OXMFieldID(.nxm1, n) }
    /// `NXM_NX_TUN_ID`: the Nicira spelling of the tunnel id (OVS prefers the basic `TUNNEL_ID` on 1.3).
    public static let nxTunnelID = OXMFieldID(.nxm1, 16)
    /// `NXM_NX_TUN_IPV4_SRC` / `_DST`: outer IPv4 addresses of a flow-based tunnel (`tun_src`, `tun_dst`).
    public static let nxTunnelIPv4Src = OXMFieldID(.nxm1, 31)
    public static let nxTunnelIPv4Dst = OXMFieldID(.nxm1, 32)
    /// `NXM_NX_TUN_IPV6_SRC` / `_DST`.
    public static let nxTunnelIPv6Src = OXMFieldID(.nxm1, 109)
    public static let nxTunnelIPv6Dst = OXMFieldID(.nxm1, 110)
    /// `OXM_OF_PKT_REG0`…: Open vSwitch's 64-bit xregs.
    public static func packetRegister(_ n: UInt8) -> OXMFieldID { OXMFieldID(.packetRegisters, n) }

    public static func < (a: Self, b: Self) -> Bool {
        (a.oxmClass.rawValue, a.field) < (b.oxmClass.rawValue, b.field)
    }

    /// What the codec knows of this field, or nil for a field it carries opaquely.
    public var info: OXMFieldInfo? { OXMFieldInfo.lookup(self) }

    /// The value width in bytes of a known field; the decoder's hot path, so no strings are touched.
    @inlinable
    public var knownWidth: Int? {
        switch oxmClass {
        case .openflowBasic:
            guard field < 40 else { return nil }
            return Int(basicFieldWidths[Int(field)])
        case .nxm1:
            switch field {
            case 0..<16, 31, 32: return 4
            case 16: return 8
            case 109, 110: return 16
            default: return nil
            }
        case .packetRegisters:
            return field < 8 ? 8 : nil
        default:
            return nil
        }
    }
}

/// Widths of OXM_OF_IN_PORT … OXM_OF_IPV6_EXTHDR, indexed by field number.
@usableFromInline
let basicFieldWidths: [UInt8] = [4, 4, 8, 6, 6, 2, 2, 1, 1, 1, 1, 4, 4, 2, 2, 2, 2, 2, 2, 1, 1, 2, 4, 4, 6, 6, 16, 16, 4, 1, 1, 16, 6, 6, 4, 1, 1, 3, 8, 2]

/// A field's prerequisite in a match (OpenFlow 1.3.5 §7.2.3.8, table 12).
public enum OXMPrerequisite: Hashable, Sendable {
    case none
    case inPort
    case vlanPresent
    case ethType([UInt16])
    /// IP protocol, which itself needs ETH_TYPE IPv4 or IPv6 (or only IPv6 for ICMPv6).
    case ipProto(UInt8)
    case icmpv6Type([UInt8])
}

/// Static facts about a known field.
public struct OXMFieldInfo: Sendable {
    /// The spec's constant, e.g. `OXM_OF_ETH_DST`.
    public let specName: String
    /// Open vSwitch's field name (`ovs-fields(7)`), used by `set_field` text.
    public let name: String
    /// Value width in bytes.
    public let width: Int
    /// Whether OpenFlow 1.3 allows a mask.
    public let maskable: Bool
    public let prerequisite: OXMPrerequisite

    static func lookup(_ id: OXMFieldID) -> OXMFieldInfo? {
        switch id.oxmClass {
        case .openflowBasic:
            return Int(id.field) < basicFields.count ? basicFields[Int(id.field)] : nil
        case .nxm1:
            switch id.field {
            case 0..<16: return registerFields[Int(id.field)]
            case 16: return OXMFieldInfo(specName: "NXM_NX_TUN_ID", name: "tun_id", width: 8, maskable: true, prerequisite: .none)
            case 31: return OXMFieldInfo(specName: "NXM_NX_TUN_IPV4_SRC", name: "tun_src", width: 4, maskable: true, prerequisite: .none)
            case 32: return OXMFieldInfo(specName: "NXM_NX_TUN_IPV4_DST", name: "tun_dst", width: 4, maskable: true, prerequisite: .none)
            case 109: return OXMFieldInfo(specName: "NXM_NX_TUN_IPV6_SRC", name: "tun_ipv6_src", width: 16, maskable: true, prerequisite: .none)
            case 110: return OXMFieldInfo(specName: "NXM_NX_TUN_IPV6_DST", name: "tun_ipv6_dst", width: 16, maskable: true, prerequisite: .none)
            default: return nil
            }
        case .packetRegisters:
            return id.field < 8 ? xregFields[Int(id.field)] : nil
        default:
            return nil
        }
    }
}

private let ip: [UInt16] = [0x0800, 0x86dd]
private let basicFields: [OXMFieldInfo] = [
    .init(specName: "OXM_OF_IN_PORT", name: "in_port", width: 4, maskable: false, prerequisite: .none),
    .init(specName: "OXM_OF_IN_PHY_PORT", name: "in_phy_port", width: 4, maskable: false, prerequisite: .inPort),
    .init(specName: "OXM_OF_METADATA", name: "metadata", width: 8, maskable: true, prerequisite: .none),
    .init(specName: "OXM_OF_ETH_DST", name: "eth_dst", width: 6, maskable: true, prerequisite: .none),
    .init(specName: "OXM_OF_ETH_SRC", name: "eth_src", width: 6, maskable: true, prerequisite: .none),
    .init(specName: "OXM_OF_ETH_TYPE", name: "eth_type", width: 2, maskable: false, prerequisite: .none),
    .init(specName: "OXM_OF_VLAN_VID", name: "vlan_vid", width: 2, maskable: true, prerequisite: .none),
    .init(specName: "OXM_OF_VLAN_PCP", name: "vlan_pcp", width: 1, maskable: false, prerequisite: .vlanPresent),
    .init(specName: "OXM_OF_IP_DSCP", name: "ip_dscp", width: 1, maskable: false, prerequisite: .ethType(ip)),
    .init(specName: "OXM_OF_IP_ECN", name: "nw_ecn", width: 1, maskable: false, prerequisite: .ethType(ip)),
    .init(specName: "OXM_OF_IP_PROTO", name: "nw_proto", width: 1, maskable: false, prerequisite: .ethType(ip)),
    .init(specName: "OXM_OF_IPV4_SRC", name: "ip_src", width: 4, maskable: true, prerequisite: .ethType([0x0800])),
    .init(specName: "OXM_OF_IPV4_DST", name: "ip_dst", width: 4, maskable: true, prerequisite: .ethType([0x0800])),
    .init(specName: "OXM_OF_TCP_SRC", name: "tcp_src", width: 2, maskable: false, prerequisite: .ipProto(6)),
    .init(specName: "OXM_OF_TCP_DST", name: "tcp_dst", width: 2, maskable: false, prerequisite: .ipProto(6)),
    .init(specName: "OXM_OF_UDP_SRC", name: "udp_src", width: 2, maskable: false, prerequisite: .ipProto(17)),
    .init(specName: "OXM_OF_UDP_DST", name: "udp_dst", width: 2, maskable: false, prerequisite: .ipProto(17)),
    .init(specName: "OXM_OF_SCTP_SRC", name: "sctp_src", width: 2, maskable: false, prerequisite: .ipProto(132)),
    .init(specName: "OXM_OF_SCTP_DST", name: "sctp_dst", width: 2, maskable: false, prerequisite: .ipProto(132)),
    .init(specName: "OXM_OF_ICMPV4_TYPE", name: "icmp_type", width: 1, maskable: false, prerequisite: .ipProto(1)),
    .init(specName: "OXM_OF_ICMPV4_CODE", name: "icmp_code", width: 1, maskable: false, prerequisite: .ipProto(1)),
    .init(specName: "OXM_OF_ARP_OP", name: "arp_op", width: 2, maskable: false, prerequisite: .ethType([0x0806])),
    .init(specName: "OXM_OF_ARP_SPA", name: "arp_spa", width: 4, maskable: true, prerequisite: .ethType([0x0806])),
    .init(specName: "OXM_OF_ARP_TPA", name: "arp_tpa", width: 4, maskable: true, prerequisite: .ethType([0x0806])),
    .init(specName: "OXM_OF_ARP_SHA", name: "arp_sha", width: 6, maskable: true, prerequisite: .ethType([0x0806])),
    .init(specName: "OXM_OF_ARP_THA", name: "arp_tha", width: 6, maskable: true, prerequisite: .ethType([0x0806])),
    .init(specName: "OXM_OF_IPV6_SRC", name: "ipv6_src", width: 16, maskable: true, prerequisite: .ethType([0x86dd])),
    .init(specName: "OXM_OF_IPV6_DST", name: "ipv6_dst", width: 16, maskable: true, prerequisite: .ethType([0x86dd])),
    .init(specName: "OXM_OF_IPV6_FLABEL", name: "ipv6_label", width: 4, maskable: true, prerequisite: .ethType([0x86dd])),
    .init(specName: "OXM_OF_ICMPV6_TYPE", name: "icmpv6_type", width: 1, maskable: false, prerequisite: .ipProto(58)),
    .init(specName: "OXM_OF_ICMPV6_CODE", name: "icmpv6_code", width: 1, maskable: false, prerequisite: .ipProto(58)),
    .init(specName: "OXM_OF_IPV6_ND_TARGET", name: "nd_target", width: 16, maskable: false, prerequisite: .icmpv6Type([135, 136])),
    .init(specName: "OXM_OF_IPV6_ND_SLL", name: "nd_sll", width: 6, maskable: false, prerequisite: .icmpv6Type([135])),
    .init(specName: "OXM_OF_IPV6_ND_TLL", name: "nd_tll", width: 6, maskable: false, prerequisite: .icmpv6Type([136])),
    .init(specName: "OXM_OF_MPLS_LABEL", name: "mpls_label", width: 4, maskable: false, prerequisite: .ethType([0x8847, 0x8848])),
    .init(specName: "OXM_OF_MPLS_TC", name: "mpls_tc", width: 1, maskable: false, prerequisite: .ethType([0x8847, 0x8848])),
    .init(specName: "OXM_OF_MPLS_BOS", name: "mpls_bos", width: 1, maskable: false, prerequisite: .ethType([0x8847, 0x8848])),
    .init(specName: "OXM_OF_PBB_ISID", name: "pbb_isid", width: 3, maskable: true, prerequisite: .ethType([0x88e7])),
    .init(specName: "OXM_OF_TUNNEL_ID", name: "tun_id", width: 8, maskable: true, prerequisite: .none),
    .init(specName: "OXM_OF_IPV6_EXTHDR", name: "ipv6_exthdr", width: 2, maskable: true, prerequisite: .ethType([0x86dd])),
]
private let registerFields: [OXMFieldInfo] = (0..<16).map {
    OXMFieldInfo(specName: "NXM_NX_REG\($0)", name: "reg\($0)", width: 4, maskable: true, prerequisite: .none)
}
private let xregFields: [OXMFieldInfo] = (0..<8).map {
    OXMFieldInfo(specName: "OXM_OF_PKT_REG\($0)", name: "xreg\($0)", width: 8, maskable: true, prerequisite: .none)
}

/// One OXM TLV: a field, its value and an optional mask.
///
/// Known and unknown fields share this shape: the header's length is derived from
/// the value and mask, so any TLV a peer sends re-encodes to the same bytes.
public struct OXMField: Hashable, Sendable {
    public var id: OXMFieldID
    public var value: OXMValue
    public var mask: OXMValue?

    @inlinable
    public init(_ id: OXMFieldID, value: OXMValue, mask: OXMValue? = nil) {
        self.id = id
        self.value = value
        self.mask = mask
    }

    /// A field of known width from an integer, e.g. `OXMField(.inPort, 1)`.
    public init(_ id: OXMFieldID, _ value: UInt64, mask: UInt64? = nil) {
        // knownWidth touches no strings: the pipeline compiler builds millions of these.
        let width = id.knownWidth ?? 8
        self.init(id, value: OXMValue(value, width: width), mask: mask.map { OXMValue($0, width: width) })
    }

    public static func inPort(_ p: PortNumber) -> OXMField { OXMField(.inPort, UInt64(p.rawValue)) }
    public static func ethDst(_ a: EthernetAddress, mask: EthernetAddress? = nil) -> OXMField {
        OXMField(.ethDst, a.rawValue, mask: mask?.rawValue)
    }
    public static func ethSrc(_ a: EthernetAddress, mask: EthernetAddress? = nil) -> OXMField {
        OXMField(.ethSrc, a.rawValue, mask: mask?.rawValue)
    }
    public static func ethType(_ t: UInt16) -> OXMField { OXMField(.ethType, UInt64(t)) }
    /// `vid` including `OFPVID_PRESENT` (0x1000) when matching tagged frames.
    public static func vlanVID(_ vid: UInt16, mask: UInt16? = nil) -> OXMField {
        OXMField(.vlanVID, UInt64(vid), mask: mask.map(UInt64.init))
    }
    public static func tunnelID(_ id: UInt64, mask: UInt64? = nil) -> OXMField { OXMField(.tunnelID, id, mask: mask) }
    public static func tunnelIPv4Dst(_ a: IPv4Address) -> OXMField { OXMField(.nxTunnelIPv4Dst, UInt64(a.rawValue)) }
    public static func tunnelIPv4Src(_ a: IPv4Address) -> OXMField { OXMField(.nxTunnelIPv4Src, UInt64(a.rawValue)) }
    public static func register(_ n: UInt8, _ v: UInt32, mask: UInt32? = nil) -> OXMField {
        OXMField(.nxRegister(n), UInt64(v), mask: mask.map(UInt64.init))
    }
    public static func metadata(_ v: UInt64, mask: UInt64? = nil) -> OXMField { OXMField(.metadata, v, mask: mask) }

    /// Bytes of the TLV on the wire, header included.
    @inlinable public var wireLength: Int { 4 + payloadLength }
    @inlinable var payloadLength: Int { value.count + (mask?.count ?? 0) }

    /// The 32-bit OXM header: class, field, has-mask bit, payload length.
    @inlinable public var header: UInt32 {
        UInt32(id.oxmClass.rawValue) << 16 | UInt32(id.field) << 9 | (mask == nil ? 0 : 1 << 8) | UInt32(payloadLength & 0xff)
    }
}

extension RawReader {
    /// Reads one OXM TLV; malformed lengths throw `lengthError` (match or set-field context).
    @inlinable
    mutating func oxmField(lengthError: ErrorCode) throws(ParseError) -> OXMField {
        let header = try read(UInt32.self, or: lengthError)
        let length = Int(header & 0xff)
        let hasMask = header & 0x100 != 0
        let id = OXMFieldID(OXMClass(rawValue: UInt16(header >> 16)), UInt8((header >> 9) & 0x7f))
        guard remaining >= length else { throw ParseError(lengthError, "OXM length exceeds enclosing structure") }
        if hasMask {
            guard length % 2 == 0, length > 0 else { throw ParseError(lengthError, "masked OXM with odd length") }
        }
        if let width = id.knownWidth, width * (hasMask ? 2 : 1) != length {
            throw ParseError(lengthError, "OXM length does not match field width")
        }
        let valueLength = hasMask ? length / 2 : length
        let value = try oxmValue(count: valueLength, or: lengthError)
        return OXMField(id, value: value, mask: hasMask ? try oxmValue(count: valueLength, or: lengthError) : nil)
    }
}

extension RawWriter {
    @inlinable
    mutating func oxmField(_ f: OXMField) {
        write(f.header)
        oxmValue(f.value)
        if let m = f.mask { oxmValue(m) }
    }
}
