import SeededRandom
import TaaSCollections
import Testing

@Suite struct DenseMapTests {
    /// Random inserts, updates and removals (removal swaps the last entry into the hole) agree
    /// with a dictionary after every step.
    @Test(arguments: 0..<20)
    func behavesAsADictionary(seed: UInt64) {
        var g = SplitMix(state: seed)
        var map = DenseMap<Int, String>()
        var model: [Int: String] = [:]
        for step in 0..<2_000 {
            let key = Int.random(in: 0..<64, using: &g)
            if Int.random(in: 0..<3, using: &g) == 0 {
                map[key] = nil
                model[key] = nil
            } else {
                map[key] = "\(step)"
                model[key] = "\(step)"
            }
            guard map.count == model.count, model.allSatisfy({ map[$0.key] == $0.value }) else {
                Issue.record("seed \(seed) step \(step): \(map.count) entries, expected \(model.count)")
                return
            }
        }
        #expect(Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }) == model)
        #expect(Set(map.keys) == Set(model.keys))
        #expect(map[64] == nil)
    }

    @Test func equalityAndHashIgnoreOrder() {
        var a = DenseMap<String, Int>(), b = DenseMap<String, Int>()
        for (k, v) in [("x", 1), ("y", 2), ("z", 3)] { a[k] = v }
        for (k, v) in [("z", 3), ("x", 1), ("y", 2)] { b[k] = v }
        #expect(a == b && a.hashValue == b.hashValue)
        b["y"] = 5
        #expect(a != b)
        b["y"] = nil
        #expect(a != b && b.count == 2)
    }
}
