/// A map kept as two dense arrays and a small index: a dictionary stores each value in a slot
/// of its table, and its table is up to 2.7 times the size of its contents (power-of-two
/// capacity, three-quarters full at most); here only the index (key → position) is a table.
/// The policy keeps a hundred thousand tap flows and ports this way. Removal swaps in the last.
public struct DenseMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var index: [Key: Int32] = [:]
    public private(set) var keys: [Key] = []
    public private(set) var values: [Value] = []

    public init() {}

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public subscript(key: Key) -> Value? {
        get { index[key].map { values[Int($0)] } }
        set {
            if let i = index[key] {
                if let newValue {
                    values[Int(i)] = newValue
                } else {
                    let last = keys.count - 1
                    if Int(i) != last {
                        keys[Int(i)] = keys[last]
                        values[Int(i)] = values[last]
                        index[keys[Int(i)]] = i
                    }
                    keys.removeLast()
                    values.removeLast()
                    index[key] = nil
                }
            } else if let newValue {
                index[key] = Int32(keys.count)
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// Key and value pairs, in no particular order.
    public var pairs: Zip2Sequence<[Key], [Value]> { zip(keys, values) }
}

extension DenseMap: Sequence {
    public typealias Element = (key: Key, value: Value)

    public struct Iterator: IteratorProtocol {
        var keys: IndexingIterator<[Key]>
        var values: IndexingIterator<[Value]>
        public mutating func next() -> Element? {
            guard let k = keys.next(), let v = values.next() else { return nil }
            return (k, v)
        }
    }

    public func makeIterator() -> Iterator { Iterator(keys: keys.makeIterator(), values: values.makeIterator()) }
    public var underestimatedCount: Int { count }
}

extension DenseMap: Hashable where Value: Hashable {
    /// Order-independent, as the map is.
    public func hash(into h: inout Hasher) {
        var acc = 0
        for (k, v) in pairs {
            var e = Hasher()
            e.combine(k)
            e.combine(v)
            acc ^= e.finalize()
        }
        h.combine(count)
        h.combine(acc)
    }
}

extension DenseMap: Equatable where Value: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        a.count == b.count && a.pairs.allSatisfy { b[$0.0] == $0.1 }
    }
}

extension DenseMap: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (Key, Value)...) {
        for (k, v) in elements { self[k] = v }
    }
}
