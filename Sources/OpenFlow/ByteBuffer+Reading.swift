import NIOCore

// Throwing readers over a slice whose length was already checked against its
// enclosing structure: running short is a malformed body, never "need more bytes".
extension ByteBuffer {
    @inlinable
    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self, or error: ErrorCode) throws(ParseError) -> T {
        guard let value = readInteger(as: T.self) else { throw ParseError(error, "truncated") }
        return value
    }

    @inlinable
    mutating func skip(_ count: Int, or error: ErrorCode) throws(ParseError) {
        guard count >= 0, readableBytes >= count else { throw ParseError(error, "truncated") }
        moveReaderIndex(forwardBy: count)
    }

    @inlinable
    mutating func slice(_ count: Int, or error: ErrorCode) throws(ParseError) -> ByteBuffer {
        guard count >= 0, let s = readSlice(length: count) else { throw ParseError(error, "length exceeds enclosing structure") }
        return s
    }

    @inlinable
    mutating func bytes(_ count: Int, or error: ErrorCode) throws(ParseError) -> [UInt8] {
        guard count >= 0, let b = readBytes(length: count) else { throw ParseError(error, "truncated") }
        return b
    }

    /// A fixed-size, NUL-padded string field such as `ofp_port.name` or `ofp_desc.mfr_desc`.
    /// Bytes that are not UTF-8 become "?" one for one, so the text always fits the field again.
    @inlinable
    mutating func fixedString(_ count: Int, or error: ErrorCode) throws(ParseError) -> String {
        guard let raw = readBytes(length: count) else { throw ParseError(error, "truncated") }
        let text = raw[..<(raw.firstIndex(of: 0) ?? raw.endIndex)]
        if let s = String(validating: text, as: UTF8.self) { return s }
        return String(decoding: text.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    @inlinable
    func requireConsumed(or error: ErrorCode) throws(ParseError) {
        guard readableBytes == 0 else { throw ParseError(error, "trailing bytes") }
    }

    @inlinable
    @discardableResult
    mutating func writeZeros(_ count: Int) -> Int {
        writeRepeatingByte(0, count: count)
    }

    /// Writes a fixed-size, NUL-padded string field, cut at a character boundary to fit.
    @inlinable
    @discardableResult
    mutating func writeFixedString(_ string: String, _ count: Int) -> Int {
        var length = 0
        for scalar in string.unicodeScalars {
            let n = UTF8.width(scalar)
            guard length + n <= count else { break }
            length += n
        }
        let written = writeBytes(string.utf8.prefix(length))
        return written + writeZeros(count - written)
    }
}

@inlinable
func paddedTo8(_ n: Int) -> Int { (n + 7) & ~7 }
