/// Finds where each JSON-RPC message ends in a byte stream (OVSDB sends them back to back with
/// no length prefix), remembering how far it has scanned so that a large message arriving in
/// pieces is scanned once. Messages longer than `maxMessageSize` are refused.
public struct JSONFramer: Sendable {
    public var maxMessageSize: Int
    private var scanned = 0
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var started = false

    public init(maxMessageSize: Int = 64 << 20) { self.maxMessageSize = maxMessageSize }

    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        case notAnObjectOrArray(UInt8)
        case tooLarge(Int)
        public var description: String {
            switch self {
            case .notAnObjectOrArray(let b): "a message must be a JSON object, not one starting with byte \(b)"
            case .tooLarge(let n): "a message longer than \(n) bytes"
            }
        }
    }

    /// Given the unconsumed bytes (the same prefix as last time, possibly with more appended),
    /// returns how many leading bytes form the next whole message, counting whitespace before it,
    /// or nil when more bytes are needed. Call `reset()` after consuming a message.
    public mutating func nextMessageLength<C: Collection<UInt8>>(_ bytes: C) throws(Failure) -> Int? where C.Index == Int {
        var i = bytes.startIndex + scanned
        while i < bytes.endIndex {
            let b = bytes[i]
            i += 1
            if !started {
                switch b {
                case 0x20, 0x0a, 0x0d, 0x09: continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): started = true; depth = 1
                default: throw .notAnObjectOrArray(b)
                }
                continue
            }
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    scanned = i - bytes.startIndex
                    return scanned
                }
            default: break
            }
        }
        scanned = i - bytes.startIndex
        if scanned > maxMessageSize { throw .tooLarge(maxMessageSize) }
        return nil
    }

    /// Starts afresh for the next message.
    public mutating func reset() {
        scanned = 0; depth = 0; inString = false; escaped = false; started = false
    }
}
