import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TaaSWire

/// A client of taasd's Neutron-style API, with TaaSWire's types both ways.
struct APIClient {
    let base: String
    let token: String?

    /// A body-less request; the reply decoded as `Reply`.
    func call<Reply: Decodable>(_ method: String, _ path: String, _ reply: Reply.Type) async throws -> Reply {
        try decode(Reply.self, try await raw(method, path, body: nil), path)
    }

    func call<Body: Encodable, Reply: Decodable>(_ method: String, _ path: String, body: Body, _ reply: Reply.Type) async throws -> Reply {
        try decode(Reply.self, try await raw(method, path, body: try JSONEncoder().encode(body)), path)
    }

    func delete(_ path: String) async throws { _ = try await raw("DELETE", path, body: nil) }

    func decode<Reply: Decodable>(_ type: Reply.Type, _ data: Data, _ path: String) throws -> Reply {
        do { return try JSONDecoder().decode(Reply.self, from: data) } catch {
            throw Failure(description: "taasd's answer to \(path) is not what taasctl expects: \(error)", code: 1)
        }
    }

    /// The reply's bytes; a refusal becomes a `Failure` with Neutron's type and message.
    func raw(_ method: String, _ path: String, body: Data?) async throws -> Data {
        guard let url = URL(string: base.trimmingSuffix("/") + path) else { throw Failure(description: "bad URL \(base)\(path)", code: 64) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue(token, forHTTPHeaderField: "X-Auth-Token") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Failure(description: "cannot reach taasd at \(base): \(error.localizedDescription)", code: 3)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let e = (try? JSONDecoder().decode(NeutronErrorBody.self, from: data))?.error
            throw Failure(description: "\(status) \(e?.type ?? "error"): \(e?.message ?? String(decoding: data, as: UTF8.self))", code: 1)
        }
        return data
    }

    /// Only the ids of a list (name lookups).
    struct Identified: Codable, Sendable { var id: String }

    /// Resolves a name or id to an id: ambiguous names are an error listing the candidates.
    func resolve<R: WireResource>(_ type: R.Type, _ path: String, _ nameOrID: String, what: String) async throws -> String {
        let uuidShape = nameOrID.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12]
        if uuidShape { return nameOrID }
        let encoded = nameOrID.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? nameOrID
        let ids = try await call("GET", "\(path)?name=\(encoded)", Many<R, Identified>.self).values.map(\.id)
        switch ids.count {
        case 1: return ids[0]
        case 0:
            // Ports are named by their iface-id, which need not look like a UUID.
            if (try? await raw("GET", "\(path)/\(encoded)", body: nil)) != nil { return nameOrID }
            throw Failure(description: "no \(what) named \"\(nameOrID)\"", code: 1)
        default: throw Failure(description: "\(ids.count) \(what)s are named \"\(nameOrID)\": \(ids.joined(separator: ", ")); use an id", code: 1)
        }
    }
}

extension String {
    func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }
}
