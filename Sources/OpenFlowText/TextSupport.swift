import OpenFlow

// Small formatting and scanning helpers shared by the flow, group and meter text.
// Everything here is ASCII-only; no Foundation.

/// A piece of the input and where it starts (UTF-8 offset in the text given to `parse`).
struct Token {
    var text: String
    var offset: Int

    /// `key` and `value` around the first `=`, or the whole token as key.
    var keyValue: (key: String, value: String?, valueOffset: Int) {
        guard let i = text.utf8.firstIndex(of: UInt8(ascii: "=")) else { return (text, nil, offset) }
        let k = String(text[..<i])
        let v = String(text[text.index(after: i)...])
        return (k, v, offset + k.utf8.count + 1)
    }

    func error(_ message: String) -> TextParseError { TextParseError(message, position: offset) }
}

extension UInt8 {
    var isSpace: Bool { self == 0x20 || self == 0x09 || self == 0x0a || self == 0x0d }
}

enum Scan {
    /// Splits `text` at the given separator bytes outside parentheses. Runs of separators
    /// make no empty tokens when `keepEmpty` is false; with `keepEmpty` every separator counts.
    static func split(_ text: String, offset base: Int, separators: (UInt8) -> Bool, keepEmpty: Bool = false)
        throws(TextParseError) -> [Token]
    {
        let bytes = Array(text.utf8)
        var tokens: [Token] = []
        var depth = 0
        var start = 0
        func emit(_ end: Int) {
            if end > start || keepEmpty {
                tokens.append(Token(text: String(decoding: bytes[start..<end], as: UTF8.self), offset: base + start))
            }
        }
        for (i, b) in bytes.enumerated() {
            switch b {
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth < 0 { throw TextParseError("unbalanced \")\"", position: base + i) }
            default:
                if depth == 0 && separators(b) {
                    emit(i)
                    start = i + 1
                }
            }
        }
        if depth != 0 { throw TextParseError("unbalanced \"(\"", position: base + start) }
        emit(bytes.count)
        return tokens
    }

    /// Leading and trailing whitespace removed, with the offset of what remains.
    static func trim(_ text: some StringProtocol, offset: Int) -> (String, Int) {
        let bytes = Array(text.utf8)
        var lo = 0, hi = bytes.count
        while lo < hi && bytes[lo].isSpace { lo += 1 }
        while hi > lo && bytes[hi - 1].isSpace { hi -= 1 }
        return (String(decoding: bytes[lo..<hi], as: UTF8.self), offset + lo)
    }

    /// Decimal, or hexadecimal with a `0x` prefix, no larger than `max`.
    static func number(_ s: some StringProtocol, max: UInt64 = .max) -> UInt64? {
        var v: UInt64 = 0
        if s.hasPrefix("0x") || s.hasPrefix("0X") {
            let digits = s.utf8.dropFirst(2)
            guard !digits.isEmpty else { return nil }
            for c in digits {
                guard let d = Scan.hexDigit(c), v >> 60 == 0 else { return nil }
                v = v << 4 | UInt64(d)
            }
        } else {
            guard !s.isEmpty else { return nil }
            for c in s.utf8 {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
                guard !o1, !o2 else { return nil }
                v = a
            }
        }
        return v <= max ? v : nil
    }

    /// `0x`-prefixed hex bytes (an even number of digits, possibly none) as raw bytes.
    static func hexBytes(_ s: some StringProtocol) -> [UInt8]? {
        guard s.hasPrefix("0x") else { return nil }
        let digits = Array(s.utf8.dropFirst(2))
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = hexDigit(digits[i]), let lo = hexDigit(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// Plain hex digits (no prefix, any count) as bytes, for opaque bodies.
    static func plainHexBytes(_ s: some StringProtocol) -> [UInt8]? { hexBytes("0x" + s) }

    static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}

enum Fmt {
    static func hex(_ v: UInt64) -> String { String(v, radix: 16) }

    /// C's `%#x`: `0` for zero, else `0x` and lower-case digits.
    static func alt(_ v: UInt64) -> String { v == 0 ? "0" : "0x" + hex(v) }

    /// `0x` and exactly `digits` hex digits (more if the value needs them).
    static func padded(_ v: UInt64, _ digits: Int) -> String {
        let h = hex(v)
        return "0x" + String(repeating: "0", count: Swift.max(0, digits - h.count)) + h
    }

    static func plainHex(_ bytes: [UInt8]) -> String {
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes {
            if b < 16 { s += "0" }
            s += String(b, radix: 16)
        }
        return s
    }

    static func ipv4(_ v: UInt32) -> String { IPv4Address(rawValue: v).description }

    /// An IPv4 address and mask: CIDR when the mask is a prefix, else `addr/mask`.
    static func ipv4Masked(_ v: UInt32, _ m: UInt32) -> String {
        if (~m) & ((~m) &+ 1) == 0 { return ipv4(v) + "/\(m.nonzeroBitCount)" }
        return ipv4(v) + "/" + ipv4(m)
    }

    /// Text as `inet_ntop` writes it: the longest run (two or more) of zero words as `::`,
    /// and the last 32 bits dotted for IPv4-compatible and IPv4-mapped addresses.
    static func ipv6(hi: UInt64, lo: UInt64) -> String {
        let words: [UInt16] = (0..<8).map { i in
            let w = i < 4 ? hi >> UInt64(48 - 16 * i) : lo >> UInt64(48 - 16 * (i - 4))
            return UInt16(truncatingIfNeeded: w)
        }
        var bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
        for (i, w) in words.enumerated() {
            if w == 0 {
                if curBase < 0 { curBase = i; curLen = 1 } else { curLen += 1 }
                if curLen > bestLen { bestBase = curBase; bestLen = curLen }
            } else {
                curBase = -1; curLen = 0
            }
        }
        if bestLen < 2 { bestBase = -1 }
        var s = ""
        var i = 0
        while i < 8 {
            if bestBase >= 0 && i >= bestBase && i < bestBase + bestLen {
                if i == bestBase { s += ":" }
                i += 1
                continue
            }
            if i != 0 { s += ":" }
            if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff)) {
                s += ipv4(UInt32(truncatingIfNeeded: lo))
                return s
            }
            s += String(words[i], radix: 16)
            i += 1
        }
        if bestBase >= 0 && bestBase + bestLen == 8 { s += ":" }
        return s
    }

    static func ipv6Masked(_ v: OXMValue, _ m: OXMValue) -> String {
        let value = ipv6(hi: v.high, lo: v.integer)
        let ones = m.high.nonzeroBitCount + m.integer.nonzeroBitCount
        let isPrefix: Bool = {
            if ones <= 64 { return m.integer == 0 && (ones == 0 || m.high == ~(UInt64.max >> UInt64(ones))) }
            return m.high == .max && m.integer == ~(UInt64.max >> UInt64(ones - 64))
        }()
        if isPrefix { return value + "/\(ones)" }
        return value + "/" + ipv6(hi: m.high, lo: m.integer)
    }

    static func mac(_ v: UInt64) -> String { EthernetAddress(rawValue: v).description }
}

enum Addr {
    /// `a.b.c.d`, `a.b.c.d/len` or `a.b.c.d/m.m.m.m`; the mask is nil without a slash.
    static func ipv4Masked(_ s: String) -> (UInt32, UInt32?)? {
        let parts = s.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let v = IPv4Address(parts[0]) else { return nil }
        guard parts.count == 2 else { return (v.rawValue, nil) }
        if let m = IPv4Address(parts[1]) { return (v.rawValue, m.rawValue) }
        guard let len = Scan.number(parts[1], max: 32), !parts[1].hasPrefix("0x") else { return nil }
        return (v.rawValue, len == 0 ? 0 : UInt32.max << UInt32(32 - len))
    }

    /// IPv6 text (RFC 4291 §2.2, with an optional dotted IPv4 tail) as two 64-bit halves.
    static func ipv6(_ s: some StringProtocol) -> (UInt64, UInt64)? {
        let text = String(s)
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        func words(_ part: Substring, last: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let groups = part.split(separator: ":", omittingEmptySubsequences: false)
            for (n, g) in groups.enumerated() {
                if last && n == groups.count - 1 && g.contains(".") {
                    guard let v4 = IPv4Address(g) else { return nil }
                    out.append(UInt16(v4.rawValue >> 16))
                    out.append(UInt16(v4.rawValue & 0xffff))
                } else {
                    guard !g.isEmpty, g.count <= 4, g.utf8.allSatisfy({ Scan.hexDigit($0) != nil }),
                          let w = UInt16(g, radix: 16) else { return nil }
                    out.append(w)
                }
            }
            return out
        }
        var all: [UInt16]
        if let r = text.firstRange(of: "::") {
            let left = text[..<r.lowerBound], right = text[r.upperBound...]
            guard !right.contains("::"), let l = words(left, last: false), let rw = words(right, last: true),
                  l.count + rw.count < 8 else { return nil }
            all = l + [UInt16](repeating: 0, count: 8 - l.count - rw.count) + rw
        } else {
            guard let w = words(text[...], last: true) else { return nil }
            all = w
        }
        guard all.count == 8 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for w in all[0..<4] { hi = hi << 16 | UInt64(w) }
        for w in all[4..<8] { lo = lo << 16 | UInt64(w) }
        return (hi, lo)
    }

    static func ipv6Masked(_ s: String) -> (OXMValue, OXMValue?)? {
        let parts = s.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let (h, l) = ipv6(parts[0]) else { return nil }
        let v = OXMValue(hi: h, lo: l)
        guard parts.count == 2 else { return (v, nil) }
        if let (mh, ml) = ipv6(parts[1]) { return (v, OXMValue(hi: mh, lo: ml)) }
        guard !parts[1].hasPrefix("0x"), let len = Scan.number(parts[1], max: 128) else { return nil }
        let mh: UInt64 = len == 0 ? 0 : (len >= 64 ? .max : ~(UInt64.max >> len))
        let ml: UInt64 = len <= 64 ? 0 : (len == 128 ? .max : ~(UInt64.max >> (len - 64)))
        return (v, OXMValue(hi: mh, lo: ml))
    }

    static func macMasked(_ s: String) -> (UInt64, UInt64?)? {
        let parts = s.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts[0].utf8.count == 17, let v = EthernetAddress(parts[0]) else { return nil }
        guard parts.count == 2 else { return (v.rawValue, nil) }
        guard parts[1].utf8.count == 17, let m = EthernetAddress(parts[1]) else { return nil }
        return (v.rawValue, m.rawValue)
    }
}
