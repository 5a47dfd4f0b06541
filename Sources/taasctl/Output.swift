import Foundation
import TaaSWire

/// Prints resources as a table, JSON or YAML.
enum Output {
    /// One row per resource: its fields as JSON values, by name.
    typealias Row = [String: JSONValue]

    static func row<T: Encodable>(_ value: T) throws -> Row { try JSONValue(encoding: value).object ?? [:] }

    static func show(_ items: [Row], columns: [String], format: OutputFormat, single: Bool) {
        switch format {
        case .json:
            let value: JSONValue = single ? .object(items.first ?? [:]) : .array(items.map(JSONValue.object))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self))
        case .yaml:
            for (i, item) in items.enumerated() {
                if single {
                    for k in item.keys.sorted() { print("\(k): \(yaml(item[k]))") }
                } else {
                    for (j, k) in item.keys.sorted().enumerated() { print("\(j == 0 ? "- " : "  ")\(k): \(yaml(item[k]))") }
                }
                if single && i == 0 { break }
            }
        case .table:
            if single, let item = items.first {
                table([["Field", "Value"]] + columns.map { [$0, text(item[$0])] })
            } else {
                table([columns] + items.map { item in columns.map { text(item[$0]) } })
            }
        }
    }

    static func text(_ v: JSONValue?) -> String {
        switch v {
        case .none, .null?: ""
        case .string(let s)?: s
        case .object(let d)?: d.keys.sorted().map { "\($0)=\(text(d[$0]))" }.joined(separator: ", ")
        case .array(let l)?: l.map { text($0) }.joined(separator: ",")
        case .some(let x): x.description
        }
    }

    static func yaml(_ v: JSONValue?) -> String {
        switch v {
        case .none, .null?: "null"
        case .string(let s)?: "\"\(s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
        case .object(let d)?: "{" + d.keys.sorted().map { "\($0): \(yaml(d[$0]))" }.joined(separator: ", ") + "}"
        case .array(let l)?: "[" + l.map { yaml($0) }.joined(separator: ", ") + "]"
        case .some(let x): x.description
        }
    }

    static func table(_ rows: [[String]]) {
        guard let header = rows.first else { return }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        let line = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
        func row(_ r: [String]) -> String {
            "| " + r.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
        }
        print(line)
        print(row(header))
        print(line)
        for r in rows.dropFirst() { print(row(r)) }
        print(line)
    }
}
