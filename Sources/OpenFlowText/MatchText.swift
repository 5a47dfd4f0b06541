import OpenFlow

/// The Ethernet type and IP protocol a match pins down exactly: they decide which
/// name some fields print under (`tp_src`, `icmp_type`, `nw_src` on ARP, …).
struct MatchContext: Sendable {
    var ethType: UInt16?
    var ipProto: UInt8?

    var isARP: Bool { ethType == 0x0806 || ethType == 0x8035 }
    var isIPv6: Bool { ethType == 0x86dd }

    init(ethType: UInt16? = nil, ipProto: UInt8? = nil) {
        self.ethType = ethType
        self.ipProto = ipProto
    }

    /// From the first exact Ethernet type and IP protocol fields: the ones that print by name,
    /// and so the ones `parse` sees again.
    init(_ m: Match) {
        if let i = Self.ethTypeIndex(m) { ethType = UInt16(truncatingIfNeeded: m.fields[i].value.integer) }
        if let i = Self.ipProtoIndex(m) { ipProto = UInt8(truncatingIfNeeded: m.fields[i].value.integer) }
    }

    static func ethTypeIndex(_ m: Match) -> Int? {
        m.fields.firstIndex { $0.id == .ethType && $0.mask == nil && $0.value.count == 2 }
    }

    static func ipProtoIndex(_ m: Match) -> Int? {
        m.fields.firstIndex { $0.id == .ipProto && $0.mask == nil && $0.value.count == 1 }
    }
}

enum Shorthand {
    static let table: [(String, UInt16, UInt8?)] = [
        ("ip", 0x0800, nil), ("icmp", 0x0800, 1), ("tcp", 0x0800, 6), ("udp", 0x0800, 17), ("sctp", 0x0800, 132),
        ("ipv6", 0x86dd, nil), ("icmp6", 0x86dd, 58), ("tcp6", 0x86dd, 6), ("udp6", 0x86dd, 17), ("sctp6", 0x86dd, 132),
        ("arp", 0x0806, nil), ("rarp", 0x8035, nil), ("mpls", 0x8847, nil), ("mplsm", 0x8848, nil),
        ("ipv4", 0x0800, nil), ("tcp4", 0x0800, 6), ("udp4", 0x0800, 17), ("sctp4", 0x0800, 132), ("icmp4", 0x0800, 1),
    ]

    static func lookup(_ name: String) -> (UInt16, UInt8?)? {
        table.first { $0.0 == name }.map { ($0.1, $0.2) }
    }

    /// The keyword `ovs-ofctl` prints for this Ethernet type and protocol, and whether it implies the protocol.
    static func name(ethType: UInt16, ipProto: UInt8?) -> (String, consumesProto: Bool)? {
        if let p = ipProto, let hit = table.prefix(10).first(where: { $0.1 == ethType && $0.2 == p }) { return (hit.0, true) }
        if let hit = table.prefix(14).first(where: { $0.1 == ethType && $0.2 == nil }) { return (hit.0, false) }
        return nil
    }
}

enum MatchText {
    // MARK: Rendering

    static func render(_ match: Match, priority: UInt16?) -> String {
        let ctx = MatchContext(match)
        var items: [(rank: Int, seq: Int, text: String)] = []
        if let priority, priority != 0x8000 { items.append((0, -1, "priority=\(priority)")) }

        var consumed = Set<Int>()  // indices of fields shown by the shorthand or VLAN items
        let fields = match.fields
        func firstIndex(_ id: OXMFieldID) -> Int? { fields.firstIndex { $0.id == id } }

        if let et = ctx.ethType, let sh = Shorthand.name(ethType: et, ipProto: ctx.ipProto),
           let ei = MatchContext.ethTypeIndex(match) {
            items.append((shorthandPrintRank, -1, sh.0))
            consumed.insert(ei)
            if sh.consumesProto, let pi = MatchContext.ipProtoIndex(match) { consumed.insert(pi) }
        }

        // VLAN: shown as dl_vlan / dl_vlan_pcp / vlan_tci when that reads back to the same OXM fields.
        let vi = firstIndex(.vlanVID), pi = firstIndex(.vlanPCP)
        if vi != nil || pi != nil {
            let original = [vi, pi].compactMap { $0 }.map { fields[$0] }
            let texts = Vlan.render(vid: vi.map { fields[$0] }, pcp: pi.map { fields[$0] })
            if let texts, (try? Vlan.parse(texts.map { ($0.0, $0.1) })) == original {
                for (k, v) in texts { items.append((320, items.count, k + "=" + v)) }
                for i in [vi, pi] { if let i { consumed.insert(i) } }
            }
        }

        // A field shows by name once (its first occurrence that reads back); the rest print generically.
        var namedIDs = Set(consumed.map { fields[$0].id })
        var generic: [Int] = []
        for (i, f) in fields.enumerated() where !consumed.contains(i) {
            if !namedIDs.contains(f.id), let (rank, text) = named(f, ctx) {
                namedIDs.insert(f.id)
                items.append((rank, i, text))
            } else {
                generic.append(i)
            }
        }
        // Generic items go last, in the order `parse` gives them back: repeats of a named
        // field at that field's place in the encoding order, the rest after the registers.
        func key(_ i: Int) -> (Int, Int) {
            (namedIDs.contains(fields[i].id) ? Fields.wireRank(fields[i].id) : genericWireRank, i)
        }
        for (n, i) in generic.sorted(by: { key($0) < key($1) }).enumerated() {
            items.append((genericPrintRank, n, GenericField.name(fields[i].id) + "=" + GenericField.value(fields[i])))
        }
        items.sort { ($0.rank, $0.seq) < ($1.rank, $1.seq) }
        return items.map(\.text).joined(separator: ",")
    }

    /// `name=value` for a field, if it reads back to exactly this field.
    private static func named(_ f: OXMField, _ ctx: MatchContext) -> (Int, String)? {
        guard let spec = Fields.spec(f.id), f.id != .vlanVID, f.id != .vlanPCP else { return nil }
        var kind = spec.kind
        var name: String
        switch f.id {
        case .ipv4Src: name = ctx.isARP ? "ip_src" : "nw_src"
        case .ipv4Dst: name = ctx.isARP ? "ip_dst" : "nw_dst"
        case .ipProto: name = ctx.isARP ? "ip_proto" : "nw_proto"
        case .tcpSrc, .tcpDst, .udpSrc, .udpDst, .sctpSrc, .sctpDst:
            let proto: UInt8 = switch f.id {
            case .tcpSrc, .tcpDst: 6
            case .udpSrc, .udpDst: 17
            default: 132
            }
            let isSrc = f.id == .tcpSrc || f.id == .udpSrc || f.id == .sctpSrc
            name = ctx.ipProto == proto ? (isSrc ? "tp_src" : "tp_dst") : (spec.matchName ?? "")
        case .icmpv4Type: name = ctx.isIPv6 ? "icmpv4_type" : "icmp_type"
        case .icmpv4Code: name = ctx.isIPv6 ? "icmpv4_code" : "icmp_code"
        case .icmpv6Type: name = ctx.isIPv6 ? "icmp_type" : "icmpv6_type"
        case .icmpv6Code: name = ctx.isIPv6 ? "icmp_code" : "icmpv6_code"
        case .ipDSCP:
            name = "nw_tos"
            if f.mask != nil || f.value.integer >= 64 { name = "ip_dscp"; kind = .decimal }
        default:
            guard let n = spec.matchName else { return nil }
            name = n
        }
        guard let text = FieldValue.render(f, kind: kind, width: spec.width) else { return nil }
        // Only keep the name if it reads back to this very field.
        guard let back = try? item(name, text, ctx: ctx, offset: 0), back == [f] else { return nil }
        return (spec.printRank, name + "=" + text)
    }

    // MARK: Parsing

    /// Which field a match keyword names, given the Ethernet type and protocol.
    private static func resolve(_ key: String, _ ctx: MatchContext) -> (FieldSpec, ValueKind)? {
        func s(_ id: OXMFieldID) -> FieldSpec? { Fields.spec(id) }
        let spec: FieldSpec?
        var kind: ValueKind? = nil
        switch key {
        case "eth_src": spec = s(.ethSrc)
        case "eth_dst": spec = s(.ethDst)
        case "eth_type": spec = s(.ethType)
        case "nw_src": spec = s(ctx.isARP ? .arpSPA : .ipv4Src)
        case "nw_dst": spec = s(ctx.isARP ? .arpTPA : .ipv4Dst)
        case "ip_src": spec = s(.ipv4Src)
        case "ip_dst": spec = s(.ipv4Dst)
        case "nw_proto": spec = s(ctx.isARP ? .arpOp : .ipProto)
        case "ip_proto": spec = s(.ipProto)
        case "ip_dscp": spec = s(.ipDSCP); kind = .decimal
        case "ip_ecn": spec = s(.ipECN)
        case "ip_frag": spec = s(ExtraField.nwFrag)
        case "tp_src", "tp_dst":
            let src = key == "tp_src"
            switch ctx.ipProto {
            case 17: spec = s(src ? .udpSrc : .udpDst)
            case 132: spec = s(src ? .sctpSrc : .sctpDst)
            default: spec = s(src ? .tcpSrc : .tcpDst)
            }
        case "icmp_type": spec = s(ctx.isIPv6 ? .icmpv6Type : .icmpv4Type)
        case "icmp_code": spec = s(ctx.isIPv6 ? .icmpv6Code : .icmpv4Code)
        case "icmpv4_type": spec = s(.icmpv4Type)
        case "icmpv4_code": spec = s(.icmpv4Code)
        case "tunnel_id": spec = s(.tunnelID)
        default: spec = Fields.byMatchName[key]
        }
        guard let spec else { return nil }
        return (spec, kind ?? spec.kind)
    }

    /// The OXM fields one `key=value` item stands for (none for a zero mask).
    static func item(_ key: String, _ value: String, ctx: MatchContext, keyOffset: Int = 0, offset: Int)
        throws(TextParseError) -> [OXMField]
    {
        if let id = GenericField.parseName(key) {
            guard let f = GenericField.parseValue(id, value) else {
                throw TextParseError("bad value \"\(value)\" for \(key) (expected 0x-prefixed bytes)", position: offset)
            }
            return [f]
        }
        if key.hasPrefix("xreg"), let n = Scan.number(key.dropFirst(4), max: 7), !key.dropFirst(4).hasPrefix("0x") {
            // An xreg in an OpenFlow 1.3 match is the register pair reg(2n), reg(2n+1).
            guard let f = FieldValue.parse(value, id: .packetRegister(UInt8(n)), kind: .hex, width: 8) else {
                throw TextParseError("bad value \"\(value)\" for \(key)", position: offset)
            }
            let v = f.value.integer, m = f.mask?.integer ?? .max
            var out: [OXMField] = []
            for (reg, shift) in [(UInt8(2 * n), UInt64(32)), (UInt8(2 * n + 1), UInt64(0))] {
                let hv = UInt32(truncatingIfNeeded: v >> shift), hm = UInt32(truncatingIfNeeded: m >> shift)
                if hm != 0 { out.append(.register(reg, hv, mask: hm == .max ? nil : hm)) }
            }
            return out
        }
        guard let (spec, kind) = resolve(key, ctx) else {
            throw TextParseError("unknown field \"\(key)\"", position: keyOffset)
        }
        guard let f = FieldValue.parse(value, id: spec.id, kind: kind, width: spec.width) else {
            throw TextParseError("bad value \"\(value)\" for \(key)", position: offset)
        }
        if let m = f.mask, m.isZero { return [] }
        return [f]
    }

    /// Builds a match from `key[=value]` tokens (priority, table and the like already removed).
    static func parse(_ tokens: [Token]) throws(TextParseError) -> (Match, MatchContext) {
        // Pass 1: the Ethernet type and IP protocol, which decide what some names mean.
        var ctx = MatchContext()
        var ethFrom: Token? = nil
        func setEth(_ t: UInt16, _ tok: Token) throws(TextParseError) {
            if let e = ctx.ethType, e != t { throw tok.error("\"\(tok.text)\" contradicts \"\(ethFrom?.text ?? "")\"") }
            ctx.ethType = t
            ethFrom = tok
        }
        for tok in tokens {
            let (k, v, _) = tok.keyValue
            if v == nil, let (et, _) = Shorthand.lookup(k) {
                try setEth(et, tok)
            } else if k == "dl_type" || k == "eth_type", let v, !v.contains("/") {
                guard let t = Scan.number(v, max: 0xffff) else { throw tok.error("bad value \"\(v)\" for \(k)") }
                try setEth(UInt16(t), tok)
            }
        }
        var protoFrom: Token? = nil
        for tok in tokens {
            let (k, v, _) = tok.keyValue
            var proto: UInt64? = nil
            if v == nil, let (_, p) = Shorthand.lookup(k) { proto = p.map(UInt64.init) }
            else if let v, !v.contains("/"), k == "ip_proto" || (k == "nw_proto" && !ctx.isARP) {
                guard let p = Scan.number(v, max: 0xff) else { throw tok.error("bad value \"\(v)\" for \(k)") }
                proto = p
            }
            if let proto {
                if let e = ctx.ipProto, UInt64(e) != proto {
                    throw tok.error("\"\(tok.text)\" contradicts \"\(protoFrom?.text ?? "")\"")
                }
                ctx.ipProto = UInt8(proto)
                protoFrom = tok
            }
        }

        // Pass 2: every item.
        var fields: [OXMField] = []
        var ranks: [Int] = []
        var vlanItems: [(String, String)] = []
        var vlanToken: Token? = nil
        // Items in the generic `oxm:` form are taken as given (they may repeat a field).
        var named: [OXMFieldID: Int] = [:]
        func add(_ f: OXMField, _ tok: Token, checked: Bool = true) throws(TextParseError) {
            if checked, let i = named[f.id] {
                if fields[i] == f { return }
                throw tok.error("\"\(tok.text)\" sets \(f.id.info?.name ?? GenericField.name(f.id)) a second time")
            }
            if checked { named[f.id] = fields.count }
            fields.append(f)
            ranks.append(checked ? Fields.wireRank(f.id) : genericWireRank)
        }
        for tok in tokens {
            let (k, v, voff) = tok.keyValue
            guard let v else {
                guard let (et, p) = Shorthand.lookup(k) else {
                    throw tok.error("unknown keyword \"\(k)\"")
                }
                try add(.ethType(et), tok)
                if let p { try add(OXMField(.ipProto, UInt64(p)), tok) }
                continue
            }
            if Vlan.keys.contains(k) {
                vlanItems.append((k, v))
                vlanToken = vlanToken ?? tok
                continue
            }
            guard !v.isEmpty else { throw TextParseError("missing value for \(k)", position: voff) }
            let generic = GenericField.parseName(k) != nil
            for f in try item(k, v, ctx: ctx, keyOffset: tok.offset, offset: voff) {
                try add(f, tok, checked: !generic)
            }
        }
        if !vlanItems.isEmpty {
            let vf: [OXMField]
            do throws(TextParseError) {
                vf = try Vlan.parse(vlanItems)
            } catch {
                throw TextParseError(error.message, position: vlanToken?.offset)
            }
            for f in vf { try add(f, vlanToken ?? Token(text: "", offset: 0)) }
        }
        // Open vSwitch's OpenFlow 1.3 encoding order. Generic items go after the registers in the
        // order given, except repeats of a named field, which follow it.
        var keys: [(Int, Int, Int)] = []
        for (i, f) in fields.enumerated() {
            if named[f.id] == i { keys.append((ranks[i], 0, i)) }
            else if let n = named[f.id] { keys.append((ranks[n], 1, i)) }
            else { keys.append((ranks[i], 1, i)) }
        }
        let ordered = keys.sorted { $0 < $1 }.map { fields[$0.2] }
        return (Match(ordered), ctx)
    }
}

/// VLAN matching the way Open vSwitch models it: one 16-bit TCI and mask
/// (PCP 0xe000, CFI/present 0x1000, VID 0x0fff), mapped to OXM VLAN_VID and VLAN_PCP.
enum Vlan {
    static let keys: Set<String> = ["dl_vlan", "dl_vlan_pcp", "vlan_tci", "vlan_vid", "vlan_pcp"]

    static func render(vid: OXMField?, pcp: OXMField?) -> [(String, String)]? {
        var tci: UInt16 = 0, mask: UInt16 = 0
        if let vid {
            guard vid.value.count == 2, vid.mask.map({ $0.count == 2 }) ?? true else { return nil }
            let v = UInt16(truncatingIfNeeded: vid.value.integer)
            let m = vid.mask.map { UInt16(truncatingIfNeeded: $0.integer) } ?? 0xffff
            tci |= v & m & 0x1fff
            mask |= m & 0x1fff
        }
        if let pcp {
            guard pcp.value.count == 1, pcp.mask == nil else { return nil }
            tci |= UInt16(truncatingIfNeeded: pcp.value.integer & 7) << 13 | 0x1000
            mask |= 0xf000
        }
        let vidMask = mask & 0x0fff, pcpMask = mask & 0xe000
        if tci & 0x1000 != 0, mask & 0x1000 != 0, vidMask == 0 || vidMask == 0x0fff, pcpMask == 0 || pcpMask == 0xe000,
           vidMask != 0 || pcpMask != 0 {
            var out: [(String, String)] = []
            if vidMask != 0 { out.append(("dl_vlan", String(tci & 0x0fff))) }
            if pcpMask != 0 { out.append(("dl_vlan_pcp", String(tci >> 13))) }
            return out
        }
        func h(_ v: UInt16) -> String { Fmt.padded(UInt64(v), 4) }
        if mask == 0xffff { return [("vlan_tci", h(tci))] }
        return [("vlan_tci", h(tci) + "/" + h(mask))]
    }

    /// Applies the items in order to a TCI and mask, then encodes them as Open vSwitch does on OpenFlow 1.3.
    static func parse(_ items: [(String, String)]) throws(TextParseError) -> [OXMField] {
        var tci: UInt16 = 0, mask: UInt16 = 0
        for (k, v) in items {
            let parts = v.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let value = Scan.number(parts[0], max: 0xffff).map(UInt16.init) else {
                throw TextParseError("bad value \"\(v)\" for \(k)")
            }
            var m: UInt16? = nil
            if parts.count == 2 {
                guard k == "vlan_tci" || k == "vlan_vid", let mm = Scan.number(parts[1], max: 0xffff) else {
                    throw TextParseError("bad value \"\(v)\" for \(k)")
                }
                m = UInt16(mm)
            }
            switch k {
            case "dl_vlan":
                if value == 0xffff {
                    tci = 0; mask = 0xffff
                } else {
                    guard value <= 0x0fff else { throw TextParseError("bad value \"\(v)\" for dl_vlan (0 to 4095, or 0xffff)") }
                    tci = tci & ~0x1fff | 0x1000 | value
                    mask |= 0x1fff
                }
            case "dl_vlan_pcp", "vlan_pcp":
                guard value <= 7 else { throw TextParseError("bad value \"\(v)\" for \(k) (0 to 7)") }
                tci = tci & ~0xe000 | value << 13 | 0x1000
                mask |= 0xf000
            case "vlan_tci":
                let mm = m ?? 0xffff
                tci = value & mm
                mask = mm
            default:  // vlan_vid, OXM semantics: the value includes OFPVID_PRESENT
                let mm = (m ?? 0xffff) & 0x1fff
                tci = tci & ~mm | value & mm
                mask |= mm
            }
        }
        tci &= mask
        var out: [OXMField] = []
        let vid = tci & 0x1fff, vm = mask & 0x1fff
        if vm == 0x1fff {
            out.append(.vlanVID(vid))
        } else if vm != 0 {
            out.append(.vlanVID(vid, mask: vm))
        }
        if vid != 0 && mask & 0xe000 != 0 {
            out.append(OXMField(.vlanPCP, UInt64(tci >> 13)))
        }
        return out
    }
}
