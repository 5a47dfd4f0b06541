import Foundation

/// A tap mirror as the API shows it.
public struct TapMirrorInfo: WritableResource, Hashable {
    public typealias Create = TapMirrorCreate
    public static let singular = "tap_mirror", plural = "tap_mirrors"
    public static let fields = ["id", "tenant_id", "project_id", "name", "description", "port_id", "directions", "remote_ip", "mirror_type",
                                "snaplen"] + RateLimitFields.names + ["status", "status_reason"]
    public static let creatable: Set<String> = Set(["name", "description", "port_id", "directions", "remote_ip", "mirror_type", "snaplen",
                                                    "project_id", "tenant_id"] + RateLimitFields.names)
    public static let updatable: Set<String> = Set(["name", "description", "snaplen"] + RateLimitFields.names)

    public var id: String
    public var projectID: String
    public var name: String
    public var description: String
    public var portID: String
    /// Tunnel key per direction (IN, OUT, BOTH).
    public var directions: [String: Int]
    public var remoteIP: String
    /// erspanv1 or gre.
    public var mirrorType: String
    public var snaplen: Int?
    public var rateLimit: RateLimitFields
    public var status: String
    public var statusReason: String?

    public init(id: String, projectID: String, name: String, description: String, portID: String, directions: [String: Int],
                remoteIP: String, mirrorType: String, snaplen: Int?, rateLimit: RateLimitFields, status: String, statusReason: String?) {
        self.id = id; self.projectID = projectID; self.name = name; self.description = description; self.portID = portID
        self.directions = directions; self.remoteIP = remoteIP; self.mirrorType = mirrorType; self.snaplen = snaplen
        self.rateLimit = rateLimit; self.status = status; self.statusReason = statusReason
    }

    public init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        (id, projectID, name, description) = try r.head()
        portID = try r.text("port_id"); directions = try r.get("directions") ?? [:]
        remoteIP = try r.text("remote_ip"); mirrorType = try r.text("mirror_type"); snaplen = try r.get("snaplen")
        rateLimit = try RateLimitFields(r); status = try r.text("status"); statusReason = try r.get("status_reason")
    }

    public func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try w.putHead(id: id, projectID: projectID, name: name, description: description)
        try w.put("port_id", portID); try w.put("directions", directions); try w.put("remote_ip", remoteIP)
        try w.put("mirror_type", mirrorType); try w.put("snaplen", snaplen)
        try rateLimit.put(&w)
        try w.putStatus(status, statusReason)
    }
}

/// `POST /v2.0/taas/tap_mirrors`: a port's traffic to a remote analyzer over GRE or ERSPAN v1.
public struct TapMirrorCreate: CreateRequest, Hashable {
    public typealias Resource = TapMirrorInfo
    public var projectID: String?
    public var name: String?
    public var description: String?
    public var portID: String
    /// Tunnel key per direction: IN, OUT or BOTH to 0…4294967295.
    public var directions: [String: Int]
    public var remoteIP: String
    /// erspanv1 or gre; the API names the choices when it is neither.
    public var mirrorType: String
    public var snaplen: Int?
    public var rateLimit: RateLimitFields

    public static let directionNames: Set<String> = ["IN", "OUT", "BOTH"]

    public init(portID: String, directions: [String: Int], remoteIP: String, mirrorType: String, name: String? = nil,
                description: String? = nil, projectID: String? = nil, snaplen: Int? = nil, rateLimit: RateLimitFields = RateLimitFields()) {
        self.portID = portID; self.directions = directions; self.remoteIP = remoteIP; self.mirrorType = mirrorType; self.name = name
        self.description = description; self.projectID = projectID; self.snaplen = snaplen; self.rateLimit = rateLimit
    }

    public init(attributes: [String: JSONValue]) throws(WireError) {
        let a = try AttributeReader(attributes, allowed: TapMirrorInfo.creatable)
        projectID = try a.project(); name = try a.string("name"); description = try a.string("description")
        portID = try a.required("port_id")
        directions = try Self.directions(a)
        remoteIP = try a.required("remote_ip"); mirrorType = try a.required("mirror_type")
        snaplen = try a.int("snaplen")
        rateLimit = try RateLimitFields(a)
    }

    static func directions(_ a: AttributeReader) throws(WireError) -> [String: Int] {
        guard let raw = a.values["directions"]?.object else {
            throw WireError("Invalid input for directions. Reason: expected an object such as {\"IN\": 101, \"OUT\": 102}.")
        }
        var out: [String: Int] = [:]
        for (k, v) in raw.sorted(by: { $0.key < $1.key }) {
            guard directionNames.contains(k) else { throw WireError("Invalid input for directions. Reason: '\(k)' is not IN, OUT or BOTH.") }
            // neutron-lib's type:integer also takes an integer as a string, which the stock CLI's
            // key=value form sends (`--directions IN=101`).
            let number = v.int ?? v.string.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let n = number, n >= 0, n <= Int(UInt32.max) else {
                throw WireError("Invalid input for directions. Reason: the key of \(k) must be an integer from 0 to 4294967295.")
            }
            out[k] = n
        }
        return out
    }

    public func encode(to encoder: any Encoder) throws {
        var w = RequestWriter(encoder)
        try w.put("project_id", projectID); try w.put("name", name); try w.put("description", description)
        try w.put("port_id", portID); try w.put("directions", directions); try w.put("remote_ip", remoteIP)
        try w.put("mirror_type", mirrorType); try w.put("snaplen", snaplen)
        try rateLimit.put(&w)
    }
}
