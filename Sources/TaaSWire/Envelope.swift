import Foundation

/// A resource of the API: its names in envelopes and the fields it shows.
public protocol WireResource: Codable, Sendable {
    /// The key of one (`tap_service`) and of a list (`tap_services`).
    static var singular: String { get }
    static var plural: String { get }
    /// Every field a response shows, in Neutron's order (filters, sorting and `fields=` name them).
    static var fields: [String] { get }
    var id: String { get }
}

/// A resource that can be created and updated through the API.
public protocol WritableResource: WireResource {
    associatedtype Create: CreateRequest
    /// What a create may set; the rest of `fields` is read-only.
    static var creatable: Set<String> { get }
    /// What an update may change.
    static var updatable: Set<String> { get }
}

/// A create request, read with Neutron's checks from a body's attributes.
public protocol CreateRequest: Codable, Sendable {
    /// What the request creates.
    associatedtype Resource: WritableResource where Resource.Create == Self
    init(attributes: [String: JSONValue]) throws(WireError)
}

extension CreateRequest {
    /// Read as the API reads it: any JSON object, then Neutron's checks (a refusal is a `WireError`).
    public init(from decoder: any Decoder) throws {
        try self.init(attributes: try decoder.singleValueContainer().decode([String: JSONValue].self))
    }
}

/// `{"<singular>": value}`: one resource, in a response or a request.
public struct One<Resource: WireResource, Value: Codable & Sendable>: Codable, Sendable {
    public var value: Value

    public init(_ value: Value) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: FieldKey.self)
        value = try c.decode(Value.self, forKey: FieldKey(Resource.singular))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FieldKey.self)
        try c.encode(value, forKey: FieldKey(Resource.singular))
    }
}

/// `{"<plural>": [values], "<plural>_links": [next]}`: a list, or a bulk create.
public struct Many<Resource: WireResource, Value: Codable & Sendable>: Codable, Sendable {
    public var values: [Value]
    /// The `next` link when a page is not the last.
    public var links: [Link]?

    public init(_ values: [Value], links: [Link]? = nil) { self.values = values; self.links = links }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: FieldKey.self)
        values = try c.decode([Value].self, forKey: FieldKey(Resource.plural))
        links = try c.decodeIfPresent([Link].self, forKey: FieldKey("\(Resource.plural)_links"))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FieldKey.self)
        try c.encode(values, forKey: FieldKey(Resource.plural))
        if let links { try c.encode(links, forKey: FieldKey("\(Resource.plural)_links")) }
    }
}

public struct Link: Codable, Sendable, Hashable {
    public var rel: String
    public var href: String
    public init(rel: String, href: String) { self.rel = rel; self.href = href }
}

/// Neutron's error body: `{"NeutronError": {"type": …, "message": …, "detail": ""}}`.
public struct NeutronErrorBody: Codable, Sendable, Hashable {
    public struct Detail: Codable, Sendable, Hashable {
        public var type: String
        public var message: String
        public var detail: String
        public init(type: String, message: String, detail: String = "") { self.type = type; self.message = message; self.detail = detail }
    }

    public var error: Detail

    public init(type: String, message: String) { error = Detail(type: type, message: message) }

    enum CodingKeys: String, CodingKey { case error = "NeutronError" }
}
