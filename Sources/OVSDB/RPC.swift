/// A JSON-RPC 1.0 message as OVSDB uses it (RFC 7047 section 4): requests carry an id,
/// notifications a null id, responses a result or an error.
public enum RPCMessage: Hashable, Sendable {
    case request(method: String, params: [JSONValue], id: JSONValue)
    case notification(method: String, params: [JSONValue])
    case response(result: JSONValue, error: JSONValue, id: JSONValue)

    public struct Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(_ json: JSONValue) throws(Invalid) {
        guard case .object(let o) = json else { throw Invalid(description: "a JSON-RPC message must be an object") }
        if let m = o["method"] {
            guard let method = m.string else { throw Invalid(description: "\"method\" must be a string") }
            guard let params = o["params"]?.array else { throw Invalid(description: "\"params\" of \(method) must be an array") }
            let id = o["id"] ?? .null
            self = id.isNull ? .notification(method: method, params: params) : .request(method: method, params: params, id: id)
        } else if let id = o["id"], o["result"] != nil || o["error"] != nil {
            self = .response(result: o["result"] ?? .null, error: o["error"] ?? .null, id: id)
        } else {
            throw Invalid(description: "neither a request (\"method\") nor a response (\"id\" with \"result\" or \"error\")")
        }
    }

    public var json: JSONValue {
        switch self {
        case .request(let m, let p, let id): ["method": .string(m), "params": .array(p), "id": id]
        case .notification(let m, let p): ["method": .string(m), "params": .array(p), "id": .null]
        case .response(let r, let e, let id): ["result": r, "error": e, "id": id]
        }
    }
}
