@testable import Pipeline
import Testing

@Suite struct PortMasksTests {
    /// The blocks match exactly the range's ports, and no two of them could be one block (the
    /// sign that no cover has fewer).
    static func check(_ r: ClosedRange<UInt16>) -> String? {
        let blocks = PortMasks.cover(r)
        let lo = Int(r.lowerBound) - 3, hi = Int(r.upperBound) + 3
        for p in max(0, lo)...min(65535, hi) {
            let n = blocks.filter { $0.contains(UInt16(p)) }.count
            if n != (r.contains(UInt16(p)) ? 1 : 0) { return "\(r): port \(p) matched by \(n) blocks" }
        }
        let total = blocks.reduce(0) { $0 + (Int(~$1.mask) & 0xffff) + 1 }
        if total != r.count { return "\(r): blocks cover \(total) ports, not \(r.count)" }
        for (a, b) in zip(blocks, blocks.dropFirst()) where a.mask == b.mask {
            let size = (Int(~a.mask) & 0xffff) + 1
            if Int(a.value) % (2 * size) == 0 && Int(b.value) == Int(a.value) + size {
                return "\(r): blocks at \(a.value) and \(b.value) make one of \(2 * size)"
            }
        }
        return nil
    }

    @Test func knownRanges() {
        #expect(PortMasks.cover(80...80) == [.init(value: 80, mask: 0xffff)])
        #expect(PortMasks.cover(0...65535) == [.init(value: 0, mask: 0)])
        #expect(PortMasks.cover(1024...65535) == [
            .init(value: 1024, mask: 0xfc00), .init(value: 2048, mask: 0xf800), .init(value: 4096, mask: 0xf000),
            .init(value: 8192, mask: 0xe000), .init(value: 16384, mask: 0xc000), .init(value: 32768, mask: 0x8000),
        ])
        #expect(PortMasks.cover(1000...1999) == [
            .init(value: 1000, mask: 0xfff8), .init(value: 1008, mask: 0xfff0), .init(value: 1024, mask: 0xfe00),
            .init(value: 1536, mask: 0xff00), .init(value: 1792, mask: 0xff80), .init(value: 1920, mask: 0xffc0),
            .init(value: 1984, mask: 0xfff0),
        ])
        #expect(PortMasks.cover(1...65534).count == 30, "the worst case for 16 bits")
        #expect(PortMasks.cover(65535...65535) == [.init(value: 65535, mask: 0xffff)])
    }

    @Test func everySmallRange() {
        for lo in UInt16(0)...130 {
            for hi in lo...130 {
                if let problem = Self.check(lo...hi) { Issue.record("\(problem)"); return }
            }
        }
    }

    @Test func randomWideRanges() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<60 {
            let a = UInt16.random(in: 0...65535, using: &g), b = UInt16.random(in: 0...65535, using: &g)
            let r = min(a, b)...max(a, b)
            if let problem = Self.check(r) { Issue.record("\(problem)"); return }
        }
        for r in [UInt16(0)...65535, 1...65535, 0...65534, 32767...32768, 65000...65535] {
            if let problem = Self.check(r) { Issue.record("\(problem)") }
        }
    }
}
