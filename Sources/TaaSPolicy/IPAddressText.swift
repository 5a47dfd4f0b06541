/// Address syntax checks (`remote_ip`, IP prefixes) and values.
enum IPAddressText {
    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy { $0.isASCII && $0.isNumber } && (Int(p) ?? 256) <= 255
        }
    }

    static func isIPv6(_ s: String) -> Bool {
        guard s.contains(":"), s.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
        // Split at "::" (at most once) without Foundation.
        var halves: [Substring] = []
        if let r = s.firstRange(of: "::") {
            halves = [s[..<r.lowerBound], s[r.upperBound...]]
            if halves[1].contains("::") { return false }
        } else {
            halves = [s[...]]
        }
        var groups = 0
        for (i, half) in halves.enumerated() where !half.isEmpty {
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            for (j, p) in parts.enumerated() {
                // An IPv4 tail is allowed as the last group (e.g. ::ffff:192.0.2.1).
                if p.contains(".") {
                    guard i == halves.count - 1, j == parts.count - 1, isIPv4(String(p)) else { return false }
                    groups += 2
                } else {
                    guard (1...4).contains(p.count) else { return false }
                    groups += 1
                }
            }
        }
        return halves.count == 2 ? groups <= 7 : groups == 8
    }

    /// The 32-bit value of a checked IPv4 address.
    static func ipv4Value(_ s: String) -> UInt32? {
        guard isIPv4(s) else { return nil }
        return s.split(separator: ".").reduce(UInt32(0)) { $0 << 8 | (UInt32($1) ?? 0) }
    }

    /// The two 64-bit halves of a checked IPv6 address.
    static func ipv6Value(_ s: String) -> (UInt64, UInt64)? {
        guard isIPv6(s) else { return nil }
        func groups(_ part: Substring) -> [UInt16] {
            guard !part.isEmpty else { return [] }
            var out: [UInt16] = []
            for p in part.split(separator: ":", omittingEmptySubsequences: false) {
                if p.contains("."), let v = ipv4Value(String(p)) {
                    out += [UInt16(v >> 16), UInt16(v & 0xffff)]
                } else {
                    out.append(UInt16(p, radix: 16) ?? 0)
                }
            }
            return out
        }
        var all: [UInt16]
        if let r = s.firstRange(of: "::") {
            let head = groups(s[..<r.lowerBound]), tail = groups(s[r.upperBound...])
            all = head + Array(repeating: 0, count: max(0, 8 - head.count - tail.count)) + tail
        } else {
            all = groups(s[...])
        }
        guard all.count == 8 else { return nil }
        let words = all.map(UInt64.init)
        return (words[0..<4].reduce(0) { $0 << 16 | $1 }, words[4..<8].reduce(0) { $0 << 16 | $1 })
    }
}
