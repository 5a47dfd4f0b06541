import Foundation
import Hummingbird

/// Neutron's list conventions: filters by any field, `fields=`, `sort_key`/`sort_dir`,
/// `limit`/`marker` with a `next` link.
struct ListQuery {
    var filters: [String: [String]] = [:]
    var fields: [String] = []
    var sortKeys: [(String, Bool)] = []  // key, ascending
    var limit: Int?
    var marker: String?

    static let reserved: Set<String> = ["fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse"]

    init(_ request: Request, known: Set<String>) throws {
        let q = request.uri.queryParameters
        var keys: [String] = []
        var dirs: [String] = []
        for (k, v) in q {
            let key = String(k), value = String(v).removingPercentEncoding ?? String(v)
            switch key {
            case "fields": fields.append(value)
            case "sort_key": keys.append(value)
            case "sort_dir": dirs.append(value)
            case "limit":
                guard let n = Int(value), n >= 0 else { throw APIError.badRequest("Invalid input for limit. Reason: '\(value)' is not a non-negative integer.") }
                limit = n == 0 ? nil : n
            case "marker": marker = value
            case "page_reverse": break
            default:
                guard known.contains(key) else { throw APIError.badRequest("\(key) is not a known field to filter on") }
                filters[key, default: []].append(value)
            }
        }
        for k in keys where !known.contains(k) { throw APIError.badRequest("sort_key \(k) is not a known field") }
        guard dirs.count <= keys.count, dirs.allSatisfy({ $0 == "asc" || $0 == "desc" }) else {
            throw APIError.badRequest("sort_dir must be asc or desc, one per sort_key")
        }
        sortKeys = keys.enumerated().map { ($1, $0 < dirs.count ? dirs[$0] == "asc" : true) }
    }

    /// Filters, sorts, pages and trims `items`; returns the page and, when more follow, the next marker.
    func apply(_ items: [[String: Any]]) -> (page: [[String: Any]], next: String?) {
        func text(_ v: Any?) -> String {
            switch v {
            case let s as String: return s
            case let n as Int: return String(n)
            case let b as Bool: return b ? "True" : "False"
            case .none, is NSNull: return ""
            case .some(let other): return "\(other)"
            }
        }
        var out = items.filter { item in filters.allSatisfy { key, values in values.contains(text(item[key])) } }
        let keys = sortKeys.isEmpty ? [("id", true)] : sortKeys + [("id", true)]
        out.sort { a, b in
            for (k, asc) in keys {
                let x = text(a[k]), y = text(b[k])
                if x != y { return asc ? x < y : x > y }
            }
            return false
        }
        if let marker, let i = out.firstIndex(where: { text($0["id"]) == marker }) { out = Array(out[(i + 1)...]) }
        var next: String?
        if let limit, out.count > limit {
            out = Array(out.prefix(limit))
            next = text(out.last?["id"])
        }
        if !fields.isEmpty {
            out = out.map { item in item.filter { fields.contains($0.key) } }
        }
        return (out, next)
    }
}
