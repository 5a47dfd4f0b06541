/// A JSON encoder for the API's responses that writes as it goes: keys in the order a type
/// encodes them (dictionaries' keys sorted, so the output is stable), nothing escaped but what
/// JSON requires. Foundation's `JSONEncoder` builds a tree of dictionaries first and sorts every
/// object's keys; a bulk create's answer of 2,000 tap flows spent most of its time there.
///
/// It serves types that encode their containers one after another, as `Codable` types do: a
/// nested container is closed when its parent writes again. A value that asks for its keyed
/// container twice writes one object, as with Foundation; a `superEncoder` writes the parent's
/// fields under its key (`super` when none is given).
public struct JSONWriter {
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let sink = JSONSink(userInfo: userInfo)
        sink.bytes.reserveCapacity(1024)
        try sink.value(value)
        sink.close(to: 0)
        return sink.bytes
    }
}

/// Where the writer's containers append their text, and the containers still open.
final class JSONSink: Encoder {
    var bytes: [UInt8] = []
    /// Open containers, outermost first: whether an object, and how many members it has.
    private var open: [(object: Bool, count: Int)] = []
    /// How many containers were open when the value being written began (-1: a new value, as
    /// under a `superEncoder`): its own container is the next one.
    private var current = -1
    let userInfo: [CodingUserInfoKey: Any]
    var codingPath: [any CodingKey] { [] }

    init(userInfo: [CodingUserInfoKey: any Sendable]) { self.userInfo = userInfo }

    /// Closes the containers opened deeper than `depth`.
    func close(to depth: Int) {
        while open.count > depth { bytes.append(open.removeLast().object ? UInt8(ascii: "}") : UInt8(ascii: "]")) }
    }

    /// Starts a member of the container at `depth` (a comma after the first).
    func member(at depth: Int) {
        guard depth > 0, depth <= open.count else { return }  // a container written to after it closed: not our types' way
        close(to: depth)
        if open[depth - 1].count > 0 { bytes.append(UInt8(ascii: ",")) }
        open[depth - 1].count += 1
    }

    func key(_ k: String) {
        string(k)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Opens a container; returns its depth.
    func begin(object: Bool) -> Int {
        bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        open.append((object, 0))
        return open.count
    }

    func value<T: Encodable>(_ v: T) throws {
        switch v {
        case let s as String: string(s)
        case let n as Int: integer(n)
        case let b as Bool: literal(b ? "true" : "false")
        case let j as JSONValue: try json(j)
        case let d as any StringKeyed: try d.writeSorted(to: self)
        default:
            let depth = open.count, start = bytes.count, outer = current
            current = depth
            defer { current = outer }
            try v.encode(to: self)
            close(to: depth)
            if bytes.count == start { literal("{}") }  // a type that encoded nothing, as Foundation writes it
        }
    }

    func json(_ j: JSONValue) throws {
        switch j {
        case .null: literal("null")
        case .bool(let b): literal(b ? "true" : "false")
        case .int(let n): integer(n)
        case .number(let d): try double(d)
        case .string(let s): string(s)
        case .array(let a):
            bytes.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                try json(e)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let o):
            bytes.append(UInt8(ascii: "{"))
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                key(k)
                try json(o[k] ?? .null)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    func literal(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    func integer<I: BinaryInteger>(_ n: I) {
        bytes.append(contentsOf: String(n).utf8)
    }

    /// As Foundation writes numbers: integral values without a fraction, none that JSON lacks.
    func double(_ d: Double) throws {
        guard d.isFinite else {
            throw EncodingError.invalidValue(d, .init(codingPath: [], debugDescription: "\(d) is not a JSON number"))
        }
        var text = d.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    /// A JSON string: quotes, backslashes and control characters escaped; the rest as it is.
    func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var run = 0  // start of the bytes not yet copied
            for (i, c) in utf8.enumerated() where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<i]))
                run = i + 1
                switch c {
                case UInt8(ascii: "\""): literal("\\\"")
                case UInt8(ascii: "\\"): literal("\\\\")
                case 0x0a: literal("\\n")
                case 0x0d: literal("\\r")
                case 0x09: literal("\\t")
                case 0x08: literal("\\b")
                case 0x0c: literal("\\f")
                default:
                    literal("\\u00")
                    bytes.append(Self.hex(c >> 4))
                    bytes.append(Self.hex(c & 0xf))
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func hex(_ digit: UInt8) -> UInt8 { digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10 }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // The value's object again (a second request for it): the same object.
        if current >= 0, open.count > current, open[current].object {
            close(to: current + 1)
            return KeyedEncodingContainer(JSONKeyedWriter<Key>(sink: self, depth: current + 1))
        }
        return object(keyedBy: type)
    }

    /// A new object (a nested container's).
    func object<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(JSONKeyedWriter<Key>(sink: self, depth: begin(object: true)))
    }

    /// The encoder for a new value the caller has placed (after a key or a comma): a super class's.
    func newValue() -> any Encoder {
        current = open.count
        return self
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { JSONUnkeyedWriter(sink: self, depth: begin(object: false)) }

    func singleValueContainer() -> any SingleValueEncodingContainer { JSONSingleWriter(sink: self) }
}

/// `[String: V]`, whose keys the writer sorts (a dictionary's own order changes from run to run).
protocol StringKeyed {
    func writeSorted(to sink: JSONSink) throws
}

extension Dictionary: StringKeyed where Key == String, Value: Encodable {
    func writeSorted(to sink: JSONSink) throws {
        let depth = sink.begin(object: true)
        for k in keys.sorted() {
            sink.member(at: depth)
            sink.key(k)
            if let v = self[k] { try sink.value(v) }
        }
        sink.close(to: depth - 1)
    }
}

struct JSONKeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: JSONSink
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    private func start(_ key: Key) {
        sink.member(at: depth)
        sink.key(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws { start(key); sink.literal("null") }
    mutating func encode(_ value: Bool, forKey key: Key) throws { start(key); sink.literal(value ? "true" : "false") }
    mutating func encode(_ value: String, forKey key: Key) throws { start(key); sink.string(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { start(key); try sink.double(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { start(key); sink.integer(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { start(key); try sink.double(Double(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { start(key); try sink.value(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        start(key)
        return sink.object(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        start(key)
        return sink.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        sink.member(at: depth)
        sink.key("super")
        return sink.newValue()
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder { start(key); return sink.newValue() }
}

struct JSONUnkeyedWriter: UnkeyedEncodingContainer {
    let sink: JSONSink
    let depth: Int
    private(set) var count = 0
    var codingPath: [any CodingKey] { [] }

    init(sink: JSONSink, depth: Int) { self.sink = sink; self.depth = depth }

    private mutating func start() { sink.member(at: depth); count += 1 }

    mutating func encodeNil() throws { start(); sink.literal("null") }
    mutating func encode(_ value: Bool) throws { start(); sink.literal(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { start(); sink.string(value) }
    mutating func encode(_ value: Int) throws { start(); sink.integer(value) }
    mutating func encode(_ value: Double) throws { start(); try sink.double(value) }
    mutating func encode(_ value: Int8) throws { start(); sink.integer(value) }
    mutating func encode(_ value: Int16) throws { start(); sink.integer(value) }
    mutating func encode(_ value: Int32) throws { start(); sink.integer(value) }
    mutating func encode(_ value: Int64) throws { start(); sink.integer(value) }
    mutating func encode(_ value: UInt) throws { start(); sink.integer(value) }
    mutating func encode(_ value: UInt8) throws { start(); sink.integer(value) }
    mutating func encode(_ value: UInt16) throws { start(); sink.integer(value) }
    mutating func encode(_ value: UInt32) throws { start(); sink.integer(value) }
    mutating func encode(_ value: UInt64) throws { start(); sink.integer(value) }
    mutating func encode(_ value: Float) throws { start(); try sink.double(Double(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { start(); try sink.value(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        start()
        return sink.object(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        start()
        return sink.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { start(); return sink.newValue() }
}

struct JSONSingleWriter: SingleValueEncodingContainer {
    let sink: JSONSink
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { sink.literal("null") }
    mutating func encode(_ value: Bool) throws { sink.literal(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { sink.string(value) }
    mutating func encode(_ value: Double) throws { try sink.double(value) }
    mutating func encode(_ value: Float) throws { try sink.double(Double(value)) }
    mutating func encode(_ value: Int) throws { sink.integer(value) }
    mutating func encode(_ value: Int8) throws { sink.integer(value) }
    mutating func encode(_ value: Int16) throws { sink.integer(value) }
    mutating func encode(_ value: Int32) throws { sink.integer(value) }
    mutating func encode(_ value: Int64) throws { sink.integer(value) }
    mutating func encode(_ value: UInt) throws { sink.integer(value) }
    mutating func encode(_ value: UInt8) throws { sink.integer(value) }
    mutating func encode(_ value: UInt16) throws { sink.integer(value) }
    mutating func encode(_ value: UInt32) throws { sink.integer(value) }
    mutating func encode(_ value: UInt64) throws { sink.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try sink.value(value) }
}
