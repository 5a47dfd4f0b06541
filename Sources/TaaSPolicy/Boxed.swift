/// An immutable value on the heap, compared and hashed as the value: for an optional part that
/// most values lack (a tap flow's traffic filter), so that lacking it costs a word, not its size.
public final class Boxed<Value: Hashable & Sendable>: Hashable, Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
    public static func == (a: Boxed, b: Boxed) -> Bool { a === b || a.value == b.value }
    public func hash(into h: inout Hasher) { h.combine(value) }
}

extension Boxed: Codable where Value: Codable {
    public convenience init(from decoder: Decoder) throws { self.init(try decoder.singleValueContainer().decode(Value.self)) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
