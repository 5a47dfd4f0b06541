import NIOCore

// The hot paths (matches, actions, instructions, FLOW_MOD) read and write through raw
// pointers: one bounds check per message instead of one per field, which is what keeps
// encode and decode of a typical FLOW_MOD in the low hundreds of nanoseconds.

/// Writes big-endian fields into memory reserved for exactly `wireLength` bytes.
@usableFromInline
struct RawWriter {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline var offset: Int

    @inlinable init(_ base: UnsafeMutableRawPointer) {
        self.base = base
        offset = 0
    }

    @inlinable @inline(__always) mutating func write<T: FixedWidthInteger>(_ value: T) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
    }

    @inlinable mutating func zeros(_ count: Int) {
        guard count > 0 else { return }
        (base + offset).initializeMemory(as: UInt8.self, repeating: 0, count: count)
        offset += count
    }

    @inlinable mutating func bytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { src in
            if let s = src.baseAddress { (base + offset).copyMemory(from: s, byteCount: src.count) }
        }
        offset += bytes.count
    }
}

/// Reads big-endian fields from a bounded region; running past the end is a malformed
/// body reported with the caller's error code.
@usableFromInline
struct RawReader {
    @usableFromInline let base: UnsafeRawBufferPointer
    @usableFromInline var offset: Int
    @usableFromInline let end: Int

    @inlinable init(_ base: UnsafeRawBufferPointer) {
        self.base = base
        offset = 0
        end = base.count
    }

    @inlinable init(_ base: UnsafeRawBufferPointer, offset: Int, end: Int) {
        self.base = base
        self.offset = offset
        self.end = end
    }

    @inlinable var remaining: Int { end - offset }

    @inlinable @inline(__always) mutating func read<T: FixedWidthInteger>(_: T.Type = T.self, or error: ErrorCode) throws(ParseError) -> T {
        guard end - offset >= MemoryLayout<T>.size else { throw ParseError(error, "truncated") }
        let v = T(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    @inlinable func peek<T: FixedWidthInteger>(_: T.Type, at delta: Int = 0) -> T? {
        guard delta >= 0, end - offset - delta >= MemoryLayout<T>.size else { return nil }
        return T(bigEndian: base.loadUnaligned(fromByteOffset: offset + delta, as: T.self))
    }

    @inlinable mutating func skip(_ count: Int, or error: ErrorCode) throws(ParseError) {
        guard count >= 0, end - offset >= count else { throw ParseError(error, "truncated") }
        offset += count
    }

    /// A reader over the next `count` bytes; this reader moves past them.
    @inlinable mutating func sub(_ count: Int, or error: ErrorCode) throws(ParseError) -> RawReader {
        guard count >= 0, end - offset >= count else { throw ParseError(error, "length exceeds enclosing structure") }
        let r = RawReader(base, offset: offset, end: offset + count)
        offset += count
        return r
    }

    @inlinable mutating func bytes(_ count: Int, or error: ErrorCode) throws(ParseError) -> [UInt8] {
        guard count >= 0, end - offset >= count else { throw ParseError(error, "truncated") }
        let out = [UInt8](UnsafeRawBufferPointer(rebasing: base[offset..<offset + count]))
        offset += count
        return out
    }

    @inlinable mutating func rest() -> [UInt8] {
        let out = [UInt8](UnsafeRawBufferPointer(rebasing: base[offset..<end]))
        offset = end
        return out
    }
}

extension ByteBuffer {
    /// Writes exactly `length` bytes through a raw writer.
    @inlinable
    @discardableResult
    mutating func writeRaw(_ length: Int, _ body: (inout RawWriter) -> Void) -> Int {
        writeWithUnsafeMutableBytes(minimumWritableBytes: length) { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            var w = RawWriter(base)
            body(&w)
            return w.offset
        }
    }

    /// Reads through a raw reader over the readable bytes, consuming what it read.
    @inlinable
    mutating func readRaw<T>(_ body: (inout RawReader) throws(ParseError) -> T) throws(ParseError) -> T {
        let result: Result<(T, Int), ParseError> = withUnsafeReadableBytes { raw in
            var r = RawReader(raw)
            do throws(ParseError) {
                let v = try body(&r)
                return .success((v, r.offset))
            } catch {
                return .failure(error)
            }
        }
        let (value, consumed) = try result.get()
        moveReaderIndex(forwardBy: consumed)
        return value
    }
}
