import Foundation
import Hummingbird
import TaaSPolicy
import TaaSState
import TaaSWire

/// One TaaS resource's part of the policy: what a list, a show, a create, an update and a
/// delete do to the table. `register` gives them Neutron's routes and envelopes.
protocol ResourceController: Sendable {
    associatedtype Info: WritableResource & ResourceView
    var service: PolicyService { get }
    var statuses: StatusBoard { get }

    func list(_ t: PolicyTable, _ caller: Caller) -> [Info]
    func show(_ t: PolicyTable, _ id: ResourceID, _ caller: Caller) throws -> Info
    func create(_ t: inout PolicyTable, _ request: Info.Create, id: ResourceID, _ caller: Caller) throws -> Info
    func update(_ t: inout PolicyTable, _ id: ResourceID, _ change: PolicyTable.Update, _ caller: Caller) throws -> Info
    func delete(_ t: inout PolicyTable, _ id: ResourceID, _ caller: Caller) throws
}

extension ResourceController {
    func register(on router: Router<APIContext>, maxBody: Int) {
        let path = RouterPath("/v2.0/taas/\(Info.plural)")
        let item = RouterPath("/v2.0/taas/\(Info.plural)/:id")
        let known = Set(Info.fields)
        router.get(path) { request, context in
            let query = try ListQuery(request, known: known)
            let caller = context.caller
            let items = await service.read { t in list(t, caller) }
            return Lists.response(Info.self, query, items, request)
        }
        router.get(item) { _, context in
            let id = try Self.id(context)
            let caller = context.caller
            let one = try await service.read { t in try show(t, id, caller) }
            return JSON.encoded(.ok, One<Info, Info>(one))
        }
        router.post(path) { request, context in
            let (requests, bulk) = try Self.creates(try await JSON.object(request, limit: maxBody))
            let caller = context.caller
            // A bulk create applies all or nothing: one transaction.
            let created = try await service.mutate { t, ids in
                try requests.map { r in try create(&t, r, id: ids.next(), caller) }
            }
            return bulk ? JSON.encoded(.created, Many<Info, Info>(created)) : JSON.encoded(.created, One<Info, Info>(created[0]))
        }
        router.put(item) { request, context in
            let id = try Self.id(context)
            let body = try await JSON.object(request, limit: maxBody)
            guard let values = body[Info.singular]?.object, body.count == 1 else {
                throw APIError.badRequest("expected {\"\(Info.singular)\": {…}}")
            }
            let u = try APIError.checking { () throws(WireError) in try ResourceUpdate<Info>(attributes: values) }
            let change = PolicyTable.Update(name: u.name, description: u.description, snaplen: u.snaplen,
                                            rateLimit: .init(maxKbps: u.maxKbps, maxBurstKbps: u.maxBurstKbps, maxKpps: u.maxKpps))
            let caller = context.caller
            let updated = try await service.mutate { t, _ in try update(&t, id, change, caller) }
            return JSON.encoded(.ok, One<Info, Info>(updated))
        }
        router.delete(item) { _, context in
            let id = try Self.id(context)
            let caller = context.caller
            try await service.mutate { t, _ in try delete(&t, id, caller) }
            return Response(status: .noContent)
        }
    }

    /// `{"tap_service": {…}}` or, in bulk, `{"tap_services": [{…}, …]}`, each read with Neutron's checks.
    static func creates(_ body: [String: JSONValue]) throws -> (requests: [Info.Create], bulk: Bool) {
        let raw: [[String: JSONValue]], bulk: Bool
        if let one = body[Info.singular]?.object, body.count == 1 {
            raw = [one]; bulk = false
        } else if let list = body[Info.plural]?.array, body.count == 1, !list.isEmpty, case let many = list.compactMap(\.object),
                  many.count == list.count {
            raw = many; bulk = true
        } else {
            throw APIError.badRequest("expected {\"\(Info.singular)\": {…}} or {\"\(Info.plural)\": [{…}, …]}")
        }
        return (try raw.map { a in try APIError.checking { () throws(WireError) in try Info.Create(attributes: a) } }, bulk)
    }

    static func id(_ context: APIContext) throws -> ResourceID {
        let text = context.parameters.get("id") ?? ""
        guard let id = ResourceID(text) else { throw APIError.badRequest("'\(text)' is not a valid UUID") }
        return id
    }
}

/// A list response: the page, and a `next` link when more follow.
enum Lists {
    static func response<R: WireResource & ResourceView>(_ type: R.Type, _ query: ListQuery, _ items: [R], _ request: Request) -> Response {
        let (page, next) = query.apply(items)
        var links: [Link]?
        if let next, let limit = query.limit {
            links = [Link(rel: "next", href: "\(request.uri.path)?limit=\(limit)&marker=\(next)")]
        }
        return JSON.encoded(.ok, Many<R, R>(page, links: links), only: query.only)
    }
}

extension APIError {
    /// A request Neutron would refuse: 400 with its message.
    static func checking<T>(_ body: () throws(WireError) -> T) throws(APIError) -> T {
        do { return try body() } catch { throw APIError.badRequest(error.message) }
    }
}

extension RateLimitFields {
    /// On create, an absent or null limit is no limit.
    var change: RateLimit.Change {
        RateLimit.Change(maxKbps: maxKbps.map { .some($0) }, maxBurstKbps: maxBurstKbps.map { .some($0) }, maxKpps: maxKpps.map { .some($0) })
    }
}
