import OpenFlow

/// Meters in the text form of `ovs-ofctl -O OpenFlow13 dump-meters`, bands on their own lines:
///
///     meter=1 kbps burst stats bands=
///     type=drop rate=1000 burst_size=100
///
/// As in `ovs-ofctl`, `burst_size=` of drop and dscp_remark bands prints only when the meter
/// has the burst flag (the field means nothing without it), so a burst size without the flag
/// reads back as 0; flag bits without a name print as `flags:0x…`. Forms of this module's own
/// (`ovs-ofctl` cannot decode these): experimenter bands as
/// `type=experimenter rate=R burst_size=B experimenter=0x… data=HEX`, bands of unknown type as
/// `type=0xTTTT rate=R burst_size=B data=HEX`.
///
/// `parse` also reads the `add-meter` spelling: `meter=1,kbps,band=type=drop,rate=1000`.
public enum MeterText {
    static let flagNames: [(String, MeterMod.Flags)] = [("kbps", .kbps), ("pktps", .pktps), ("burst", .burst), ("stats", .stats)]
    static let specialIDs: [(String, UInt32)] = [
        ("slowpath", Reserved.meterSlowpath), ("controller", Reserved.meterController), ("all", Reserved.meterAll),
    ]

    public static func render(_ m: MeterConfig) -> String {
        var s = "meter=" + (specialIDs.first { $0.1 == m.meterID }?.0 ?? String(m.meterID)) + " "
        var rest = m.flags.rawValue
        for (name, f) in flagNames where m.flags.contains(f) {
            s += name + " "
            rest &= ~f.rawValue
        }
        if rest != 0 { s += "flags:" + Fmt.alt(UInt64(rest)) + " " }
        s += "bands="
        let burstFlag = m.flags.contains(.burst)
        for band in m.bands {
            s += "\n"
            func burst(_ b: UInt32) -> String { burstFlag ? " burst_size=\(b)" : "" }
            switch band {
            case .drop(let rate, let b):
                s += "type=drop rate=\(rate)" + burst(b)
            case .dscpRemark(let rate, let b, let prec):
                s += "type=dscp_remark rate=\(rate)" + burst(b) + " prec_level=\(prec)"
            case .experimenter(let rate, let b, let exp, let body):
                s += "type=experimenter rate=\(rate) burst_size=\(b) experimenter=" + Fmt.padded(UInt64(exp), 8)
                if !body.isEmpty { s += " data=" + Fmt.plainHex(body) }
            case .unknown(let type, let rate, let b, let body):
                s += "type=" + Fmt.padded(UInt64(type), 4) + " rate=\(rate) burst_size=\(b)"
                if !body.isEmpty { s += " data=" + Fmt.plainHex(body) }
            }
        }
        return s
    }

    private struct BandDraft {
        var type: String
        var token: Token
        var rate: UInt32?
        var burst: UInt32 = 0
        var prec: UInt8?
        var experimenter: UInt32?
        var data: [UInt8] = []
    }

    public static func parse(_ text: String) throws(TextParseError) -> MeterConfig {
        let tokens = try Scan.split(text, offset: 0, separators: { $0 == UInt8(ascii: ",") || $0.isSpace })
        var id: UInt32? = nil
        var flags: MeterMod.Flags = []
        var bands: [BandDraft] = []
        var inBands = false
        for tok in tokens {
            var (k, v, voff) = tok.keyValue
            if v == nil, k.hasPrefix("flags:") {  // ovs-ofctl's spelling of unnamed flag bits
                v = String(k.dropFirst(6))
                k = "flags"
                voff = tok.offset + 6
            }
            if k == "bands" || k == "band" {
                inBands = true
                guard let inner = v, !inner.isEmpty else { continue }
                (k, v, voff) = Token(text: inner, offset: voff).keyValue
            }
            func num<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws(TextParseError) -> T {
                guard let v, let n = Scan.number(v, max: UInt64(T.max)) else {
                    throw TextParseError("bad value \"\(v ?? "")\" for \(k)", position: voff)
                }
                return T(n)
            }
            if !inBands {
                switch k {
                case "meter":
                    guard id == nil else { throw tok.error("meter given twice") }
                    if let v, let s = specialIDs.first(where: { $0.0 == v }) { id = s.1 } else { id = try num(UInt32.self) }
                case "flags":
                    flags.formUnion(MeterMod.Flags(rawValue: try num(UInt16.self)))
                default:
                    guard v == nil, let f = flagNames.first(where: { $0.0 == k }) else {
                        throw tok.error("unknown keyword \"\(tok.text)\" in meter")
                    }
                    flags.insert(f.1)
                }
                continue
            }
            if k == "type" {
                guard let v, !v.isEmpty else { throw TextParseError("missing band type", position: voff) }
                bands.append(BandDraft(type: v, token: tok))
                continue
            }
            guard !bands.isEmpty else { throw tok.error("\"\(tok.text)\" before the band's type=") }
            let i = bands.count - 1
            switch k {
            case "rate": bands[i].rate = try num(UInt32.self)
            case "burst_size": bands[i].burst = try num(UInt32.self)
            case "prec_level": bands[i].prec = try num(UInt8.self)
            case "experimenter": bands[i].experimenter = try num(UInt32.self)
            case "data":
                guard let v, let d = Scan.plainHexBytes(v) else { throw TextParseError("bad data \"\(v ?? "")\"", position: voff) }
                bands[i].data = d
            default: throw tok.error("unknown band keyword \"\(tok.text)\"")
            }
        }
        guard let id else { throw TextParseError("missing meter=", position: 0) }
        var out: [MeterBand] = []
        for b in bands {
            guard let rate = b.rate else { throw b.token.error("band \"\(b.token.text)\" has no rate=") }
            switch b.type {
            case "drop":
                guard b.prec == nil, b.experimenter == nil, b.data.isEmpty else { throw b.token.error("bad options for a drop band") }
                out.append(.drop(rate: rate, burstSize: b.burst))
            case "dscp_remark":
                guard b.experimenter == nil, b.data.isEmpty else { throw b.token.error("bad options for a dscp_remark band") }
                out.append(.dscpRemark(rate: rate, burstSize: b.burst, precedenceLevel: b.prec ?? 0))
            case "experimenter":
                guard b.prec == nil, let exp = b.experimenter else { throw b.token.error("experimenter band needs experimenter=") }
                out.append(.experimenter(rate: rate, burstSize: b.burst, experimenter: exp, body: b.data))
            default:
                guard b.type.hasPrefix("0x"), let t = Scan.number(b.type, max: 0xffff), b.prec == nil, b.experimenter == nil else {
                    throw b.token.error("unknown band type \"\(b.type)\"")
                }
                out.append(.unknown(type: UInt16(t), rate: rate, burstSize: b.burst, body: b.data))
            }
        }
        return MeterConfig(flags: flags, meterID: id, bands: out)
    }
}
