import OpenFlow
import OpenFlowText

/// The order a plan sends flows in: table, then priority from high to low, then the match's
/// fields (by header, then value, then mask). Deterministic without rendering text, and handed
/// out a piece at a time, so that a large plan's first messages can be on their way (and the
/// switch busy with them) while the rest are still being ordered.
struct PlanOrder {
    /// About how many flows a piece holds once a plan is large enough to be cut.
    static let pieceSize = 1024

    /// Each key's order as words compared as integers, worked out once: comparing fields afresh
    /// in every one of a sort's n log n comparisons cost more than the rest of a plan.
    private var words: [UInt64] = []
    private var spans: [(lead: UInt32, start: Int, end: Int)] = []

    /// Whether a set of `count` keys is handed out in several pieces (below, in one).
    static func isCut(_ count: Int) -> Bool { count > 4 * pieceSize }

    init(_ keys: [FlowKey]) {
        self.init(count: keys.count) { (keys[$0].table, keys[$0].priority, keys[$0].match) }
    }

    init(_ entries: [FlowEntry]) {
        self.init(count: entries.count) { (entries[$0].tableID, entries[$0].priority, entries[$0].match) }
    }

    /// The order of `count` keys, each asked for once and not kept: a packed plan's matches are
    /// made one at a time here rather than all at once.
    init(count: Int, key: (Int) -> (table: UInt8, priority: UInt16, match: Match)) {
        words.reserveCapacity(count * 6)
        spans.reserveCapacity(count)
        for i in 0..<count {
            let k = key(i)
            let start = words.count
            for f in k.match.fields {
                words.append(UInt64(f.header))
                f.value.appendWords(to: &words)
                f.mask?.appendWords(to: &words)
            }
            spans.append((UInt32(k.table) << 16 | UInt32(0xffff - k.priority), start, words.count))
        }
    }

    /// Calls `body` with the positions of the keys, in order, a piece at a time.
    ///
    /// A large set is cut by sample sort: splitters taken from an evenly spaced sample put each
    /// key in its bucket, and only then is each bucket sorted, just before it is handed out. The
    /// first piece is ready after one pass over the keys, not after the whole sort.
    func forEachPiece(_ body: ([Int]) throws -> Void) rethrows {
        let n = spans.count
        guard n > 0 else { return }
        try words.withUnsafeBufferPointer { w in
            try spans.withUnsafeBufferPointer { s in
                let less = { (i: Int, j: Int) -> Bool in
                    let a = s[i], b = s[j]
                    if a.lead != b.lead { return a.lead < b.lead }
                    var x = a.start, y = b.start
                    while x < a.end && y < b.end {
                        if w[x] != w[y] { return w[x] < w[y] }
                        x += 1
                        y += 1
                    }
                    return a.end - a.start < b.end - b.start
                }
                guard Self.isCut(n) else { return try body(n == 1 ? [0] : Array(0..<n).sorted(by: less)) }

                let buckets = n / Self.pieceSize
                // Eight samples per bucket keep buckets near their intended size whatever the
                // keys' spread; keys are distinct, so splitters are too.
                let sample = Array(stride(from: 0, to: n, by: max(1, n / (buckets * 8)))).sorted(by: less)
                let splitters = (1..<buckets).map { sample[$0 * sample.count / buckets] }
                // A key's bucket is the number of splitters not above it: keys in a lower bucket
                // all precede those in a higher one.
                var bucketOf = [Int32](repeating: 0, count: n)
                var sizes = [Int](repeating: 0, count: buckets)
                for i in 0..<n {
                    var lo = 0, hi = splitters.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if less(i, splitters[mid]) { hi = mid } else { lo = mid + 1 }
                    }
                    bucketOf[i] = Int32(lo)
                    sizes[lo] += 1
                }
                var starts = [Int](repeating: 0, count: buckets + 1)
                for b in 0..<buckets { starts[b + 1] = starts[b] + sizes[b] }
                var fill = starts
                var byBucket = [Int](repeating: 0, count: n)
                for i in 0..<n {
                    let b = Int(bucketOf[i])
                    byBucket[fill[b]] = i
                    fill[b] += 1
                }
                for b in 0..<buckets where sizes[b] > 0 {
                    try body(byBucket[starts[b]..<starts[b + 1]].sorted(by: less))
                }
            }
        }
    }
}
