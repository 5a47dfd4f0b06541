import Foundation

/// Field names as coding keys (Neutron's names, `binding:host_id` among them).
public struct FieldKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ s: String) { stringValue = s }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

extension CodingUserInfoKey {
    /// The fields a response keeps (`fields=`), as a `Set<String>`; absent: all.
    public static let onlyFields = CodingUserInfoKey(rawValue: "taas.fields")!
}

/// Writes a resource's fields in Neutron's way: nil as null, and only those `fields=` kept.
struct FieldWriter {
    var container: KeyedEncodingContainer<FieldKey>
    let only: Set<String>?

    init(_ encoder: any Encoder) {
        container = encoder.container(keyedBy: FieldKey.self)
        only = encoder.userInfo[.onlyFields] as? Set<String>
    }

    mutating func put<T: Encodable>(_ key: String, _ value: T?) throws {
        guard only?.contains(key) ?? true else { return }
        if let value { try container.encode(value, forKey: FieldKey(key)) } else { try container.encodeNil(forKey: FieldKey(key)) }
    }

    /// What every TaaS resource starts with, in Neutron's order (`tenant_id` beside `project_id`).
    mutating func putHead(id: String, projectID: String, name: String, description: String) throws {
        try put("id", id); try put("tenant_id", projectID); try put("project_id", projectID); try put("name", name)
        try put("description", description)
    }

    /// What every TaaS resource ends with.
    mutating func putStatus(_ status: String, _ reason: String?) throws {
        try put("status", status); try put("status_reason", reason)
    }
}

/// Reads a resource's fields leniently: a client asking `fields=` gets some of them, and an absent
/// field reads as its empty value rather than failing the whole response.
struct FieldReader {
    let container: KeyedDecodingContainer<FieldKey>

    init(_ decoder: any Decoder) throws { container = try decoder.container(keyedBy: FieldKey.self) }

    func get<T: Decodable>(_ key: String) throws -> T? { try container.decodeIfPresent(T.self, forKey: FieldKey(key)) }
    func text(_ key: String) throws -> String { try get(key) ?? "" }

    /// The fields every TaaS resource starts with (`tenant_id` when `project_id` is absent).
    func head() throws -> (id: String, projectID: String, name: String, description: String) {
        (try text("id"), try get("project_id") ?? text("tenant_id"), try text("name"), try text("description"))
    }
}

/// Writes only the fields a request sets; `.some(nil)` as null (clearing a value on update).
struct RequestWriter {
    var container: KeyedEncodingContainer<FieldKey>

    init(_ encoder: any Encoder) { container = encoder.container(keyedBy: FieldKey.self) }

    mutating func put<T: Encodable>(_ key: String, _ value: T?) throws {
        if let value { try container.encode(value, forKey: FieldKey(key)) }
    }

    mutating func put<T: Encodable>(_ key: String, clearable value: T??) throws {
        switch value {
        case .none: break
        case .some(.none): try container.encodeNil(forKey: FieldKey(key))
        case .some(.some(let v)): try container.encode(v, forKey: FieldKey(key))
        }
    }
}
