import OpenFlow

/// Flows in the text form of `ovs-ofctl -O OpenFlow13 --no-stats dump-flows`.
///
/// `render` writes what `ovs-ofctl` prints for the same flow. `parse` reads that form, plus
/// the usual `add-flow` spellings (`actions=output:1`, `dl_type=0x0800`, `table=`, `cookie=`,
/// `priority=` anywhere, commas or spaces between items), and produces the OXM fields in the
/// order Open vSwitch's own encoder uses, so a parsed line encodes to the bytes
/// `ovs-ofctl add-flow` sends.
///
/// Round trips: `render(parse(line)) == line` for every line `render` emits, and
/// `parse(render(x)) == x` when `x` is canonical (see `FlowEntry.canonical`): match fields
/// in encoding order, instructions in canonical order. Anything the `ovs-ofctl` syntax cannot
/// express comes out in a generic form of this module's own (`oxm:CCCC:F=0x…`, `experimenter(…)`,
/// see `ActionText`) so that it still reads back unchanged.
///
/// What the text does not keep, exactly as `ovs-ofctl` does not show it:
/// - `max_len` of an output to a port other than CONTROLLER (reads back as 0);
/// - whether a resubmit was `NXAST_RESUBMIT` (table nil) or `NXAST_RESUBMIT_TABLE` with table 255
///   (both print `resubmit:N`, which reads back as table 255, the form `ovs-ofctl` encodes);
/// - an empty apply-actions instruction, and the split between several apply-actions instructions.
/// Matches: the VLAN fields print through Open vSwitch's TCI view (`dl_vlan`, `vlan_tci`) when
/// that reads back to the same OXM fields, else generically. A match on `xregN` in text means
/// the register pair reg(2N), reg(2N+1), as Open vSwitch encodes it on OpenFlow 1.3.
public enum FlowText {
    /// One line exactly as `ovs-ofctl -O OpenFlow13 --no-stats dump-flows` prints it, minus the leading space.
    public static func render(_ flow: FlowEntry) -> String {
        var s = ""
        if flow.cookie != 0 { s += "cookie=0x" + Fmt.hex(flow.cookie) + ", " }
        if flow.tableID != 0 { s += "table=\(flow.tableID), " }
        if flow.idleTimeout != 0 { s += "idle_timeout=\(flow.idleTimeout), " }
        if flow.hardTimeout != 0 { s += "hard_timeout=\(flow.hardTimeout), " }
        s += renderFlags(flow.flags)
        let match = MatchText.render(flow.match, priority: flow.priority)
        if !match.isEmpty { s += match + " " }
        return s + "actions=" + ActionText.renderInstructions(flow.instructions, ctx: MatchContext(flow.match))
    }

    static let flagNames: [(String, FlowMod.Flags)] = [
        ("send_flow_rem", .sendFlowRemoved), ("check_overlap", .checkOverlap), ("reset_counts", .resetCounts),
        ("no_packet_counts", .noPacketCounts), ("no_byte_counts", .noByteCounts),
    ]

    /// Each flag followed by a space; bits without a name as `flags=0x… ` (this module's own form).
    static func renderFlags(_ flags: FlowMod.Flags) -> String {
        var s = ""
        var rest = flags.rawValue
        for (name, f) in flagNames where flags.contains(f) {
            s += name + " "
            rest &= ~f.rawValue
        }
        if rest != 0 { s += "flags=" + Fmt.alt(UInt64(rest)) + " " }
        return s
    }

    /// Sorted lines, one per flow (golden file form): sort by table, then priority descending,
    /// then the rendered text. Each line ends with a newline.
    public static func renderSorted(_ flows: [FlowEntry]) -> String {
        let lines = flows.map { (f: $0, text: render($0)) }.sorted {
            if $0.f.tableID != $1.f.tableID { return $0.f.tableID < $1.f.tableID }
            if $0.f.priority != $1.f.priority { return $0.f.priority > $1.f.priority }
            return $0.text < $1.text
        }
        return lines.map { $0.text + "\n" }.joined()
    }

    /// The match as `ovs-ofctl` prints it, without `priority=`, e.g. `ip,in_port=1,dl_dst=…`.
    public static func renderMatch(_ m: Match) -> String { MatchText.render(m, priority: nil) }

    /// The value of `actions=`.
    public static func renderActions(_ instructions: [Instruction]) -> String {
        ActionText.renderInstructions(instructions, ctx: MatchContext())
    }

    public static func renderAction(_ a: Action) -> String { ActionText.render(a, ctx: MatchContext()) }

    /// Reads one flow line. Counters that `dump-flows` prints without `--no-stats`
    /// (`duration`, `n_packets`, `n_bytes`, `idle_age`, `hard_age`) are accepted and ignored.
    public static func parse(_ line: String) throws(TextParseError) -> FlowEntry {
        let (text, base) = Scan.trim(line, offset: 0)
        guard let actionsAt = findActions(text) else {
            throw TextParseError("missing actions= in \"\(text)\"", position: base + text.utf8.count)
        }
        let bytes = Array(text.utf8)
        let head = String(decoding: bytes[..<actionsAt], as: UTF8.self)
        let actionsOffset = actionsAt + 8
        let actionsText = String(decoding: bytes[actionsOffset...], as: UTF8.self)

        var entry = FlowEntry()
        var seen = Set<String>()
        var matchTokens: [Token] = []
        let tokens = try Scan.split(head, offset: base, separators: { $0 == UInt8(ascii: ",") || $0.isSpace })
        for tok in tokens {
            let (k, v, voff) = tok.keyValue
            func number<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws(TextParseError) -> T {
                guard let v, let n = Scan.number(v, max: UInt64(T.max)) else {
                    throw TextParseError("bad value \"\(v ?? "")\" for \(k)", position: voff)
                }
                return T(n)
            }
            func once() throws(TextParseError) {
                if !seen.insert(k).inserted { throw tok.error("\(k) given twice") }
            }
            switch k {
            case "cookie": try once(); entry.cookie = try number(UInt64.self)
            case "table": try once(); entry.tableID = try number(UInt8.self)
            case "priority": try once(); entry.priority = try number(UInt16.self)
            case "idle_timeout": try once(); entry.idleTimeout = try number(UInt16.self)
            case "hard_timeout": try once(); entry.hardTimeout = try number(UInt16.self)
            case "flags": try once(); entry.flags.formUnion(FlowMod.Flags(rawValue: try number(UInt16.self)))
            case "duration", "n_packets", "n_bytes", "idle_age", "hard_age":
                guard v != nil else { throw tok.error("\(k) needs a value") }
            case "importance":
                guard try number(UInt16.self) == 0 else { throw tok.error("importance is not part of OpenFlow 1.3") }
            default:
                if v == nil, let f = flagNames.first(where: { $0.0 == k }) {
                    entry.flags.insert(f.1)
                } else {
                    matchTokens.append(tok)
                }
            }
        }
        let (match, ctx) = try MatchText.parse(matchTokens)
        entry.match = match
        entry.instructions = try ActionText.parseInstructions(actionsText, offset: base + actionsOffset, ctx: ctx)
        return entry
    }

    /// Reads a golden file: one flow per line; blank lines and lines starting with `#` are skipped.
    /// Errors carry the offset within the whole text.
    public static func parseLines(_ text: String) throws(TextParseError) -> [FlowEntry] {
        var out: [FlowEntry] = []
        var offset = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            defer { offset += line.utf8.count + 1 }
            let (t, _) = Scan.trim(line, offset: 0)
            if t.isEmpty || t.hasPrefix("#") { continue }
            do throws(TextParseError) {
                out.append(try parse(String(line)))
            } catch {
                throw TextParseError(error.message, position: error.position.map { $0 + offset })
            }
        }
        return out
    }

    /// A match in `renderMatch` form (also `priority`-less `add-flow` syntax).
    public static func parseMatch(_ text: String) throws(TextParseError) -> Match {
        let tokens = try Scan.split(text, offset: 0, separators: { $0 == UInt8(ascii: ",") || $0.isSpace })
        return try MatchText.parse(tokens).0
    }

    /// The value of `actions=` (instructions included).
    public static func parseActions(_ text: String) throws(TextParseError) -> [Instruction] {
        try ActionText.parseInstructions(text, offset: 0, ctx: MatchContext())
    }

    /// Byte offset of `actions=` where it starts an item.
    private static func findActions(_ text: String) -> Int? {
        let b = Array(text.utf8)
        let needle = Array("actions=".utf8)
        guard b.count >= needle.count else { return nil }
        for i in 0...(b.count - needle.count) where i == 0 || b[i - 1] == UInt8(ascii: ",") || b[i - 1].isSpace {
            if Array(b[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
