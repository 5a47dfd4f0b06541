import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small JSON client for taasd's Neutron-style API.
struct APIClient {
    let base: String
    let token: String?

    func call(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> [String: Any] {
        guard let url = URL(string: base.trimmingSuffix("/") + path) else { throw Failure(description: "bad URL \(base)\(path)", code: 64) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue(token, forHTTPHeaderField: "X-Auth-Token") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Failure(description: "cannot reach taasd at \(base): \(error.localizedDescription)", code: 3)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (200..<300).contains(status) else {
            let e = object["NeutronError"] as? [String: Any]
            throw Failure(description: "\(status) \(e?["type"] as? String ?? "error"): \(e?["message"] as? String ?? String(decoding: data, as: UTF8.self))",
                          code: 1)
        }
        return object
    }

    /// Resolves a name or id to an id: ambiguous names are an error listing the candidates.
    func resolve(_ plural: String, _ path: String, _ nameOrID: String, what: String) async throws -> String {
        let uuidShape = nameOrID.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12]
        if uuidShape { return nameOrID }
        let encoded = nameOrID.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? nameOrID
        let list = try await call("GET", "\(path)?name=\(encoded)")[plural] as? [[String: Any]] ?? []
        let ids = list.compactMap { $0["id"] as? String }
        switch ids.count {
        case 1: return ids[0]
        case 0:
            // Ports are named by their iface-id, which need not look like a UUID.
            if (try? await call("GET", "\(path)/\(encoded)")) != nil { return nameOrID }
            throw Failure(description: "no \(what) named \"\(nameOrID)\"", code: 1)
        default: throw Failure(description: "\(ids.count) \(what)s are named \"\(nameOrID)\": \(ids.joined(separator: ", ")); use an id", code: 1)
        }
    }
}

extension String {
    func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }
}
