/// `PUT /v2.0/taas/<resource>/<id>`: what an update changes. Name and description on every
/// resource; snap length and rate limits on tap services and tap mirrors, where null clears them.
public struct ResourceUpdate<Resource: WritableResource>: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    /// nil: unchanged; `.some(nil)`: whole frames again.
    public var snaplen: Int??
    public var maxKbps: Int??
    public var maxBurstKbps: Int??
    public var maxKpps: Int??

    public init(name: String? = nil, description: String? = nil, snaplen: Int?? = nil, maxKbps: Int?? = nil, maxBurstKbps: Int?? = nil,
                maxKpps: Int?? = nil) {
        self.name = name; self.description = description; self.snaplen = snaplen; self.maxKbps = maxKbps
        self.maxBurstKbps = maxBurstKbps; self.maxKpps = maxKpps
    }

    public var isEmpty: Bool { self == ResourceUpdate() }

    /// Read with Neutron's checks: a read-only field is named as such, an unknown one as unknown.
    public init(attributes: [String: JSONValue]) throws(WireError) {
        let readOnly = attributes.keys.filter { !Resource.updatable.contains($0) }.sorted()
        if let first = readOnly.first {
            throw WireError(Resource.fields.contains(first) ? "Cannot update read-only attribute \(first)"
                                                             : "Unrecognized attribute(s) '\(readOnly.joined(separator: ", "))'")
        }
        let a = try AttributeReader(attributes, allowed: Resource.updatable)
        name = try a.string("name"); description = try a.string("description")
        snaplen = try a.clearableInt("snaplen")
        maxKbps = try a.clearableInt("max_kbps"); maxBurstKbps = try a.clearableInt("max_burst_kbps"); maxKpps = try a.clearableInt("max_kpps")
    }

    public init(from decoder: any Decoder) throws {
        try self.init(attributes: try decoder.singleValueContainer().decode([String: JSONValue].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var w = RequestWriter(encoder)
        try w.put("name", name); try w.put("description", description)
        try w.put("snaplen", clearable: snaplen)
        try w.put("max_kbps", clearable: maxKbps); try w.put("max_burst_kbps", clearable: maxBurstKbps); try w.put("max_kpps", clearable: maxKpps)
    }
}
