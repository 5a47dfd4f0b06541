/// Reads one request's attributes with Neutron's conversions and messages (neutron-lib's
/// `convert_to_int` takes "101" as 101; a string is never a number's stand-in elsewhere).
struct AttributeReader {
    let values: [String: JSONValue]

    /// Refuses attributes outside `allowed`, naming them all.
    init(_ values: [String: JSONValue], allowed: Set<String>) throws(WireError) {
        let unknown = values.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty { throw WireError("Unrecognized attribute(s) '\(unknown.joined(separator: ", "))'") }
        self.values = values
    }

    func has(_ key: String) -> Bool { values[key] != nil }

    func string(_ key: String, required: Bool = false, maxLength: Int = 255) throws(WireError) -> String? {
        guard let raw = values[key], !raw.isNull else {
            if required { throw WireError("Failed to parse request. Required attribute '\(key)' not specified") }
            return nil
        }
        guard let s = raw.string else { throw WireError("Invalid input for \(key). Reason: '\(raw)' is not a valid string.") }
        guard s.count <= maxLength else {
            throw WireError("Invalid input for \(key). Reason: '\(s.prefix(20))…' exceeds maximum length of \(maxLength).")
        }
        return s
    }

    func required(_ key: String, maxLength: Int = 255) throws(WireError) -> String {
        try string(key, required: true, maxLength: maxLength) ?? ""
    }

    /// `project_id` or its alias `tenant_id`.
    func project() throws(WireError) -> String? {
        let p = try string("project_id"), t = try string("tenant_id")
        if let p, let t, p != t { throw WireError("project_id and tenant_id differ") }
        return p ?? t
    }

    /// An integer, or a numeric string as Neutron's `int()` converts it; nil when absent or null.
    func lenientInt(_ key: String) throws(WireError) -> Int? {
        guard let raw = values[key], !raw.isNull else { return nil }
        if let n = raw.int { return n }
        if let s = raw.string, let n = Int(s) { return n }
        throw WireError("Invalid input for \(key). Reason: '\(raw)' is not an integer.")
    }

    /// nil: not given; `.some(nil)`: null; else a JSON integer.
    func clearableInt(_ key: String) throws(WireError) -> Int?? {
        guard let raw = values[key] else { return nil }
        if raw.isNull { return .some(nil) }
        guard let n = raw.int else { throw WireError("Invalid input for \(key). Reason: '\(raw)' is not an integer.") }
        return .some(n)
    }

    /// A JSON integer, nil when absent or null.
    func int(_ key: String) throws(WireError) -> Int? { try clearableInt(key) ?? nil }
}
