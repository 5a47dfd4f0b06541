import Foundation

/// Enough of JSON Schema 2020-12 to check API bodies against the OpenAPI document: $ref, type,
/// properties, required, additionalProperties: false, enum, items, minItems, minProperties,
/// oneOf, anyOf, minimum, maximum, maxLength, pattern, format uuid. Returns the problems found.
struct SchemaValidator {
    let document: [String: Any]

    func problems(_ value: Any, _ schema: [String: Any], at path: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String {
            guard let target = resolve(ref) else { return ["\(path): unresolvable \(ref)"] }
            return problems(value, target, at: path)
        }
        var out: [String] = []
        if let t = schema["type"] {
            let types = (t as? [String]) ?? [t as? String ?? ""]
            if !types.contains(where: { Self.isType(value, $0) }) { return ["\(path): \(Self.describe(value)) is not of type \(types)"] }
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal($0, value) }) {
            out.append("\(path): \(value) is not one of \(options)")
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for r in schema["required"] as? [String] ?? [] where object[r] == nil { out.append("\(path): missing \(r)") }
            if let extra = schema["additionalProperties"] as? Bool, !extra {
                for k in object.keys where properties[k] == nil { out.append("\(path): unexpected property \(k)") }
            }
            for (k, v) in object {
                if let s = properties[k] as? [String: Any] { out += problems(v, s, at: "\(path).\(k)") }
            }
            if let n = schema["minProperties"] as? Int, object.count < n { out.append("\(path): fewer than \(n) properties") }
        }
        if let array = value as? [Any] {
            if let items = schema["items"] as? [String: Any] {
                for (i, v) in array.enumerated() { out += problems(v, items, at: "\(path)[\(i)]") }
            }
            if let n = schema["minItems"] as? Int, array.count < n { out.append("\(path): fewer than \(n) items") }
        }
        if let s = value as? String {
            if let n = schema["maxLength"] as? Int, s.count > n { out.append("\(path): longer than \(n)") }
            if let p = schema["pattern"] as? String, s.range(of: p, options: .regularExpression) == nil {
                out.append("\(path): '\(s)' does not match \(p)")
            }
            if schema["format"] as? String == "uuid", UUID(uuidString: s) == nil { out.append("\(path): '\(s)' is not a UUID") }
        }
        if let n = value as? Int, !Self.isBool(value) {
            if let min = schema["minimum"] as? Int, n < min { out.append("\(path): \(n) < \(min)") }
            if let max = schema["maximum"] as? Int, n > max { out.append("\(path): \(n) > \(max)") }
        }
        if let options = schema["oneOf"] as? [[String: Any]] {
            let matching = options.filter { problems(value, $0, at: path).isEmpty }.count
            if matching != 1 { out.append("\(path): matches \(matching) of oneOf, not exactly one") }
        }
        if let options = schema["anyOf"] as? [[String: Any]], !options.contains(where: { problems(value, $0, at: path).isEmpty }) {
            out.append("\(path): matches none of anyOf")
        }
        return out
    }

    func resolve(_ ref: String) -> [String: Any]? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: Any = document
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = (node as? [String: Any])?[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    static func isType(_ v: Any, _ t: String) -> Bool {
        switch t {
        case "object": return v is [String: Any]
        case "array": return v is [Any]
        case "string": return v is String
        case "null": return v is NSNull
        case "boolean": return isBool(v)
        case "integer": return !isBool(v) && (v as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false
        case "number": return !isBool(v) && v is NSNumber
        default: return false
        }
    }

    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"  // how Foundation boxes a parsed true/false
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (x as String, y as String): return x == y
        case let (x as NSNumber, y as NSNumber): return x == y
        default: return false
        }
    }

    static func describe(_ v: Any) -> String {
        let d = "\(v)"
        return d.count > 60 ? String(d.prefix(60)) + "…" : d
    }
}
