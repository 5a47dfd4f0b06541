import OpenFlow

/// Groups in the text form of `ovs-ofctl -O OpenFlow13 dump-groups`:
/// `group_id=1,type=all,bucket=actions=output:3,bucket=weight:2,watch_port:4,actions=output:4`.
///
/// `weight:` prints only when it differs from what `ovs-ofctl` sends by default (1 for select
/// groups, 0 otherwise); `watch_port:` and `watch_group:` only when they are not ANY.
/// A group type without a name prints as its number.
public enum GroupText {
    static let typeNames: [(String, GroupType)] = [
        ("all", .all), ("select", .select), ("indirect", .indirect), ("ff", .fastFailover),
    ]

    static func defaultWeight(_ type: GroupType) -> UInt16 { type == .select ? 1 : 0 }

    public static func render(_ g: GroupDescription) -> String {
        let typeName = typeNames.first { $0.1 == g.type }?.0 ?? String(g.type.rawValue)
        var s = "group_id=\(g.groupID),type=\(typeName)"
        for b in g.buckets {
            s += ",bucket="
            if b.weight != defaultWeight(g.type) { s += "weight:\(b.weight)," }
            if b.watchPort != .any { s += "watch_port:" + PortText.render(b.watchPort.rawValue) + "," }
            if b.watchGroup != Reserved.groupAny { s += "watch_group:\(b.watchGroup)," }
            s += "actions=" + ActionText.renderList(b.actions, ctx: MatchContext())
        }
        return s
    }

    public static func parse(_ line: String) throws(TextParseError) -> GroupDescription {
        let (text, base) = Scan.trim(line, offset: 0)
        let tokens = try Scan.split(text, offset: base, separators: { $0 == UInt8(ascii: ",") || $0.isSpace })
        var groupID: UInt32? = nil
        var type: GroupType? = nil
        // Bucket tokens are gathered first: their defaults depend on the type, which may come later.
        var bucketTokens: [[Token]] = []
        for tok in tokens {
            if !bucketTokens.isEmpty && !tok.text.hasPrefix("bucket=") {
                bucketTokens[bucketTokens.count - 1].append(tok)
                continue
            }
            let (k, v, voff) = tok.keyValue
            switch k {
            case "group_id":
                guard groupID == nil else { throw tok.error("group_id given twice") }
                guard let v, let n = Scan.number(v, max: UInt64(UInt32.max)) else {
                    throw TextParseError("bad value \"\(v ?? "")\" for group_id", position: voff)
                }
                groupID = UInt32(n)
            case "type":
                guard type == nil else { throw tok.error("type given twice") }
                if let v, let t = typeNames.first(where: { $0.0 == v }) {
                    type = t.1
                } else if let v, let n = Scan.number(v, max: 0xff) {
                    type = GroupType(rawValue: UInt8(n))
                } else {
                    throw TextParseError("bad group type \"\(v ?? "")\" (all, select, indirect or ff)", position: voff)
                }
            case "bucket":
                let rest = v ?? ""
                bucketTokens.append(rest.isEmpty ? [] : [Token(text: rest, offset: voff)])
            default:
                throw tok.error("unknown keyword \"\(k)\" in group")
            }
        }
        guard let groupID else { throw TextParseError("missing group_id=", position: base) }
        guard let type else { throw TextParseError("missing type=", position: base) }
        var buckets: [Bucket] = []
        for toks in bucketTokens { buckets.append(try parseBucket(toks, type: type)) }
        return GroupDescription(type: type, groupID: groupID, buckets: buckets)
    }

    static func parseBucket(_ tokens: [Token], type: GroupType) throws(TextParseError) -> Bucket {
        var bucket = Bucket(weight: defaultWeight(type), actions: [])
        var actionTokens: [Token] = []
        var inActions = false
        for tok in tokens {
            if !inActions {
                let t = tok.text
                let sep = t.utf8.firstIndex { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "=") }
                let key = sep.map { String(t[..<$0]) } ?? t
                let value = sep.map { String(t[t.index(after: $0)...]) }
                switch key {
                case "weight":
                    guard let value, let n = Scan.number(value, max: 0xffff) else { throw tok.error("bad bucket weight \"\(t)\"") }
                    bucket.weight = UInt16(n)
                    continue
                case "watch_port":
                    guard let value, let p = PortText.parse(value) else { throw tok.error("bad bucket watch_port \"\(t)\"") }
                    bucket.watchPort = PortNumber(p)
                    continue
                case "watch_group":
                    guard let value, let n = Scan.number(value, max: UInt64(UInt32.max)) else {
                        throw tok.error("bad bucket watch_group \"\(t)\"")
                    }
                    bucket.watchGroup = UInt32(n)
                    continue
                case "actions" where t.hasPrefix("actions="):
                    inActions = true
                    let rest = String(t.dropFirst(8))
                    if !rest.isEmpty { actionTokens.append(Token(text: rest, offset: tok.offset + 8)) }
                    continue
                default:
                    inActions = true
                }
            }
            actionTokens.append(tok)
        }
        if actionTokens.count == 1 && actionTokens[0].text == "drop" { return bucket }
        for tok in actionTokens {
            if tok.text == "drop" { throw tok.error("\"drop\" must be the only action") }
            bucket.actions.append(try ActionText.parseAction(tok, ctx: MatchContext()))
        }
        return bucket
    }
}
