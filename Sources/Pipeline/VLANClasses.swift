import OpenFlow
import TaaSPolicy

/// Frames by their 802.1Q VLAN id: points 0–4095 are tagged VIDs, 4096 stands for untagged.
/// Rules with different `vlan_filter`s split this space into classes in which the same rules
/// apply; each class becomes as few `vlan_vid` value/mask matches as cover it exactly.
struct VLANClasses {
    static let untagged = 4096
    static let domain = 0...4096

    /// The points a filter covers (nil = every frame, tagged or not).
    static func points(_ f: VLANFilter?) -> [ClosedRange<Int>] {
        guard let f else { return [domain] }
        return f.ranges.map { Int($0.lowerBound)...Int($0.upperBound) }
    }

    /// Splits the domain by the given members' filters: each class with the members that apply
    /// to all of its points. Classes with no members are left out.
    static func partition<T>(_ members: [(VLANFilter?, T)]) -> [(matches: [OXMField?], members: [T])] {
        // Fast path: no filter at all, one class covering everything.
        if members.allSatisfy({ $0.0 == nil }) { return members.isEmpty ? [] : [([nil], members.map(\.1))] }
        var cuts: Set<Int> = [domain.lowerBound, domain.upperBound + 1]
        let covered = members.map { points($0.0) }
        for ranges in covered { for r in ranges { cuts.insert(r.lowerBound); cuts.insert(r.upperBound + 1) } }
        let sorted = cuts.sorted()
        // Intervals with the same member set are one class.
        var classes: [[Int]: [ClosedRange<Int>]] = [:]
        var order: [[Int]] = []
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            let point = a
            let inside = covered.indices.filter { i in covered[i].contains { $0.contains(point) } }
            guard !inside.isEmpty else { continue }
            if classes[inside] == nil { order.append(inside) }
            classes[inside, default: []].append(a...(b - 1))
        }
        return order.map { key in (matches(classes[key] ?? []), key.map { members[$0].1 }) }
    }

    /// `vlan_vid` matches that cover exactly these intervals (nil = no match needed: everything).
    static func matches(_ intervals: [ClosedRange<Int>]) -> [OXMField?] {
        let total = intervals.reduce(0) { $0 + $1.count }
        if total == domain.count { return [nil] }
        var out: [OXMField?] = []
        var tagged: [ClosedRange<Int>] = []
        for r in intervals {
            if r.contains(untagged) {
                out.append(.vlanVID(0x0000))  // OFPVID_NONE: untagged frames only
                if r.lowerBound < untagged { tagged.append(r.lowerBound...(untagged - 1)) }
            } else {
                tagged.append(r)
            }
        }
        if tagged.reduce(0, { $0 + $1.count }) == 4096 {
            out.append(.vlanVID(0x1000, mask: 0x1000))  // any tagged frame
            return out
        }
        for r in tagged {
            for (value, mask) in prefixes(r.lowerBound, r.upperBound) {
                // A mask of every bit is an exact match, written without the mask (as OVS reads it back).
                out.append(.vlanVID(UInt16(0x1000 | value), mask: mask == 0xfff ? nil : UInt16(0x1000 | mask)))
            }
        }
        return out
    }

    /// The aligned blocks (value, 12-bit mask) that tile [low, high].
    static func prefixes(_ low: Int, _ high: Int) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        var a = low
        while a <= high {
            var size = 1
            while a % (size * 2) == 0 && a + size * 2 - 1 <= high && size * 2 <= 4096 { size *= 2 }
            out.append((a, 0xfff & ~(size - 1)))
            a += size
        }
        return out
    }
}
