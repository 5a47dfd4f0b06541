/// Transport port ranges as masked matches (issue 16's filters): the fewest `(value, mask)`
/// pairs that together match exactly the ports of a range. Each pair is an aligned block of 2^k
/// ports, the largest that starts at the next uncovered port and stays inside the range; blocks
/// chosen this way can never be merged, so no cover has fewer. Pure.
public enum PortMasks {
    public struct Block: Hashable, Sendable {
        public var value: UInt16
        public var mask: UInt16

        /// Whether `port` matches `value` under `mask`.
        public func contains(_ port: UInt16) -> Bool { port & mask == value }
    }

    public static func cover(_ range: ClosedRange<UInt16>) -> [Block] {
        var blocks: [Block] = []
        var next = UInt32(range.lowerBound)
        let end = UInt32(range.upperBound)
        while next <= end {
            // The largest power of two that divides `next` (all 2^16 for 0) and fits before `end`.
            var size: UInt32 = next == 0 ? 1 << 16 : next & (~next &+ 1)
            while next + size - 1 > end { size >>= 1 }
            blocks.append(Block(value: UInt16(next), mask: UInt16(truncatingIfNeeded: ~(size - 1))))
            next += size
        }
        return blocks
    }
}
