import Foundation
import Hummingbird
import TaaSPolicy
import TaaSState

/// Create (one or bulk), list, show, update and delete of one TaaS resource, with Neutron's envelopes.
struct ResourceRoutes<View: ResourceView>: Sendable {
    typealias Create = @Sendable (inout PolicyTable, Attributes, Caller, inout SystemRandomNumberGenerator) throws -> View
    typealias Update = @Sendable (inout PolicyTable, ResourceID, PolicyTable.Update, Caller) throws -> View

    let plural: String
    let singular: String
    let service: PolicyService
    let maxBody: Int
    let fields: Set<String>
    let list: @Sendable (PolicyTable, Caller) -> [View]
    let show: @Sendable (PolicyTable, ResourceID, Caller) throws -> View
    let create: Create
    let createAllowed: Set<String>
    /// What a PUT may change (TaaS: name and description).
    var updateAllowed: Set<String> = ["name", "description"]
    let update: Update
    let delete: @Sendable (inout PolicyTable, ResourceID, Caller) throws -> Void

    func register(on router: Router<APIContext>) {
        let path = RouterPath("/v2.0/taas/\(plural)")
        let item = RouterPath("/v2.0/taas/\(plural)/:id")
        router.get(path) { request, context in
            let query = try ListQuery(request, known: fields)
            let caller = context.caller
            let items = await service.read { t in list(t, caller) }
            return Self.listResponse(plural, query, items, request)
        }
        router.get(item) { _, context in
            let id = try Self.id(context)
            let caller = context.caller
            let one = try await service.read { t in try show(t, id, caller) }
            return JSON.encoded(.ok, Envelope(key: singular, value: one))
        }
        router.post(path) { request, context in
            let body = try await JSON.object(request, limit: maxBody)
            let caller = context.caller
            let bulk: Bool
            var raw: [[String: JSONValue]]
            if let one = body[singular]?.object, body.count == 1 {
                raw = [one]; bulk = false
            } else if let list = body[plural]?.array, body.count == 1, !list.isEmpty, case let many = list.compactMap(\.object),
                      many.count == list.count {
                raw = many; bulk = true
            } else {
                throw APIError.badRequest("expected {\"\(singular)\": {…}} or {\"\(plural)\": [{…}, …]}")
            }
            let attributes = try raw.map { try Attributes(singular, $0, allowed: createAllowed) }
            // A bulk create applies all or nothing: one transaction.
            let created = try await service.mutate { t, rng in try attributes.map { a in try create(&t, a, caller, &rng) } }
            return bulk ? JSON.encoded(.created, Envelope(key: plural, value: created)) : JSON.encoded(.created, Envelope(key: singular, value: created[0]))
        }
        router.put(item) { request, context in
            let id = try Self.id(context)
            let body = try await JSON.object(request, limit: maxBody)
            guard let values = body[singular]?.object, body.count == 1 else {
                throw APIError.badRequest("expected {\"\(singular)\": {…}}")
            }
            let readOnly = values.keys.filter { !updateAllowed.contains($0) }.sorted()
            if let first = readOnly.first {
                throw APIError.badRequest(fields.contains(first) ? "Cannot update read-only attribute \(first)"
                                                                 : "Unrecognized attribute(s) '\(readOnly.joined(separator: ", "))'")
            }
            let a = try Attributes(singular, values, allowed: updateAllowed)
            let change = PolicyTable.Update(name: try a.string("name"), description: try a.string("description"), snaplen: try a.snaplen(),
                                            rateLimit: try a.rateLimit())
            let caller = context.caller
            let updated = try await service.mutate { t, _ in try update(&t, id, change, caller) }
            return JSON.encoded(.ok, Envelope(key: singular, value: updated))
        }
        router.delete(item) { _, context in
            let id = try Self.id(context)
            let caller = context.caller
            try await service.mutate { t, _ in try delete(&t, id, caller) }
            return Response(status: .noContent)
        }
    }

    static func id(_ context: APIContext) throws -> ResourceID {
        let text = context.parameters.get("id") ?? ""
        guard let id = ResourceID(text) else { throw APIError.badRequest("'\(text)' is not a valid UUID") }
        return id
    }

    static func listResponse(_ plural: String, _ query: ListQuery, _ items: [View], _ request: Request) -> Response {
        Lists.response(plural, query, items, request)
    }
}

/// A list response: the page, and a `next` link when more follow.
enum Lists {
    static func response<V: ResourceView>(_ plural: String, _ query: ListQuery, _ items: [V], _ request: Request) -> Response {
        let (page, next) = query.apply(items)
        var links: [[String: String]]?
        if let next, let limit = query.limit {
            links = [["rel": "next", "href": "\(request.uri.path)?limit=\(limit)&marker=\(next)"]]
        }
        return JSON.encoded(.ok, Envelope(key: plural, value: page, links: links), only: query.only)
    }
}

extension Attributes {
    /// `project_id` or its alias `tenant_id`.
    func project() throws -> String? {
        let p = try string("project_id"), t = try string("tenant_id")
        if let p, let t, p != t { throw APIError.badRequest("project_id and tenant_id differ") }
        return p ?? t
    }

    func id(_ key: String) throws -> ResourceID {
        let text = try string(key, required: true) ?? ""
        guard let id = ResourceID(text) else { throw APIError.badRequest("Invalid input for \(key). Reason: '\(text)' is not a valid UUID.") }
        return id
    }

    func direction() throws -> Direction {
        let text = try string("direction", required: true) ?? ""
        guard let d = Direction(rawValue: text) else {
            throw APIError.badRequest("Invalid input for direction. Reason: '\(text)' is not in ['IN', 'OUT', 'BOTH'].")
        }
        return d
    }

    func vlanFilter() throws -> VLANFilter? {
        guard let text = try string("vlan_filter", maxLength: 1024) else { return nil }
        do { return try VLANFilter(parsing: text) } catch {
            throw APIError.badRequest("Invalid input for vlan_filter. Reason: \(error.description).")
        }
    }

    /// A tap flow's traffic filter (nil: no field given), checked by the policy's rules.
    func trafficFilter() throws -> TrafficFilter? {
        func int(_ key: String) throws -> Int? {
            guard let raw = values[key], !raw.isNull else { return nil }
            // Neutron converts with int(): numbers and numeric strings.
            if let n = raw.int { return n }
            if let s = raw.string, let n = Int(s) { return n }
            throw APIError.badRequest("Invalid input for \(key). Reason: '\(raw)' is not an integer.")
        }
        var proto: String?
        if let raw = values["protocol"], !raw.isNull {
            if let n = raw.int { proto = String(n) } else { proto = try string("protocol", maxLength: 40) }
        }
        return try TrafficFilter.make(.init(
            ethertype: try string("ethertype", maxLength: 40), protocol: proto,
            sourceIPPrefix: try string("source_ip_prefix", maxLength: 64), destinationIPPrefix: try string("destination_ip_prefix", maxLength: 64),
            sourcePortMin: try int("source_port_range_min"), sourcePortMax: try int("source_port_range_max"),
            destinationPortMin: try int("destination_port_range_min"), destinationPortMax: try int("destination_port_range_max")))
    }

    /// Rate limit attributes: each nil when not given, `.some(nil)` when null; checked by the policy.
    func rateLimit() throws -> RateLimit.Change {
        func int(_ key: String) throws -> Int?? {
            guard let raw = values[key] else { return nil }
            if raw.isNull { return .some(nil) }
            guard let n = raw.int else { throw APIError.badRequest("Invalid input for \(key). Reason: '\(raw)' is not an integer.") }
            return .some(n)
        }
        return RateLimit.Change(maxKbps: try int("max_kbps"), maxBurstKbps: try int("max_burst_kbps"), maxKpps: try int("max_kpps"))
    }

    /// A tap service's tool ports: `port_ids` (a non-empty list, its first equal to `port_id` when
    /// both are given) or `port_id` alone. Checked further (count, repeats) by the policy.
    func toolPorts() throws -> [String] {
        guard let raw = values["port_ids"], !raw.isNull else { return [try string("port_id", required: true) ?? ""] }
        guard let list = raw.array, !list.isEmpty else {
            throw APIError.badRequest("Invalid input for port_ids. Reason: '\(raw)' is not a non-empty list of port ids.")
        }
        let ports = try list.map { item -> String in
            guard let s = item.string, !s.isEmpty, s.count <= 255 else {
                throw APIError.badRequest("Invalid input for port_ids. Reason: '\(item)' is not a valid port id.")
            }
            return s
        }
        if let first = try string("port_id"), first != ports[0] {
            throw APIError.badRequest("Invalid input for port_id. Reason: '\(first)' is not the first of port_ids ('\(ports[0])').")
        }
        return ports
    }

    /// nil: not given; `.some(nil)`: null (whole frames); else the number, checked by the policy.
    func snaplen() throws -> Int?? {
        guard let raw = values["snaplen"] else { return nil }
        if raw.isNull { return .some(nil) }
        guard let n = raw.int else {
            throw APIError.badRequest("Invalid input for snaplen. Reason: '\(raw)' is not an integer.")
        }
        return .some(n)
    }

    func mirrorType() throws -> TapMirror.MirrorType {
        let text = try string("mirror_type", required: true) ?? ""
        guard let t = TapMirror.MirrorType(rawValue: text) else {
            throw APIError.badRequest("Invalid input for mirror_type. Reason: '\(text)' is not in ['erspanv1', 'gre'].")
        }
        return t
    }

    func directions() throws -> [Direction: UInt32] {
        guard let raw = values["directions"]?.object else {
            throw APIError.badRequest("Invalid input for directions. Reason: expected an object such as {\"IN\": 101, \"OUT\": 102}.")
        }
        var out: [Direction: UInt32] = [:]
        for (k, v) in raw {
            guard let d = Direction(rawValue: k) else { throw APIError.badRequest("Invalid input for directions. Reason: '\(k)' is not IN, OUT or BOTH.") }
            // neutron-lib's type:integer also takes an integer as a string, which the stock CLI's
            // key=value form sends (`--directions IN=101`).
            let number = v.int ?? v.string.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let n = number, n >= 0, n <= Int(UInt32.max) else {
                throw APIError.badRequest("Invalid input for directions. Reason: the key of \(k) must be an integer from 0 to 4294967295.")
            }
            out[d] = UInt32(n)
        }
        return out
    }
}
