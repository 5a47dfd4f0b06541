import Foundation
import LabKit
import TaaSWire

/// The lab's taasd API, through curl (installed with the lab's other tools), with the API's own types.
struct LabAPI {
    let port: Int

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends a request; returns the status and the body's bytes.
    func call(_ method: String, _ path: String, body: Data? = nil) throws -> (status: Int, body: Data) {
        var args = ["-sS", "-m", "10", "-X", method, "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"]
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", String(decoding: body, as: UTF8.self)] }
        let o = try Command.run("curl", args)
        guard o.status == 0 else { throw Failure(description: "taasd's API at 127.0.0.1:\(port) did not answer: \(o.stderr)") }
        let lines = o.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, Data(lines.dropLast().joined(separator: "\n").utf8))
    }

    /// A request that must succeed (2xx), its answer decoded; the API's own message otherwise.
    func must<Reply: Decodable>(_ method: String, _ path: String, body: Data? = nil, _ reply: Reply.Type) throws -> Reply {
        let (status, data) = try call(method, path, body: body)
        guard (200..<300).contains(status) else {
            let message = (try? JSONDecoder().decode(NeutronErrorBody.self, from: data))?.error.message ?? String(decoding: data, as: UTF8.self)
            throw Failure(description: "\(method) \(path) answered \(status): \(message)")
        }
        do { return try JSONDecoder().decode(Reply.self, from: data) } catch {
            throw Failure(description: "\(method) \(path): an answer taas-lab does not understand: \(error)")
        }
    }

    func get<Reply: Decodable>(_ path: String, _ reply: Reply.Type) throws -> Reply { try must("GET", path, reply) }

    func create<C: CreateRequest>(_ request: C) throws -> C.Resource {
        try must("POST", "/v2.0/taas/\(C.Resource.plural)", body: try JSONEncoder().encode(One<C.Resource, C>(request)),
                 One<C.Resource, C.Resource>.self).value
    }

    func delete(_ path: String) throws {
        let (status, data) = try call("DELETE", path)
        guard (200..<300).contains(status) else {
            throw Failure(description: "DELETE \(path) answered \(status): \(String(decoding: data, as: UTF8.self))")
        }
    }

    /// `/v2.0/taas/status` (nil when it does not answer).
    var status: ControllerStatus? { try? get("/v2.0/taas/status", ControllerStatus.Envelope.self).status }

    var healthy: Bool { ((try? call("GET", "/healthz"))?.status) == 200 }
}
