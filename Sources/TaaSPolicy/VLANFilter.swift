/// TaaS's `vlan_filter`: VLAN ids and ranges such as `"9,18,27-36"`, each id 0–4095.
public struct VLANFilter: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Sorted, merged, non-overlapping ranges.
    public let ranges: [ClosedRange<UInt16>]

    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(parsing text: String) throws(ParseError) {
        var ranges: [ClosedRange<UInt16>] = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        guard !text.trimmingSpaces.isEmpty else { throw ParseError(description: "vlan_filter is empty") }
        for item in items {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            guard (1...2).contains(bounds.count) else { throw ParseError(description: "vlan_filter item \"\(item)\" is not N or N-M") }
            var values: [UInt16] = []
            for b in bounds {
                guard !b.isEmpty, b.allSatisfy(\.isASCII), let v = UInt16(b), v <= 4095 else {
                    throw ParseError(description: "vlan_filter item \"\(item)\": VLAN ids are 0 to 4095")
                }
                values.append(v)
            }
            guard let low = values.first, let high = values.last, low <= high else {
                throw ParseError(description: "vlan_filter range \"\(item)\" runs backwards")
            }
            ranges.append(low...high)
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt16>] = []
        for r in ranges {
            if let last = merged.last, r.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        self.ranges = merged
    }

    public func contains(_ vid: UInt16) -> Bool { ranges.contains { $0.contains(vid) } }

    /// Canonical text: sorted, merged.
    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try VLANFilter(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

extension String {
    var trimmingSpaces: Substring { self[...].trimmingSpaces }
}
