import Foundation
import TaaSTestSupport
import TaaSWire

/// taasd's API through curl (a real HTTP client in another process), with the types clients use.
struct APICurl: Sendable {
    let base: String
    /// curl's `--max-time`: a replica that stops answering fails the call instead of hanging it.
    var maxTime: Int?

    init(port: Int, maxTime: Int? = nil) { base = "http://127.0.0.1:\(port)"; self.maxTime = maxTime }

    /// Returns the status code and the body as it came.
    @discardableResult
    func call(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> (Int, JSONValue) {
        try await call(method, path, encoded: try body.map { try JSONEncoder().encode($0) })
    }

    func call(_ method: String, _ path: String, encoded body: Data?) async throws -> (Int, JSONValue) {
        var args = ["-s", "-X", method, "-w", "\n%{http_code}", base + path]
        if let maxTime { args += ["--max-time", String(maxTime)] }
        if let body { args += ["-H", "Content-Type: application/json", "-d", String(decoding: body, as: UTF8.self)] }
        let out = try await Command.runOffPool(try Command.tool("curl"), args).stdout
        let parts = out.split(separator: "\n", omittingEmptySubsequences: false)
        let json = (try? JSONDecoder().decode(JSONValue.self, from: Data(parts.dropLast().joined(separator: "\n").utf8))) ?? .null
        return (Int(parts.last ?? "") ?? 0, json)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: JSONValue) -> T? {
        try? JSONDecoder().decode(T.self, from: JSONEncoder().encode(body))
    }

    /// Creates a resource; returns its id (anything but 201 throws, with the answer).
    func create<C: CreateRequest>(_ request: C) async throws -> String {
        let (code, body) = try await call("POST", "/v2.0/taas/\(C.Resource.plural)", encoded: try JSONEncoder().encode(One<C.Resource, C>(request)))
        guard code == 201, let created = Self.decode(One<C.Resource, C.Resource>.self, body) else {
            throw Command.Failure(description: "POST \(C.Resource.plural) at \(base): \(code) \(body)")
        }
        return created.value.id
    }

    /// One resource as shown (nil: not found or not answered).
    func show<R: WritableResource>(_ type: R.Type, _ id: String) async throws -> R? {
        let (code, body) = try await call("GET", "/v2.0/taas/\(R.plural)/\(id)")
        return code == 200 ? Self.decode(One<R, R>.self, body)?.value : nil
    }

    /// Changes a resource; returns the status code and the body (the resource, or the error).
    func update<R: WritableResource>(_ type: R.Type, _ id: String, _ change: ResourceUpdate<R>) async throws -> (Int, JSONValue) {
        try await call("PUT", "/v2.0/taas/\(R.plural)/\(id)", encoded: try JSONEncoder().encode(One<R, ResourceUpdate<R>>(change)))
    }

    func statistics(_ flow: String) async throws -> TapFlowStatistics? {
        Self.decode(TapFlowStatistics.Envelope.self, try await call("GET", "/v2.0/taas/tap_flows/\(flow)/statistics").1)?.statistics
    }

    func status() async throws -> ControllerStatus? {
        let (code, body) = try await call("GET", "/v2.0/taas/status")
        return code == 200 ? Self.decode(ControllerStatus.Envelope.self, body)?.status : nil
    }
}
