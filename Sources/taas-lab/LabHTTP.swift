import Foundation
import LabKit

/// The lab's taasd API, through curl (installed with the lab's other tools).
struct LabAPI {
    let port: Int

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends a request; returns the status and the parsed JSON body (empty when there is none).
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> (status: Int, json: [String: Any]) {
        var args = ["-sS", "-m", "10", "-X", method, "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"]
        if let body {
            let data = try JSONSerialization.data(withJSONObject: body)
            args += ["-H", "Content-Type: application/json", "--data-binary", String(decoding: data, as: UTF8.self)]
        }
        let o = try Command.run("curl", args)
        guard o.status == 0 else { throw Failure(description: "taasd's API at 127.0.0.1:\(port) did not answer: \(o.stderr)") }
        let lines = o.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let text = lines.dropLast().joined(separator: "\n")
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return (status, json)
    }

    /// A request that must succeed (2xx); the API's own message otherwise.
    @discardableResult
    func must(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> [String: Any] {
        let (status, json) = try call(method, path, body)
        guard (200..<300).contains(status) else {
            let message = (json["NeutronError"] as? [String: Any])?["message"] as? String ?? "\(json)"
            throw Failure(description: "\(method) \(path) answered \(status): \(message)")
        }
        return json
    }

    var healthy: Bool { ((try? call("GET", "/healthz"))?.status) == 200 }
}
