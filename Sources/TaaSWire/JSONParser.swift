/// Text that is not JSON: where, and what is wrong.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "\(reason) at byte \(offset)" }
    public init(offset: Int, reason: String) { self.offset = offset; self.reason = reason }
}

extension JSONValue {
    /// Parses JSON text (RFC 8259: one value, nothing after it but white space) straight into
    /// values. Numbers read as `JSONDecoder` reads them into this type: an integral value that
    /// fits `Int` is `.int` (`1.0` and `1e2` too), any other `.number`. Of a key given twice the
    /// first is kept, as `JSONDecoder` keeps it. A request body of 2,000 tap flows went through
    /// `JSONDecoder` several times slower than this.
    public init<Bytes: Collection<UInt8>>(parsing bytes: Bytes) throws(JSONSyntaxError) {
        self = try (bytes.withContiguousStorageIfAvailable(JSONParser.parse) ?? Array(bytes).withUnsafeBufferPointer(JSONParser.parse)).get()
    }
}

struct JSONParser {
    let text: UnsafeBufferPointer<UInt8>
    var i = 0
    /// Deeper nesting is refused: it would take the stack.
    static let maxDepth = 512

    init(_ text: UnsafeBufferPointer<UInt8>) { self.text = text }

    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONSyntaxError> {
        var p = JSONParser(text)
        return Result { () throws(JSONSyntaxError) in try p.document() }
    }

    mutating func document() throws(JSONSyntaxError) -> JSONValue {
        let v = try value(depth: 0)
        skipSpace()
        guard i == text.count else { throw fail("unexpected text after the JSON value") }
        return v
    }

    private func fail(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: i, reason: reason) }

    private mutating func skipSpace() {
        while i < text.count, text[i] == 0x20 || text[i] == 0x0a || text[i] == 0x0d || text[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        skipSpace()
        guard i < text.count else { throw fail("unexpected end of text") }
        switch text[i] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try word("true"); return .bool(true)
        case UInt8(ascii: "f"): try word("false"); return .bool(false)
        case UInt8(ascii: "n"): try word("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func word(_ w: StaticString) throws(JSONSyntaxError) {
        let n = w.utf8CodeUnitCount
        guard text.count - i >= n, w.withUTF8Buffer({ $0.elementsEqual(text[i..<i + n]) }) else { throw fail("unexpected word") }
        i += n
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) deep") }
        i += 1
        var members: [String: JSONValue] = [:]
        skipSpace()
        if i < text.count, text[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard i < text.count, text[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try string()
            skipSpace()
            guard i < text.count, text[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            let v = try value(depth: depth)
            if members[key] == nil { members[key] = v }
            skipSpace()
            guard i < text.count else { throw fail("unexpected end of text in an object") }
            if text[i] == UInt8(ascii: ",") { i += 1; continue }
            guard text[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            i += 1
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) deep") }
        i += 1
        var elements: [JSONValue] = []
        skipSpace()
        if i < text.count, text[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
        while true {
            elements.append(try value(depth: depth))
            skipSpace()
            guard i < text.count else { throw fail("unexpected end of text in an array") }
            if text[i] == UInt8(ascii: ",") { i += 1; continue }
            guard text[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
            i += 1
            return .array(elements)
        }
    }

    private mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = i
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.i
            while p.i < p.text.count, p.text[p.i] >= UInt8(ascii: "0"), p.text[p.i] <= UInt8(ascii: "9") { p.i += 1 }
            return p.i - s
        }
        if text[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        let n = digits(&self)
        guard n > 0 else { throw fail("expected a digit") }
        guard n == 1 || text[intStart] != UInt8(ascii: "0") else { throw JSONSyntaxError(offset: intStart, reason: "a number cannot start with 0") }
        var integral = true
        if i < text.count, text[i] == UInt8(ascii: ".") {
            i += 1
            integral = false
            guard digits(&self) > 0 else { throw fail("expected a digit after '.'") }
        }
        if i < text.count, text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") {
            i += 1
            integral = false
            if i < text.count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw fail("expected a digit in the exponent") }
        }
        let literal = String(decoding: text[start..<i], as: UTF8.self)
        if integral, let n = Int(literal) { return .int(n) }
        guard let d = Double(literal), d.isFinite else { throw JSONSyntaxError(offset: start, reason: "number out of range") }
        if let n = Int(exactly: d) { return .int(n) }
        return .number(d)
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        i += 1
        let start = i
        // Most strings have no escape: their bytes are the string's.
        while i < text.count, text[i] != UInt8(ascii: "\""), text[i] != UInt8(ascii: "\\"), text[i] >= 0x20 { i += 1 }
        guard i < text.count else { throw fail("unterminated string") }
        if text[i] == UInt8(ascii: "\"") {
            guard let s = String(validating: text[start..<i], as: UTF8.self) else { throw JSONSyntaxError(offset: start, reason: "invalid UTF-8") }
            i += 1
            return s
        }
        var out = Array(text[start..<i])
        while true {
            guard i < text.count else { throw fail("unterminated string") }
            let c = text[i]
            if c == UInt8(ascii: "\"") { break }
            guard c >= 0x20 else { throw fail("control character in a string") }
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            i += 1
            guard i < text.count else { throw fail("unterminated string") }
            let e = text[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xd800..<0xdc00).contains(scalar) {
                    guard text.count - i >= 6, text[i] == UInt8(ascii: "\\"), text[i + 1] == UInt8(ascii: "u") else { throw fail("lone surrogate") }
                    i += 2
                    let low = try hex4()
                    guard (0xdc00..<0xe000).contains(low) else { throw fail("lone surrogate") }
                    scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                } else if (0xdc00..<0xe000).contains(scalar) {
                    throw fail("lone surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                out.append(contentsOf: String(Character(u)).utf8)
            default:
                throw fail("invalid escape")
            }
        }
        i += 1
        guard let s = String(validating: out, as: UTF8.self) else { throw JSONSyntaxError(offset: start, reason: "invalid UTF-8") }
        return s
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard text.count - i >= 4 else { throw fail("expected four hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = text[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("expected four hex digits")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}
