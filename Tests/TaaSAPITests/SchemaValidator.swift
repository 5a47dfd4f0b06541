import Foundation
import TaaSWire

/// Enough of JSON Schema 2020-12 to check API bodies against the OpenAPI document: $ref, type,
/// properties, required, additionalProperties: false, enum, items, minItems, minProperties,
/// oneOf, anyOf, minimum, maximum, maxLength, pattern, format uuid. Returns the problems found.
struct SchemaValidator {
    let document: JSONValue

    func problems(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        if let ref = schema["$ref"]?.string {
            guard let target = resolve(ref) else { return ["\(path): unresolvable \(ref)"] }
            return problems(value, target, at: path)
        }
        var out: [String] = []
        if let t = schema["type"] {
            let types = t.array?.compactMap(\.string) ?? [t.string ?? ""]
            if !types.contains(where: { Self.isType(value, $0) }) { return ["\(path): \(Self.describe(value)) is not of type \(types)"] }
        }
        if let options = schema["enum"]?.array, !options.contains(value) {
            out.append("\(path): \(value) is not one of \(options)")
        }
        if let object = value.object {
            let properties = schema["properties"]?.object ?? [:]
            for r in schema["required"]?.array?.compactMap(\.string) ?? [] where object[r] == nil { out.append("\(path): missing \(r)") }
            if schema["additionalProperties"] == false {
                for k in object.keys where properties[k] == nil { out.append("\(path): unexpected property \(k)") }
            }
            for (k, v) in object {
                if let s = properties[k] { out += problems(v, s, at: "\(path).\(k)") }
            }
            if let n = schema["minProperties"]?.int, object.count < n { out.append("\(path): fewer than \(n) properties") }
        }
        if let array = value.array {
            if let items = schema["items"] {
                for (i, v) in array.enumerated() { out += problems(v, items, at: "\(path)[\(i)]") }
            }
            if let n = schema["minItems"]?.int, array.count < n { out.append("\(path): fewer than \(n) items") }
        }
        if let s = value.string {
            if let n = schema["maxLength"]?.int, s.count > n { out.append("\(path): longer than \(n)") }
            if let p = schema["pattern"]?.string, s.range(of: p, options: .regularExpression) == nil {
                out.append("\(path): '\(s)' does not match \(p)")
            }
            if schema["format"] == "uuid", UUID(uuidString: s) == nil { out.append("\(path): '\(s)' is not a UUID") }
        }
        if let n = value.int {
            if let min = schema["minimum"]?.int, n < min { out.append("\(path): \(n) < \(min)") }
            if let max = schema["maximum"]?.int, n > max { out.append("\(path): \(n) > \(max)") }
        }
        if let options = schema["oneOf"]?.array {
            let matching = options.filter { problems(value, $0, at: path).isEmpty }.count
            if matching != 1 { out.append("\(path): matches \(matching) of oneOf, not exactly one") }
        }
        if let options = schema["anyOf"]?.array, !options.contains(where: { problems(value, $0, at: path).isEmpty }) {
            out.append("\(path): matches none of anyOf")
        }
        return out
    }

    func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node = document
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = node[String(part)] else { return nil }
            node = next
        }
        return node
    }

    /// JSON's types as parsed: true is a boolean, never an integer; 2.0 is a number.
    static func isType(_ v: JSONValue, _ t: String) -> Bool {
        switch (t, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("null", .null), ("boolean", .bool), ("integer", .int),
             ("number", .int), ("number", .number): true
        default: false
        }
    }

    static func describe(_ v: JSONValue) -> String {
        let d = "\(v)"
        return d.count > 60 ? String(d.prefix(60)) + "…" : d
    }
}
