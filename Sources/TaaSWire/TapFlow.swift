/// A tap flow's traffic filter, with the names networking-sfc's flow classifier uses: a frame is
/// copied when it matches every field given.
public struct TrafficFilterFields: Codable, Sendable, Hashable {
    public var ethertype: String?
    public var `protocol`: String?
    public var sourceIPPrefix: String?
    public var destinationIPPrefix: String?
    public var sourcePortRangeMin: Int?
    public var sourcePortRangeMax: Int?
    public var destinationPortRangeMin: Int?
    public var destinationPortRangeMax: Int?

    public static let names = ["ethertype", "protocol", "source_ip_prefix", "destination_ip_prefix", "source_port_range_min",
                               "source_port_range_max", "destination_port_range_min", "destination_port_range_max"]

    public init(ethertype: String? = nil, protocol: String? = nil, sourceIPPrefix: String? = nil, destinationIPPrefix: String? = nil,
                sourcePortRangeMin: Int? = nil, sourcePortRangeMax: Int? = nil, destinationPortRangeMin: Int? = nil,
                destinationPortRangeMax: Int? = nil) {
        self.ethertype = ethertype; self.protocol = `protocol`; self.sourceIPPrefix = sourceIPPrefix
        self.destinationIPPrefix = destinationIPPrefix; self.sourcePortRangeMin = sourcePortRangeMin
        self.sourcePortRangeMax = sourcePortRangeMax; self.destinationPortRangeMin = destinationPortRangeMin
        self.destinationPortRangeMax = destinationPortRangeMax
    }

    /// Nothing given: every frame.
    public var isEmpty: Bool { self == TrafficFilterFields() }

    init(_ r: FieldReader) throws {
        ethertype = try r.get("ethertype"); `protocol` = try r.get("protocol")
        sourceIPPrefix = try r.get("source_ip_prefix"); destinationIPPrefix = try r.get("destination_ip_prefix")
        sourcePortRangeMin = try r.get("source_port_range_min"); sourcePortRangeMax = try r.get("source_port_range_max")
        destinationPortRangeMin = try r.get("destination_port_range_min"); destinationPortRangeMax = try r.get("destination_port_range_max")
    }

    /// As a create reads them: port numbers as integers or numeric text, a protocol as a name or a number.
    init(_ a: AttributeReader) throws(WireError) {
        ethertype = try a.string("ethertype", maxLength: 40)
        if let raw = a.values["protocol"], let n = raw.int { `protocol` = String(n) } else { `protocol` = try a.string("protocol", maxLength: 40) }
        sourceIPPrefix = try a.string("source_ip_prefix", maxLength: 64)
        destinationIPPrefix = try a.string("destination_ip_prefix", maxLength: 64)
        sourcePortRangeMin = try a.lenientInt("source_port_range_min"); sourcePortRangeMax = try a.lenientInt("source_port_range_max")
        destinationPortRangeMin = try a.lenientInt("destination_port_range_min")
        destinationPortRangeMax = try a.lenientInt("destination_port_range_max")
    }

    func put(_ w: inout FieldWriter) throws {
        try w.put("ethertype", ethertype); try w.put("protocol", `protocol`)
        try w.put("source_ip_prefix", sourceIPPrefix); try w.put("destination_ip_prefix", destinationIPPrefix)
        try w.put("source_port_range_min", sourcePortRangeMin); try w.put("source_port_range_max", sourcePortRangeMax)
        try w.put("destination_port_range_min", destinationPortRangeMin); try w.put("destination_port_range_max", destinationPortRangeMax)
    }

    func put(_ w: inout RequestWriter) throws {
        try w.put("ethertype", ethertype); try w.put("protocol", `protocol`)
        try w.put("source_ip_prefix", sourceIPPrefix); try w.put("destination_ip_prefix", destinationIPPrefix)
        try w.put("source_port_range_min", sourcePortRangeMin); try w.put("source_port_range_max", sourcePortRangeMax)
        try w.put("destination_port_range_min", destinationPortRangeMin); try w.put("destination_port_range_max", destinationPortRangeMax)
    }

    /// A field's text for list filters ("" when unset); nil: not a traffic filter field.
    public func text(_ field: String) -> String? {
        switch field {
        case "ethertype": ethertype ?? ""
        case "protocol": `protocol` ?? ""
        case "source_ip_prefix": sourceIPPrefix ?? ""
        case "destination_ip_prefix": destinationIPPrefix ?? ""
        case "source_port_range_min": sourcePortRangeMin.map { String($0) } ?? ""
        case "source_port_range_max": sourcePortRangeMax.map { String($0) } ?? ""
        case "destination_port_range_min": destinationPortRangeMin.map { String($0) } ?? ""
        case "destination_port_range_max": destinationPortRangeMax.map { String($0) } ?? ""
        default: nil
        }
    }
}

/// A tap flow as the API shows it.
public struct TapFlowInfo: WritableResource, Hashable {
    public typealias Create = TapFlowCreate
    public static let singular = "tap_flow", plural = "tap_flows"
    public static let fields = ["id", "tenant_id", "project_id", "name", "description", "tap_service_id", "source_port", "direction",
                                "vlan_filter"] + TrafficFilterFields.names + ["status", "status_reason"]
    public static let creatable: Set<String> = Set(["name", "description", "tap_service_id", "source_port", "direction", "vlan_filter",
                                                    "project_id", "tenant_id"] + TrafficFilterFields.names)
    public static let updatable: Set<String> = ["name", "description"]

    public var id: String
    public var projectID: String
    public var name: String
    public var description: String
    public var tapServiceID: String
    public var sourcePort: String
    /// IN, OUT or BOTH.
    public var direction: String
    public var vlanFilter: String?
    public var traffic: TrafficFilterFields
    public var status: String
    public var statusReason: String?

    public init(id: String, projectID: String, name: String, description: String, tapServiceID: String, sourcePort: String,
                direction: String, vlanFilter: String?, traffic: TrafficFilterFields, status: String, statusReason: String?) {
        self.id = id; self.projectID = projectID; self.name = name; self.description = description; self.tapServiceID = tapServiceID
        self.sourcePort = sourcePort; self.direction = direction; self.vlanFilter = vlanFilter; self.traffic = traffic
        self.status = status; self.statusReason = statusReason
    }

    public init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        (id, projectID, name, description) = try r.head()
        tapServiceID = try r.text("tap_service_id"); sourcePort = try r.text("source_port")
        direction = try r.text("direction"); vlanFilter = try r.get("vlan_filter"); traffic = try TrafficFilterFields(r)
        status = try r.text("status"); statusReason = try r.get("status_reason")
    }

    public func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try w.putHead(id: id, projectID: projectID, name: name, description: description)
        try w.put("tap_service_id", tapServiceID); try w.put("source_port", sourcePort); try w.put("direction", direction)
        try w.put("vlan_filter", vlanFilter)
        try traffic.put(&w)
        try w.putStatus(status, statusReason)
    }
}

/// `POST /v2.0/taas/tap_flows`: a source port's traffic into a tap service.
public struct TapFlowCreate: CreateRequest, Hashable {
    public typealias Resource = TapFlowInfo
    public var projectID: String?
    public var name: String?
    public var description: String?
    /// A UUID; the API says so when it is not one.
    public var tapServiceID: String
    public var sourcePort: String
    /// IN, OUT or BOTH; the API names the choices when it is none of them.
    public var direction: String
    /// VLAN ids and ranges such as 9,18,27-36.
    public var vlanFilter: String?
    public var traffic: TrafficFilterFields

    public init(tapServiceID: String, sourcePort: String, direction: String, name: String? = nil, description: String? = nil,
                projectID: String? = nil, vlanFilter: String? = nil, traffic: TrafficFilterFields = TrafficFilterFields()) {
        self.tapServiceID = tapServiceID; self.sourcePort = sourcePort; self.direction = direction; self.name = name
        self.description = description; self.projectID = projectID; self.vlanFilter = vlanFilter; self.traffic = traffic
    }

    public init(attributes: [String: JSONValue]) throws(WireError) {
        let a = try AttributeReader(attributes, allowed: TapFlowInfo.creatable)
        projectID = try a.project(); name = try a.string("name"); description = try a.string("description")
        tapServiceID = try a.required("tap_service_id"); sourcePort = try a.required("source_port"); direction = try a.required("direction")
        vlanFilter = try a.string("vlan_filter", maxLength: 1024)
        traffic = try TrafficFilterFields(a)
    }

    public func encode(to encoder: any Encoder) throws {
        var w = RequestWriter(encoder)
        try w.put("project_id", projectID); try w.put("name", name); try w.put("description", description)
        try w.put("tap_service_id", tapServiceID); try w.put("source_port", sourcePort); try w.put("direction", direction)
        try w.put("vlan_filter", vlanFilter)
        try traffic.put(&w)
    }
}
