/// A record's columns in declaration order, as the values a statement binds (PostgreSQL's path;
/// GRDB encodes records itself). Records are this module's flat structs of text, integers and
/// nulls: the containers they never ask for are a programming error.
struct ColumnEncoder: Encoder {
    final class Columns {
        var names: [String] = []
        var values: [StoreValue] = []
        let keepNames: Bool
        init(keepNames: Bool) { self.keepNames = keepNames; values.reserveCapacity(16) }
    }
    let columns: Columns
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    /// The values, in the order the record encodes its columns (`StoreRecord.columns`).
    static func values<R: Encodable>(_ record: R) throws -> [StoreValue] {
        let e = ColumnEncoder(columns: Columns(keepNames: false))
        try record.encode(to: e)
        return e.columns.values
    }

    /// The columns' names in the order the record encodes them.
    static func names<R: Encodable>(_ record: R) throws -> [String] {
        let e = ColumnEncoder(columns: Columns(keepNames: true))
        try record.encode(to: e)
        return e.columns.names
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { KeyedEncodingContainer(Keyed<Key>(columns: columns)) }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { fatalError("records have columns only") }
    func singleValueContainer() -> any SingleValueEncodingContainer { fatalError("records have columns only") }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let columns: Columns
        var codingPath: [any CodingKey] = []

        func put(_ key: Key, _ v: StoreValue) {
            if columns.keepNames { columns.names.append(key.stringValue) }
            columns.values.append(v)
        }
        mutating func encodeNil(forKey key: Key) throws { put(key, .null) }
        mutating func encode(_ value: String, forKey key: Key) throws { put(key, .text(value)) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { put(key, .integer(value)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { put(key, .integer(Int64(value))) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { put(key, .integer(value ? 1 : 0)) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { put(key, .text(value)) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { put(key, .integer(value)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            throw EncodingError.invalidValue(value, .init(codingPath: [key], debugDescription: "a store column is text or an integer"))
        }
        mutating func nestedContainer<N: CodingKey>(keyedBy: N.Type, forKey key: Key) -> KeyedEncodingContainer<N> { fatalError("flat records") }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { fatalError("flat records") }
        mutating func superEncoder() -> any Encoder { fatalError("flat records") }
        mutating func superEncoder(forKey key: Key) -> any Encoder { fatalError("flat records") }
    }
}

/// A record read from a row by column name (PostgreSQL's path; GRDB decodes its own rows).
struct RowDecoder: Decoder {
    let row: any StoreRow
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    static func decode<R: Decodable>(_ type: R.Type, _ row: any StoreRow) throws -> R { try R(from: RowDecoder(row: row)) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> { KeyedDecodingContainer(Keyed<Key>(row: row)) }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw StoreError("records have columns only") }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { throw StoreError("records have columns only") }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: any StoreRow
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] { [] }

        func contains(_ key: Key) -> Bool { true }
        func missing(_ key: Key) -> StoreError { StoreError("\(key.stringValue) is null") }

        func decodeNil(forKey key: Key) throws -> Bool {
            // Null when it reads as neither text nor an integer (reading a column as the other
            // type fails, which is not null).
            let k = key.stringValue
            return ((try? row.text(k)) ?? nil) == nil && ((try? row.integer(k)) ?? nil) == nil
        }
        func decode(_ type: String.Type, forKey key: Key) throws -> String {
            guard let s = try row.text(key.stringValue) else { throw missing(key) }
            return s
        }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
            guard let n = try row.integer(key.stringValue) else { throw missing(key) }
            return n
        }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try row.text(key.stringValue) }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try row.integer(key.stringValue) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            throw StoreError("\(key.stringValue): a store column is text or an integer, not \(T.self)")
        }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> { throw StoreError("flat records") }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { throw StoreError("flat records") }
        func superDecoder() throws -> any Decoder { throw StoreError("flat records") }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw StoreError("flat records") }
    }
}
