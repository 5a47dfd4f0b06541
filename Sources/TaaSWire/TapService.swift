/// A tap service as the API shows it.
public struct TapServiceInfo: WritableResource, Hashable {
    public typealias Create = TapServiceCreate
    public static let singular = "tap_service", plural = "tap_services"
    public static let fields = ["id", "tenant_id", "project_id", "name", "description", "port_id", "port_ids", "snaplen"]
        + RateLimitFields.names + ["status", "status_reason"]
    public static let creatable = Set(["name", "description", "port_id", "port_ids", "snaplen", "project_id", "tenant_id"]
                                      + RateLimitFields.names)
    public static let updatable: Set<String> = Set(["name", "description", "snaplen"] + RateLimitFields.names)

    public var id: String
    public var projectID: String
    public var name: String
    public var description: String
    /// The first tool port; `portIDs` holds them all.
    public var portID: String
    public var portIDs: [String]
    public var snaplen: Int?
    public var rateLimit: RateLimitFields
    public var status: String
    public var statusReason: String?

    public init(id: String, projectID: String, name: String, description: String, portID: String, portIDs: [String], snaplen: Int?,
                rateLimit: RateLimitFields, status: String, statusReason: String?) {
        self.id = id; self.projectID = projectID; self.name = name; self.description = description; self.portID = portID
        self.portIDs = portIDs; self.snaplen = snaplen; self.rateLimit = rateLimit; self.status = status; self.statusReason = statusReason
    }

    public init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        (id, projectID, name, description) = try r.head()
        portID = try r.text("port_id"); portIDs = try r.get("port_ids") ?? []
        snaplen = try r.get("snaplen"); rateLimit = try RateLimitFields(r); status = try r.text("status")
        statusReason = try r.get("status_reason")
    }

    public func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try w.putHead(id: id, projectID: projectID, name: name, description: description)
        try w.put("port_id", portID); try w.put("port_ids", portIDs); try w.put("snaplen", snaplen)
        try rateLimit.put(&w)
        try w.putStatus(status, statusReason)
    }
}

/// `POST /v2.0/taas/tap_services`: a destination port, or several tool ports to balance over.
public struct TapServiceCreate: CreateRequest, Hashable {
    public typealias Resource = TapServiceInfo
    public var projectID: String?
    public var name: String?
    public var description: String?
    /// The tool ports, the first being `port_id`; a single one is sent as `port_id` alone.
    public var portIDs: [String]
    public var snaplen: Int?
    public var rateLimit: RateLimitFields

    public init(portIDs: [String], name: String? = nil, description: String? = nil, projectID: String? = nil, snaplen: Int? = nil,
                rateLimit: RateLimitFields = RateLimitFields()) {
        self.portIDs = portIDs; self.name = name; self.description = description; self.projectID = projectID; self.snaplen = snaplen
        self.rateLimit = rateLimit
    }

    public init(attributes: [String: JSONValue]) throws(WireError) {
        let a = try AttributeReader(attributes, allowed: TapServiceInfo.creatable)
        projectID = try a.project(); name = try a.string("name"); description = try a.string("description")
        portIDs = try Self.toolPorts(a)
        snaplen = try a.int("snaplen")
        rateLimit = try RateLimitFields(a)
    }

    /// `port_ids` (a non-empty list, its first equal to `port_id` when both are given) or
    /// `port_id` alone. Counted and checked for repeats by the policy.
    static func toolPorts(_ a: AttributeReader) throws(WireError) -> [String] {
        guard let raw = a.values["port_ids"], !raw.isNull else { return [try a.required("port_id")] }
        guard let list = raw.array, !list.isEmpty else {
            throw WireError("Invalid input for port_ids. Reason: '\(raw)' is not a non-empty list of port ids.")
        }
        var ports: [String] = []
        for item in list {
            guard let s = item.string, !s.isEmpty, s.count <= 255 else {
                throw WireError("Invalid input for port_ids. Reason: '\(item)' is not a valid port id.")
            }
            ports.append(s)
        }
        if let first = try a.string("port_id"), first != ports[0] {
            throw WireError("Invalid input for port_id. Reason: '\(first)' is not the first of port_ids ('\(ports[0])').")
        }
        return ports
    }

    public func encode(to encoder: any Encoder) throws {
        var w = RequestWriter(encoder)
        try w.put("project_id", projectID); try w.put("name", name); try w.put("description", description)
        try w.put("port_id", portIDs.first)
        if portIDs.count > 1 { try w.put("port_ids", portIDs) }
        try w.put("snaplen", snaplen)
        try rateLimit.put(&w)
    }
}
