import Foundation
import Hummingbird
import TaaSWire

/// JSON in and out with the precise errors the API promises (which field, what is wrong).
enum JSON {
    /// A typed body; `only` keeps those fields of each resource (`fields=`).
    static func encoded<T: Encodable>(_ status: HTTPResponse.Status, _ value: T, only: Set<String>? = nil) -> Response {
        var writer = JSONWriter()
        if let only { writer.userInfo[.onlyFields] = only }
        let bytes = (try? writer.encode(value)) ?? Array("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The body as a JSON object, at most `limit` bytes.
    static func object(_ request: Request, limit: Int) async throws -> [String: JSONValue] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "HTTPRequestEntityTooLarge", "request body larger than \(limit) bytes")
        }
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("request body is empty; expected a JSON object") }
        let parsed: JSONValue
        do {
            parsed = try JSONValue(parsing: buffer.readableBytesView)
        } catch {
            throw APIError.badRequest("request body is not valid JSON: \(error)")
        }
        guard let object = parsed.object else { throw APIError.badRequest("request body must be a JSON object") }
        return object
    }
}
