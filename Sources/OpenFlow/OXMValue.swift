/// The bytes of an OXM value or mask, big-endian as on the wire.
///
/// Values of up to 16 bytes (every OpenFlow 1.3 basic field, the Nicira tunnel and
/// register fields) live inline in two words, so matches decode without allocating
/// per field; longer experimenter payloads fall back to an array.
public struct OXMValue: Hashable, Sendable {
    @usableFromInline var hi: UInt64
    @usableFromInline var lo: UInt64
    @usableFromInline var inlineCount: UInt8
    @usableFromInline var heap: [UInt8]?

    /// An integer value `width` bytes wide.
    @inlinable
    public init(_ value: UInt64, width: Int) {
        hi = 0
        lo = width >= 8 ? value : value & ((1 << (UInt64(width) * 8)) &- 1)
        inlineCount = UInt8(width)
        heap = nil
    }

    /// A 128-bit value such as an IPv6 address.
    @inlinable
    public init(hi: UInt64, lo: UInt64) {
        self.hi = hi
        self.lo = lo
        inlineCount = 16
        heap = nil
    }

    public init(bytes: some Collection<UInt8>) {
        if bytes.count <= 16 {
            var h: UInt64 = 0, l: UInt64 = 0
            for b in bytes {
                h = h << 8 | l >> 56
                l = l << 8 | UInt64(b)
            }
            hi = h; lo = l
            inlineCount = UInt8(bytes.count)
            heap = nil
        } else {
            hi = 0; lo = 0; inlineCount = 0
            heap = Array(bytes)
        }
    }

    /// Number of bytes on the wire.
    @inlinable public var count: Int { heap?.count ?? Int(inlineCount) }

    /// The low 64 bits: the whole value for fields of 8 bytes or less.
    @inlinable public var integer: UInt64 { lo }
    /// The high 64 bits of a 16-byte value.
    @inlinable public var high: UInt64 { hi }

    public var bytes: [UInt8] {
        if let heap { return heap }
        let n = Int(inlineCount)
        return (0..<n).map { i in
            let shift = (n - 1 - i) * 8
            return shift >= 64 ? UInt8(truncatingIfNeeded: hi >> UInt64(shift - 64)) : UInt8(truncatingIfNeeded: lo >> UInt64(shift))
        }
    }

    /// Byte-wise order (as `bytes.lexicographicallyPrecedes`), without building the arrays when
    /// both values are inline and equally wide: sorting large flow sets compares many.
    public func precedes(_ other: OXMValue) -> Bool {
        if heap == nil, other.heap == nil, inlineCount == other.inlineCount {
            return hi != other.hi ? hi < other.hi : lo < other.lo
        }
        return bytes.lexicographicallyPrecedes(other.bytes)
    }

    /// Appends the value as big-endian words that compare (word by word, as unsigned integers)
    /// in the order `precedes` gives for values of one width: one word up to 8 bytes, two up to
    /// 16, the bytes packed eight to a word beyond. For sorting many flows by a key computed once.
    public func appendWords(to words: inout [UInt64]) {
        guard let heap else {
            if inlineCount > 8 { words.append(hi) }
            words.append(lo)
            return
        }
        var w: UInt64 = 0, n = 0
        for b in heap {
            w = w << 8 | UInt64(b)
            n += 1
            if n == 8 {
                words.append(w)
                w = 0
                n = 0
            }
        }
        if n > 0 { words.append(w << UInt64((8 - n) * 8)) }
    }

    /// All bits set, `width` bytes wide.
    public static func ones(width: Int) -> OXMValue {
        width > 16 ? OXMValue(bytes: [UInt8](repeating: 0xff, count: width))
            : OXMValue(hi: width > 8 ? (width == 16 ? .max : (1 << UInt64((width - 8) * 8)) - 1) : 0,
                       lo: width >= 8 ? .max : (1 << UInt64(width * 8)) - 1, count: width)
    }

    @inlinable
    init(hi: UInt64, lo: UInt64, count: Int) {
        self.hi = hi; self.lo = lo; inlineCount = UInt8(count); heap = nil
    }

    /// True when every bit is set (a mask that masks nothing).
    public var isAllOnes: Bool { self == .ones(width: count) }
    public var isZero: Bool { heap?.allSatisfy { $0 == 0 } ?? (hi == 0 && lo == 0) }

    /// Bitwise AND of two values of equal width.
    public func and(_ other: OXMValue) -> OXMValue {
        if heap == nil, other.heap == nil { return OXMValue(hi: hi & other.hi, lo: lo & other.lo, count: count) }
        return OXMValue(bytes: zip(bytes, other.bytes).map { $0 & $1 })
    }
}

extension RawReader {
    @inlinable
    mutating func oxmValue(count: Int, or e: ErrorCode) throws(ParseError) -> OXMValue {
        switch count {
        case 1: return OXMValue(UInt64(try read(UInt8.self, or: e)), width: 1)
        case 2: return OXMValue(UInt64(try read(UInt16.self, or: e)), width: 2)
        case 4: return OXMValue(UInt64(try read(UInt32.self, or: e)), width: 4)
        case 8: return OXMValue(try read(UInt64.self, or: e), width: 8)
        case 16: return OXMValue(hi: try read(UInt64.self, or: e), lo: try read(UInt64.self, or: e))
        case 0..<16:
            var h: UInt64 = 0, l: UInt64 = 0
            for _ in 0..<count {
                let b = try read(UInt8.self, or: e)
                h = h << 8 | l >> 56
                l = l << 8 | UInt64(b)
            }
            return OXMValue(hi: h, lo: l, count: count)
        default:
            return OXMValue(bytes: try bytes(count, or: e))
        }
    }
}

extension RawWriter {
    @inlinable
    mutating func oxmValue(_ v: OXMValue) {
        if let heap = v.heap { return bytes(heap) }
        switch v.inlineCount {
        case 1: write(UInt8(truncatingIfNeeded: v.lo))
        case 2: write(UInt16(truncatingIfNeeded: v.lo))
        case 4: write(UInt32(truncatingIfNeeded: v.lo))
        case 6: write(UInt16(truncatingIfNeeded: v.lo >> 32)); write(UInt32(truncatingIfNeeded: v.lo))
        case 8: write(v.lo)
        case 16: write(v.hi); write(v.lo)
        default:
            let n = Int(v.inlineCount)
            for i in 0..<n {
                let shift = (n - 1 - i) * 8
                write(shift >= 64 ? UInt8(truncatingIfNeeded: v.hi >> UInt64(shift - 64)) : UInt8(truncatingIfNeeded: v.lo >> UInt64(shift)))
            }
        }
    }
}
