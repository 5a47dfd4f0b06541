import OpenFlow

/// Actions and instructions in `ovs-ofctl` syntax.
///
/// Forms of this module's own, for what `ovs-ofctl` cannot show:
/// - `experimenter(0xIIIIIIII,HEX)`: an experimenter action the codec keeps opaque; `HEX` is
///   every byte after the experimenter id (`Action.experimenter`).
/// - `unknown_action(0xTTTT,HEX)`: an action of unknown type; `HEX` is every byte after type and length.
/// - `experimenter_instruction(0xIIIIIIII,HEX)` and `unknown_instruction(0xTTTT,HEX)`: the same for instructions.
/// - `set_field:0xVALUE[/0xMASK]->oxm:CCCC:F`: a set-field of a field without a usable name.
/// - `copy_ttl_in`, `copy_ttl_out`, `push_pbb:0x88e7`, `pop_pbb`: actions Open vSwitch does not implement.
enum ActionText {
    // MARK: Rendering

    static func render(_ a: Action, ctx: MatchContext) -> String {
        switch a {
        case .output(let port, let maxLength):
            if port == .controller { return "CONTROLLER:\(maxLength)" }
            if port.rawValue >= 0xffff_fff8 { return PortText.render(port.rawValue) }
            return "output:" + PortText.render(port.rawValue)
        case .copyTTLOut: return "copy_ttl_out"
        case .copyTTLIn: return "copy_ttl_in"
        case .setMPLSTTL(let t): return "set_mpls_ttl(\(t))"
        case .decMPLSTTL: return "dec_mpls_ttl"
        case .pushVLAN(let e): return "push_vlan:" + Fmt.alt(UInt64(e))
        case .popVLAN: return "pop_vlan"
        case .pushMPLS(let e): return "push_mpls:" + Fmt.alt(UInt64(e))
        case .popMPLS(let e): return "pop_mpls:" + Fmt.padded(UInt64(e), 4)
        case .setQueue(let q): return "set_queue:\(q)"
        case .group(let g): return "group:\(g)"
        case .setNWTTL(let t): return "mod_nw_ttl:\(t)"
        case .decNWTTL: return "dec_ttl"
        case .setField(let f): return renderSetField(f, ctx: ctx)
        case .pushPBB(let e): return "push_pbb:" + Fmt.alt(UInt64(e))
        case .popPBB: return "pop_pbb"
        case .resubmit(let port, let table):
            let t = table ?? 255
            if port != Action.niciraInPort && t == 255 { return "resubmit:" + PortText.render16(port) }
            return "resubmit(" + (port == Action.niciraInPort ? "" : PortText.render16(port)) + ","
                + (t == 255 ? "" : String(t)) + ")"
        case .outputTruncated(let port, let maxLength):
            return "output(port=" + PortText.render16(port) + ",max_len=\(maxLength))"
        case .clone(let inner):
            return "clone(" + inner.map { render($0, ctx: ctx) }.joined(separator: ",") + ")"
        case .multipath(let m):
            let bits = m.offset == 0 && m.bits == 32 ? "[]" : "[\(m.offset)..\(Int(m.offset) + Int(m.bits) - 1)]"
            return "multipath(\(m.fields.name),\(m.basis),\(m.algorithm.name),\(m.links),\(m.argument),NXM_NX_REG\(m.register)\(bits))"
        case .experimenter(let id, let body):
            return "experimenter(" + Fmt.padded(UInt64(id), 8) + "," + Fmt.plainHex(body) + ")"
        case .unknown(let type, let body):
            return "unknown_action(" + Fmt.padded(UInt64(type), 4) + "," + Fmt.plainHex(body) + ")"
        }
    }

    static func renderSetField(_ f: OXMField, ctx: MatchContext) -> String {
        if let spec = Fields.spec(f.id), let name = spec.setName,
           let text = FieldValue.render(f, kind: spec.setKind, width: spec.width) {
            let candidate = "set_field:" + text + "->" + name
            if (try? parseSetField(text + "->" + name, ctx: ctx, offset: 0)) == f { return candidate }
        }
        return "set_field:" + GenericField.value(f) + "->" + GenericField.name(f.id)
    }

    static func renderList(_ actions: [Action], ctx: MatchContext) -> String {
        actions.isEmpty ? "drop" : actions.map { render($0, ctx: ctx) }.joined(separator: ",")
    }

    /// Instructions in the order `ovs-ofctl` prints them: meter, apply-actions, clear-actions,
    /// write-actions, write-metadata, goto-table (then anything unknown).
    static func renderInstructions(_ list: [Instruction], ctx: MatchContext) -> String {
        var meter: [String] = [], apply: [String] = [], clear: [String] = [], write: [String] = []
        var metadata: [String] = [], goto: [String] = [], other: [String] = []
        for i in list {
            switch i {
            case .meter(let m): meter.append("meter:\(m)")
            case .applyActions(let a): apply += a.map { render($0, ctx: ctx) }
            case .clearActions: clear.append("clear_actions")
            case .writeActions(let a): write.append("write_actions(" + renderList(a, ctx: ctx) + ")")
            case .writeMetadata(let v, let m):
                metadata.append("write_metadata:" + Fmt.alt(v) + (m == .max ? "" : "/" + Fmt.alt(m)))
            case .gotoTable(let t): goto.append("goto_table:\(t)")
            case .experimenter(let id, let body):
                other.append("experimenter_instruction(" + Fmt.padded(UInt64(id), 8) + "," + Fmt.plainHex(body) + ")")
            case .unknown(let type, let body):
                other.append("unknown_instruction(" + Fmt.padded(UInt64(type), 4) + "," + Fmt.plainHex(body) + ")")
            }
        }
        let all = meter + apply + clear + write + metadata + goto + other
        return all.isEmpty ? "drop" : all.joined(separator: ",")
    }

    // MARK: Parsing

    /// `name:arg`, `name(arg)` or a bare `name`.
    private static func split(_ t: String) -> (name: String, arg: String?, paren: Bool) {
        let u = Array(t.utf8)
        let colon = u.firstIndex(of: UInt8(ascii: ":"))
        if let open = u.firstIndex(of: UInt8(ascii: "(")), colon.map({ open < $0 }) ?? true, u.last == UInt8(ascii: ")") {
            return (String(decoding: u[..<open], as: UTF8.self), String(decoding: u[(open + 1)..<(u.count - 1)], as: UTF8.self), true)
        }
        if let colon {
            return (String(decoding: u[..<colon], as: UTF8.self), String(decoding: u[(colon + 1)...], as: UTF8.self), false)
        }
        return (t, nil, false)
    }

    private static func num<T: FixedWidthInteger & UnsignedInteger>(_ s: String?, _ tok: Token, _ what: String) throws(TextParseError) -> T {
        guard let s, let v = Scan.number(s, max: UInt64(T.max)) else {
            throw tok.error("bad \(what) \"\(s ?? "")\" in \"\(tok.text)\"")
        }
        return T(v)
    }

    private static func opaque(_ arg: String?, _ tok: Token, idMax: UInt64) throws(TextParseError) -> (UInt64, [UInt8]) {
        let parts = (arg ?? "").split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let id = Scan.number(parts[0], max: idMax), let body = Scan.plainHexBytes(parts[1]) else {
            throw tok.error("bad \"\(tok.text)\" (expected NAME(0xID,HEXBYTES))")
        }
        return (id, body)
    }

    /// Which field a set_field target names.
    private static func setTarget(_ name: String, _ ctx: MatchContext) -> FieldSpec? {
        func s(_ id: OXMFieldID) -> FieldSpec? { Fields.spec(id) }
        switch name {
        case "dl_src": return s(.ethSrc)
        case "dl_dst": return s(.ethDst)
        case "dl_type": return s(.ethType)
        case "nw_src": return s(ctx.isARP ? .arpSPA : .ipv4Src)
        case "nw_dst": return s(ctx.isARP ? .arpTPA : .ipv4Dst)
        case "ip_proto": return s(.ipProto)
        case "ip_ecn": return s(.ipECN)
        case "tunnel_id": return s(.tunnelID)
        case "tp_src", "tp_dst":
            let src = name == "tp_src"
            switch ctx.ipProto {
            case 17: return s(src ? .udpSrc : .udpDst)
            case 132: return s(src ? .sctpSrc : .sctpDst)
            default: return s(src ? .tcpSrc : .tcpDst)
            }
        case "icmp_type": return s(ctx.isIPv6 ? .icmpv6Type : .icmpv4Type)
        case "icmp_code": return s(ctx.isIPv6 ? .icmpv6Code : .icmpv4Code)
        default: return Fields.bySetName[name]
        }
    }

    /// `VALUE[/MASK]->FIELD`.
    static func parseSetField(_ arg: String, ctx: MatchContext, offset: Int) throws(TextParseError) -> OXMField {
        guard let arrow = arg.firstRange(of: "->") else {
            throw TextParseError("set_field needs VALUE->FIELD, got \"\(arg)\"", position: offset)
        }
        let value = String(arg[..<arrow.lowerBound]), name = String(arg[arrow.upperBound...])
        if let id = GenericField.parseName(name) {
            guard let f = GenericField.parseValue(id, value) else {
                throw TextParseError("bad value \"\(value)\" for \(name) (expected 0x-prefixed bytes)", position: offset)
            }
            return f
        }
        guard let spec = setTarget(name, ctx) else {
            throw TextParseError("unknown field \"\(name)\" in set_field", position: offset)
        }
        guard let f = FieldValue.parse(value, id: spec.id, kind: spec.setKind, width: spec.width) else {
            throw TextParseError("bad value \"\(value)\" for \(name)", position: offset)
        }
        return f
    }

    /// One action token (not an instruction).
    /// `FIELDS,BASIS,ALGORITHM,N_LINKS,ARG,NXM_NX_REGn[START..END]` (or `[]`: the whole register).
    static func parseMultipath(_ arg: String, _ tok: Token) throws(TextParseError) -> Multipath {
        let parts = arg.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6 else { throw tok.error("multipath needs 6 arguments, got \"\(tok.text)\"") }
        guard let fields = Multipath.Fields.allCases.first(where: { $0.name == parts[0] }) else {
            throw tok.error("unknown multipath fields \"\(parts[0])\"")
        }
        guard let algorithm = Multipath.Algorithm.allCases.first(where: { $0.name == parts[2] }) else {
            throw tok.error("unknown multipath algorithm \"\(parts[2])\"")
        }
        let basis: UInt16 = try num(parts[1], tok, "basis")
        let links: UInt32 = try num(parts[3], tok, "n_links")
        guard (1...65536).contains(links) else { throw tok.error("multipath n_links \(links) is not from 1 to 65536") }
        let argument: UInt32 = try num(parts[4], tok, "arg")
        let dst = parts[5]
        guard dst.hasPrefix("NXM_NX_REG"), let open = dst.firstIndex(of: "["), dst.hasSuffix("]"),
              let register = UInt8(dst[dst.index(dst.startIndex, offsetBy: 10)..<open]), register < 16 else {
            throw tok.error("multipath destination \"\(dst)\" is not NXM_NX_REGn[START..END]")
        }
        let range = dst[dst.index(after: open)..<dst.index(before: dst.endIndex)]
        var offset = 0, bits = 32
        if !range.isEmpty {
            let ends = range.split(separator: ".", omittingEmptySubsequences: true)
            guard ends.count == 2, let a = Int(ends[0]), let b = Int(ends[1]), a <= b, b < 32, range.contains("..") else {
                throw tok.error("bad bit range in \"\(dst)\"")
            }
            offset = a
            bits = b - a + 1
        }
        return Multipath(fields: fields, basis: basis, algorithm: algorithm, links: Int(links), argument: argument, register: register,
                         offset: UInt8(offset), bits: UInt8(bits))
    }

    static func parseAction(_ tok: Token, ctx: MatchContext) throws(TextParseError) -> Action {
        let (name, arg, paren) = split(tok.text)
        let argOffset = tok.offset + name.utf8.count + 1
        func noArg() throws(TextParseError) {
            if arg != nil { throw tok.error("\"\(name)\" takes no argument, got \"\(tok.text)\"") }
        }
        func setField(_ id: OXMFieldID, _ kind: ValueKind? = nil) throws(TextParseError) -> Action {
            guard let spec = Fields.spec(id), let arg,
                  let f = FieldValue.parse(arg, id: id, kind: kind ?? spec.setKind, width: spec.width), f.mask == nil else {
                throw tok.error("bad value \"\(arg ?? "")\" in \"\(tok.text)\"")
            }
            return .setField(f)
        }
        switch name {
        case "output":
            if paren {
                var port: UInt16? = nil, maxLen: UInt32? = nil
                for kv in (arg ?? "").split(separator: ",") {
                    let p = kv.split(separator: "=", maxSplits: 1)
                    guard p.count == 2 else { throw tok.error("bad \"\(kv)\" in \"\(tok.text)\"") }
                    switch p[0] {
                    case "port": port = PortText.parse16(String(p[1]))
                        if port == nil { throw tok.error("bad port \"\(p[1])\" in \"\(tok.text)\"") }
                    case "max_len": maxLen = try num(String(p[1]), tok, "max_len")
                    default: throw tok.error("unknown option \"\(p[0])\" in \"\(tok.text)\"")
                    }
                }
                guard let port, let maxLen else { throw tok.error("\"\(tok.text)\" needs port= and max_len=") }
                return .outputTruncated(port: port, maxLength: maxLen)
            }
            guard let arg, let p = PortText.parse(arg) else { throw tok.error("bad port in \"\(tok.text)\"") }
            return .output(PortNumber(p))
        case "group": return .group(try num(arg, tok, "group id"))
        case "set_field":
            guard let arg, !paren else { throw tok.error("set_field needs VALUE->FIELD, got \"\(tok.text)\"") }
            return .setField(try parseSetField(arg, ctx: ctx, offset: argOffset))
        case "push_vlan": return .pushVLAN(ethertype: try num(arg, tok, "ethertype"))
        case "pop_vlan", "strip_vlan": try noArg(); return .popVLAN
        case "push_mpls": return .pushMPLS(ethertype: try num(arg, tok, "ethertype"))
        case "pop_mpls": return .popMPLS(ethertype: try num(arg, tok, "ethertype"))
        case "set_mpls_ttl": return .setMPLSTTL(try num(arg, tok, "ttl"))
        case "dec_mpls_ttl": try noArg(); return .decMPLSTTL
        case "mod_nw_ttl": return .setNWTTL(try num(arg, tok, "ttl"))
        case "dec_ttl":
            if arg != nil { throw tok.error("\"\(tok.text)\": dec_ttl with controller ids is not supported") }
            return .decNWTTL
        case "set_queue": return .setQueue(try num(arg, tok, "queue id"))
        case "copy_ttl_in": try noArg(); return .copyTTLIn
        case "copy_ttl_out": try noArg(); return .copyTTLOut
        case "push_pbb": return .pushPBB(ethertype: try num(arg, tok, "ethertype"))
        case "pop_pbb": try noArg(); return .popPBB
        case "resubmit":
            guard let arg else { throw tok.error("resubmit needs a port or (port,table)") }
            if !paren {
                guard let p = PortText.parse16(arg) else { throw tok.error("bad port \"\(arg)\" in \"\(tok.text)\"") }
                return .resubmit(inPort: p, table: 255)
            }
            let parts = arg.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw tok.error("\"\(tok.text)\": only resubmit(port,table) is supported") }
            var port = Action.niciraInPort
            if !parts[0].isEmpty {
                guard let p = PortText.parse16(String(parts[0])) else { throw tok.error("bad port \"\(parts[0])\" in \"\(tok.text)\"") }
                port = p
            }
            var table: UInt8 = 255
            if parts.count == 2, !parts[1].isEmpty { table = try num(String(parts[1]), tok, "table") }
            return .resubmit(inPort: port, table: table)
        case "clone":
            guard paren else { break }
            return .clone(try parseActionList(arg ?? "", offset: argOffset, ctx: ctx))
        case "multipath":
            guard paren else { break }
            return .multipath(try parseMultipath(arg ?? "", tok))
        case "experimenter":
            guard paren else { break }
            let (id, body) = try opaque(arg, tok, idMax: UInt64(UInt32.max))
            return .experimenter(id: UInt32(id), body: body)
        case "unknown_action":
            guard paren else { break }
            let (type, body) = try opaque(arg, tok, idMax: 0xffff)
            return .unknown(type: UInt16(type), body: body)
        case "mod_dl_src": return try setField(.ethSrc)
        case "mod_dl_dst": return try setField(.ethDst)
        case "mod_nw_src": return try setField(ctx.isARP ? .arpSPA : .ipv4Src)
        case "mod_nw_dst": return try setField(ctx.isARP ? .arpTPA : .ipv4Dst)
        case "mod_nw_tos": return try setField(.ipDSCP, .tos)
        case "mod_nw_ecn": return try setField(.ipECN)
        case "mod_tp_src", "mod_tp_dst":
            let src = name == "mod_tp_src"
            switch ctx.ipProto {
            case 17: return try setField(src ? .udpSrc : .udpDst)
            case 132: return try setField(src ? .sctpSrc : .sctpDst)
            default: return try setField(src ? .tcpSrc : .tcpDst)
            }
        case "load", "move":
            throw tok.error("\"\(name)\" is not supported (use set_field)")
        default:
            break
        }
        // CONTROLLER[:max_len], reserved port names and bare port numbers are outputs.
        if name.uppercased() == "CONTROLLER" && !paren {
            let maxLen: UInt16 = arg == nil ? Reserved.controllerMaxLenNoBuffer : try num(arg, tok, "max_len")
            return .output(port: .controller, maxLength: maxLen)
        }
        if arg == nil, let p = PortText.parse(name) {
            return .output(PortNumber(p))
        }
        throw tok.error("unknown action \"\(tok.text)\"")
    }

    /// A comma-separated action list (bucket actions, write_actions contents); `drop` alone is empty.
    static func parseActionList(_ text: String, offset: Int, ctx: MatchContext) throws(TextParseError) -> [Action] {
        let tokens = try tokenize(text, offset: offset)
        if tokens.count == 1 && tokens[0].text == "drop" { return [] }
        if tokens.isEmpty { return [] }
        var out: [Action] = []
        for t in tokens {
            if t.text == "drop" { throw t.error("\"drop\" must be the only action") }
            out.append(try parseAction(t, ctx: ctx))
        }
        return out
    }

    static func tokenize(_ text: String, offset: Int) throws(TextParseError) -> [Token] {
        let (trimmed, off) = Scan.trim(text, offset: offset)
        if trimmed.isEmpty { return [] }
        var out: [Token] = []
        for t in try Scan.split(trimmed, offset: off, separators: { $0 == UInt8(ascii: ",") }, keepEmpty: true) {
            let (s, o) = Scan.trim(t.text, offset: t.offset)
            if s.isEmpty { throw TextParseError("empty action", position: o) }
            out.append(Token(text: s, offset: o))
        }
        return out
    }

    /// The value of `actions=`: apply-actions plus the instruction keywords.
    static func parseInstructions(_ text: String, offset: Int, ctx: MatchContext) throws(TextParseError) -> [Instruction] {
        let tokens = try tokenize(text, offset: offset)
        if tokens.isEmpty || (tokens.count == 1 && tokens[0].text == "drop") { return [] }
        // Instructions come out in canonical order. A kind given twice is kept twice (a switch
        // would refuse it, but the text must be able to show whatever a message holds).
        var meter: [Instruction] = [], clear: [Instruction] = [], write: [Instruction] = []
        var metadata: [Instruction] = [], goto: [Instruction] = [], other: [Instruction] = []
        var apply: [Action] = []
        for tok in tokens {
            let (name, arg, paren) = split(tok.text)
            switch name {
            case "drop":
                throw tok.error("\"drop\" must be the only action")
            case "meter":
                meter.append(.meter(try num(arg, tok, "meter id")))
            case "clear_actions":
                if arg != nil { throw tok.error("clear_actions takes no argument") }
                clear.append(.clearActions)
            case "write_actions":
                guard paren, let arg else { throw tok.error("write_actions needs (actions)") }
                let inner = try parseActionList(arg, offset: tok.offset + name.utf8.count + 1, ctx: ctx)
                write.append(.writeActions(inner))
            case "write_metadata":
                guard let arg else { throw tok.error("write_metadata needs VALUE[/MASK]") }
                let parts = arg.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
                let v: UInt64 = try num(String(parts[0]), tok, "metadata")
                let m: UInt64 = parts.count == 2 ? try num(String(parts[1]), tok, "metadata mask") : .max
                metadata.append(.writeMetadata(v, mask: m))
            case "goto_table":
                goto.append(.gotoTable(try num(arg, tok, "table")))
            case "experimenter_instruction" where paren:
                let (id, body) = try opaque(arg, tok, idMax: UInt64(UInt32.max))
                other.append(.experimenter(id: UInt32(id), body: body))
            case "unknown_instruction" where paren:
                let (type, body) = try opaque(arg, tok, idMax: 0xffff)
                other.append(.unknown(type: UInt16(type), body: body))
            default:
                apply.append(try parseAction(tok, ctx: ctx))
            }
        }
        return meter + (apply.isEmpty ? [] : [.applyActions(apply)]) + clear + write + metadata + goto + other
    }
}
