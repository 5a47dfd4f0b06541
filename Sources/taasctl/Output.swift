import Foundation

/// Prints resources as a table, JSON or YAML.
enum Output {
    static func show(_ items: [[String: Any]], columns: [String], format: OutputFormat, single: Bool) {
        switch format {
        case .json:
            let object: Any = single ? (items.first ?? [:]) : items
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
            print(String(decoding: data, as: UTF8.self))
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

    static func text(_ v: Any?) -> String {
        switch v {
        case .none, is NSNull: return ""
        case let s as String: return s
        case let d as [String: Any]: return d.keys.sorted().map { "\($0)=\(text(d[$0]))" }.joined(separator: ", ")
        case let l as [Any]: return l.map { text($0) }.joined(separator: ",")
        case .some(let x): return "\(x)"
        }
    }

    static func yaml(_ v: Any?) -> String {
        switch v {
        case .none, is NSNull: return "null"
        case let s as String: return "\"\(s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
        case let d as [String: Any]: return "{" + d.keys.sorted().map { "\($0): \(yaml(d[$0]))" }.joined(separator: ", ") + "}"
        case let l as [Any]: return "[" + l.map { yaml($0) }.joined(separator: ", ") + "]"
        case .some(let x): return "\(x)"
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
