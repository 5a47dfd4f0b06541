/// Address syntax checks for `remote_ip`.
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
}
