/// A parsed JSON value, decoded with `Codable` and `Sendable` as it is: request attributes keep
/// what the client sent (a number, a numeric string, true) so each is checked with Neutron's
/// rules and named in the message as sent.
public enum JSONValue: Hashable, Sendable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        // The likeliest first (attribute values are mostly text, list items objects): each miss
        // costs a thrown error, and a bulk create decodes hundreds of thousands of values.
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let o = try? c.decode([String: JSONValue].self) { self = .object(o) }
        else if let n = try? c.decode(Int.self) { self = .int(n) }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .number(try c.decode(Double.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let n): try c.encode(n)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public var isNull: Bool { self == .null }
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    /// An integer as JSON gives it (never true or false, which are not numbers).
    public var int: Int? { if case .int(let n) = self { n } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var object: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }

    /// As messages quote it: text as it is, other values as JSON writes them.
    public var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let n): String(n)
        case .number(let d): String(d)
        case .string(let s): s
        case .array(let a): "[" + a.map { $0.quoted }.joined(separator: ", ") + "]"
        case .object(let o): "{" + o.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value.quoted)" }.joined(separator: ", ") + "}"
        }
    }

    private var quoted: String { if case .string(let s) = self { "\"\(s)\"" } else { description } }
}

/// Literals, for clients and tests that write a body by hand (a malformed one, say).
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(elements, uniquingKeysWith: { $1 })) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// A value as JSON, through `Codable` (a typed body made generic: for tables and YAML).
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONValue(parsing: JSONWriter().encode(value))
    }

    /// An object's member (nil for other values; setting on a non-object does nothing).
    public subscript(key: String) -> JSONValue? {
        get { object?[key] }
        set {
            guard case .object(var o) = self else { return }
            o[key] = newValue
            self = .object(o)
        }
    }

    /// An object with `other`'s members added (they win); other values as they are.
    public func merging(_ other: JSONValue) -> JSONValue {
        guard case .object(let a) = self, case .object(let b) = other else { return self }
        return .object(a.merging(b) { $1 })
    }

    /// Strings as a JSON array.
    public init(_ strings: [String]) { self = .array(strings.map(JSONValue.string)) }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
}
