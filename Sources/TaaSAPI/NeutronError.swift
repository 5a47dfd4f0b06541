import Hummingbird
import TaaSPolicy
import TaaSWire

/// An API error with Neutron's body: `{"NeutronError": {"type": …, "message": …, "detail": ""}}`.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var type: String
    public var message: String
    /// `WWW-Authenticate` on a 401: where to get a token (Keystone's address).
    public var challenge: String?

    public init(_ status: HTTPResponse.Status, _ type: String, _ message: String) {
        self.status = status
        self.type = type
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "HTTPBadRequest", message) }

    init(_ e: PolicyError) {
        let status: HTTPResponse.Status = switch e.kind {
        case .badRequest: .badRequest
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        }
        self.init(status, e.type, e.message)
    }

    var response: Response {
        var r = JSON.encoded(status, NeutronErrorBody(type: type, message: message))
        if let challenge { r.headers[.wwwAuthenticate] = challenge }
        return r
    }
}
