/// An OVSDB atom (RFC 7047 section 5.1): integer, real, boolean, string or UUID.
public enum Atom: Hashable, Sendable, Comparable {
    case integer(Int64)
    case real(Double)
    case boolean(Bool)
    case string(String)
    case uuid(String)
    /// A row inserted earlier in the same transaction.
    case namedUUID(String)

    init?(_ json: JSONValue) {
        switch json {
        case .int(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .bool(let b): self = .boolean(b)
        case .string(let s): self = .string(s)
        case .array(let a) where a.count == 2:
            guard let tag = a[0].string, let value = a[1].string else { return nil }
            switch tag {
            case "uuid": self = .uuid(value)
            case "named-uuid": self = .namedUUID(value)
            default: return nil
            }
        default: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .integer(let i): .int(i)
        case .real(let d): .double(d)
        case .boolean(let b): .bool(b)
        case .string(let s): .string(s)
        case .uuid(let u): ["uuid", .string(u)]
        case .namedUUID(let u): ["named-uuid", .string(u)]
        }
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var integer: Int64? { if case .integer(let i) = self { i } else { nil } }
    public var uuid: String? { if case .uuid(let u) = self { u } else { nil } }

    public static func < (a: Atom, b: Atom) -> Bool { a.json.serialized < b.json.serialized }
}

/// An OVSDB datum: a set of atoms (a scalar column is a set of one, an optional one a set of
/// at most one) or a map.
public enum Datum: Hashable, Sendable {
    case set([Atom])
    case map([Atom: Atom])

    public static let empty = Datum.set([])

    public struct Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(_ json: JSONValue) throws(Invalid) {
        if case .array(let a) = json, a.count == 2, let tag = a[0].string, tag == "set" || tag == "map" {
            guard let items = a[1].array else { throw Invalid(description: "\(tag) without an array of elements") }
            if tag == "set" {
                var atoms: [Atom] = []
                for item in items {
                    guard let atom = Atom(item) else { throw Invalid(description: "not an atom: \(item.serialized.prefix(80))") }
                    atoms.append(atom)
                }
                self = .set(atoms)
            } else {
                var pairs: [Atom: Atom] = [:]
                for item in items {
                    guard let kv = item.array, kv.count == 2, let k = Atom(kv[0]), let v = Atom(kv[1]) else {
                        throw Invalid(description: "not a map pair: \(item.serialized.prefix(80))")
                    }
                    pairs[k] = v
                }
                self = .map(pairs)
            }
            return
        }
        guard let atom = Atom(json) else { throw Invalid(description: "not a datum: \(json.serialized.prefix(80))") }
        self = .set([atom])
    }

    public var json: JSONValue {
        switch self {
        case .set(let atoms) where atoms.count == 1: atoms[0].json
        case .set(let atoms): ["set", .array(atoms.sorted().map(\.json))]
        case .map(let m): ["map", .array(m.keys.sorted().map { k in [k.json, m[k]?.json ?? .null] })]
        }
    }

    /// A string-to-string map's contents; empty for anything else.
    public static func stringMap(_ m: [String: String]) -> Datum {
        .map(Dictionary(uniqueKeysWithValues: m.map { (Atom.string($0.key), Atom.string($0.value)) }))
    }

    public var atoms: [Atom] { if case .set(let a) = self { a } else { [] } }
    public var first: Atom? { atoms.first }
    public var stringMap: [String: String] {
        guard case .map(let m) = self else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in m { if let ks = k.string, let vs = v.string { out[ks] = vs } }
        return out
    }
}

/// One row: column name → datum.
public typealias Row = [String: Datum]

extension Dictionary where Key == String, Value == Datum {
    public func string(_ column: String) -> String? { self[column]?.first?.string }
    public func integer(_ column: String) -> Int64? { self[column]?.first?.integer }
    public func uuids(_ column: String) -> [String] { self[column]?.atoms.compactMap(\.uuid) ?? [] }
    public func map(_ column: String) -> [String: String] { self[column]?.stringMap ?? [:] }
}
