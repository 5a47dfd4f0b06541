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
        var keys: [String] = []
        var dirs: [String] = []
        for (key, value) in Self.parameters(request.uri.query ?? "") {
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
        // A sort_dir with no sort_key orders by id.
        if keys.isEmpty && dirs.count == 1 { keys = ["id"] }
        guard dirs.count <= keys.count, dirs.allSatisfy({ $0 == "asc" || $0 == "desc" }) else {
            throw APIError.badRequest("sort_dir must be asc or desc, one per sort_key")
        }
        sortKeys = keys.enumerated().map { ($1, $0 < dirs.count ? dirs[$0] == "asc" : true) }
    }

    /// A query string's parameters, names and values decoded alike, as a form is (`+` is a space,
    /// as Python's requests encodes one; `%2B` a plus): `?binding%3Ahost_id=x` names
    /// `binding:host_id`.
    static func parameters(_ query: String) -> [(String, String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
        }
    }

    /// Filters, sorts and pages `items`; returns the page and, when more follow, the next marker.
    /// (`fields` is applied when the page is encoded.)
    func apply<V: ResourceView>(_ items: [V]) -> (page: [V], next: String?) {
        var out = items.filter { item in filters.allSatisfy { key, values in values.contains(item.text(key) ?? "") } }
        if !sortKeys.isEmpty {
            let keys = sortKeys + [("id", true)]
            out.sort { a, b in
                for (k, asc) in keys {
                    let x = a.text(k) ?? "", y = b.text(k) ?? ""
                    if x != y { return asc ? x < y : x > y }
                }
                return false
            }
        } else {
            out.sort { $0.id < $1.id }
        }
        if let marker, let i = out.firstIndex(where: { $0.id == marker }) { out = Array(out[(i + 1)...]) }
        var next: String?
        if let limit, out.count > limit {
            out = Array(out.prefix(limit))
            next = out.last?.id
        }
        return (out, next)
    }

    /// The fields a response keeps, if `fields=` was given.
    var only: Set<String>? { fields.isEmpty ? nil : Set(fields) }
}
