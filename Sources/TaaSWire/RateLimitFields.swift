/// Rate limit attributes of tap services and tap mirrors, with Neutron QoS's names.
public struct RateLimitFields: Codable, Sendable, Hashable {
    public var maxKbps: Int?
    public var maxBurstKbps: Int?
    public var maxKpps: Int?

    public static let names = ["max_kbps", "max_burst_kbps", "max_kpps"]

    public init(maxKbps: Int? = nil, maxBurstKbps: Int? = nil, maxKpps: Int? = nil) {
        self.maxKbps = maxKbps; self.maxBurstKbps = maxBurstKbps; self.maxKpps = maxKpps
    }

    init(_ r: FieldReader) throws {
        maxKbps = try r.get("max_kbps"); maxBurstKbps = try r.get("max_burst_kbps"); maxKpps = try r.get("max_kpps")
    }

    func put(_ w: inout FieldWriter) throws {
        try w.put("max_kbps", maxKbps); try w.put("max_burst_kbps", maxBurstKbps); try w.put("max_kpps", maxKpps)
    }

    /// In a request: only the limits set.
    func put(_ w: inout RequestWriter) throws {
        try w.put("max_kbps", maxKbps); try w.put("max_burst_kbps", maxBurstKbps); try w.put("max_kpps", maxKpps)
    }

    /// As a create reads them: integers or null.
    init(_ a: AttributeReader) throws(WireError) {
        self.init(maxKbps: try a.int("max_kbps"), maxBurstKbps: try a.int("max_burst_kbps"), maxKpps: try a.int("max_kpps"))
    }

    /// A field's text for list filters ("" when unset); nil: not a rate field.
    public func text(_ field: String) -> String? {
        switch field {
        case "max_kbps": maxKbps.map { String($0) } ?? ""
        case "max_burst_kbps": maxBurstKbps.map { String($0) } ?? ""
        case "max_kpps": maxKpps.map { String($0) } ?? ""
        default: nil
        }
    }
}
