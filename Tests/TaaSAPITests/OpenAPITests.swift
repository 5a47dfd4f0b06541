import Foundation
import Hummingbird
import HummingbirdTesting
import TaaSAPI
import TaaSPolicy
import TaaSWire
import Testing

/// The OpenAPI description in the repository, the one served, and what the API really does agree.
@Suite struct OpenAPITests {
    /// `docs/openapi.json` in the repository. `TAAS_WRITE_OPENAPI=1 swift test --filter OpenAPITests`
    /// rewrites it from the served document after a deliberate change.
    static let repositoryCopy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.json")

    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]

    /// A body as it came: any document against any schema.
    static func document(_ buffer: ByteBuffer) -> JSONValue { RouterTests.json(buffer) }

    static func served(_ app: Application<RouterResponder<APIContext>>) async throws -> ByteBuffer {
        try await app.test(.router) { client in try await served(client) }
    }

    static func served(_ client: some TestClientProtocol) async throws -> ByteBuffer {
        try await client.execute(uri: "/openapi.json", method: .get) { r in
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            return r.body
        }
    }

    @Test func repositoryCopyIsWhatIsServed() async throws {
        // Served without a token even when tokens are required.
        let e = try RouterTests.env(auth: .tokens([:]))
        let served = try await Self.served(e.app)
        if ProcessInfo.processInfo.environment["TAAS_WRITE_OPENAPI"] == "1" {
            try FileManager.default.createDirectory(at: Self.repositoryCopy.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(served.readableBytesView).write(to: Self.repositoryCopy)
        }
        let file = try Data(contentsOf: Self.repositoryCopy)
        #expect(file == Data(served.readableBytesView),
                "docs/openapi.json differs from /openapi.json; rerun with TAAS_WRITE_OPENAPI=1 if the change is deliberate")
        let doc = Self.document(served)
        #expect(doc["openapi"] == "3.1.0")
        // Every $ref resolves.
        let validator = SchemaValidator(document: doc)
        var refs: [String] = []
        func collect(_ v: JSONValue) {
            if let o = v.object {
                if let r = o["$ref"]?.string { refs.append(r) }
                o.values.forEach(collect)
            } else if let a = v.array { a.forEach(collect) }
        }
        collect(doc)
        #expect(!refs.isEmpty)
        for r in refs { #expect(validator.resolve(r) != nil, "unresolvable \(r)") }
    }

    /// Every documented operation is routed; every other method on a documented path is refused.
    @Test func documentedOperationsAreExactlyTheRoutedOnes() async throws {
        let e = try RouterTests.env()
        try await e.app.test(.router) { client in
        let doc = Self.document(try await Self.served(client))
        let paths = try #require(doc["paths"]?.object)
        #expect(Set(paths.keys) == ["/", "/v2.0", "/openapi.json", "/v2.0/extensions", "/v2.0/ports", "/v2.0/ports/{id}",
                                    "/v2.0/taas/tap_services", "/v2.0/taas/tap_services/{id}", "/v2.0/taas/tap_flows",
                                    "/v2.0/taas/tap_flows/{id}", "/v2.0/taas/tap_mirrors", "/v2.0/taas/tap_mirrors/{id}",
                                    "/v2.0/taas/nodes", "/v2.0/taas/nodes/{id}", "/healthz", "/metrics", "/v2.0/taas/status",
                                    "/v2.0/taas/tap_flows/{id}/statistics"])
            for (template, item) in paths {
                let uri = template.replacingOccurrences(of: "{id}", with: "5a1c6a4e-0b4e-4c61-9c1d-00000000abcd")
                for method in Self.methods {
                    let documented = item[method.rawValue.lowercased()] != nil
                    let body = method == .post || method == .put ? ByteBuffer(string: "{}") : nil
                    try await client.execute(uri: uri, method: method, body: body) { r in
                        let type = RouterTests.errorType(r)
                        let unrouted = type == "HTTPNotFound" || type == "HTTPMethodNotAllowed"
                        #expect(documented != unrouted, "\(method) \(uri): documented \(documented), answered \(r.status) \(type ?? "")")
                        if !documented { #expect(r.status == .methodNotAllowed || r.status == .notFound) }
                    }
                }
            }
        }
    }

    /// Drives every operation, valid and invalid, and checks each status is documented for it and
    /// each body (sent and received) fits the documented schema.
    @Test func requestsAndResponsesFitTheDocument() async throws {
        let auth = try AuthMode.parseTokens("t-admin admin admin\nt-read alice reader\n")
        let e = try RouterTests.env(auth: auth)
        try await e.service.recordPorts(RouterTests.ports)
        try await e.app.test(.router) { client in
        let doc = Self.document(try await Self.served(client))
        let validator = SchemaValidator(document: doc)
        let paths = try #require(doc["paths"]?.object)
        let ports = RouterTests.ports.map { JSONValue.string($0.id) }
        var seen: Set<String> = []

        func operation(_ uri: String, _ method: HTTPRequest.Method) -> (String, JSONValue)? {
            let path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            for (template, item) in paths {
                let t = template.split(separator: "/", omittingEmptySubsequences: false)
                guard t.count == parts.count, zip(t, parts).allSatisfy({ $0 == $1 || $0 == "{id}" }) else { continue }
                if let op = item[method.rawValue.lowercased()] { return ("\(method) \(template)", op) }
            }
            return nil
        }

            /// Sends a request, checks it against the document, and returns the parsed body.
            @discardableResult
            func call(_ uri: String, _ method: HTTPRequest.Method, _ body: JSONValue? = nil, raw: String? = nil, token: String? = "t-admin",
                      expect status: HTTPResponse.Status, validRequest: Bool = true) async throws -> JSONValue {
                guard let (name, op) = operation(uri, method) else {
                    Issue.record("\(method) \(uri) is not in the document")
                    return .null
                }
                seen.insert(name)
                if let body, validRequest, let schema = op["requestBody"]?["content"]?["application/json"]?["schema"] {
                    let problems = validator.problems(body, schema)
                    #expect(problems.isEmpty, "request of \(name) does not fit the document: \(problems)")
                }
                let headers = token.map(RouterTests.h) ?? [:]
                let buffer = raw.map { ByteBuffer(string: $0) } ?? body.map(RouterTests.body)
                var parsed = JSONValue.null
                try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { r in
                    #expect(r.status == status, "\(method) \(uri): \(r.status) \(String(buffer: r.body))")
                    guard let documented = op["responses"]?[String(r.status.code)] else {
                        Issue.record("\(name) answered \(r.status.code), which the document does not list")
                        return
                    }
                    parsed = Self.document(r.body)
                    if let schema = documented["content"]?["application/json"]?["schema"] {
                        let problems = validator.problems(parsed, schema)
                        #expect(problems.isEmpty, "\(name) \(r.status.code) does not fit the document: \(problems)\n\(String(buffer: r.body))")
                    } else {
                        #expect(r.body.readableBytes == 0, "\(name) \(r.status.code) has an undocumented body")
                    }
                }
                return parsed
            }

            try await call("/", .get, token: nil, expect: .ok)
            try await call("/v2.0", .get, token: nil, expect: .ok)
            try await call("/openapi.json", .get, token: nil, expect: .ok)
            try await call("/v2.0/extensions", .get, expect: .ok)
            try await call("/healthz", .get, token: nil, expect: .ok)
            try await call("/metrics", .get, token: nil, expect: .ok)
            try await call("/v2.0/taas/status", .get, expect: .ok)
            try await call("/v2.0/taas/status", .get, token: "t-read", expect: .forbidden)
            try await call("/v2.0/extensions", .get, token: "nope", expect: .unauthorized)
            try await call("/v2.0/ports", .get, expect: .ok)
            try await call("/v2.0/ports?limit=1&sort_key=name", .get, expect: .ok)
            try await call("/v2.0/ports/\(ports[1].string ?? "")", .get, expect: .ok)
            try await call("/v2.0/ports/absent", .get, expect: .notFound)
            try await call("/v2.0/ports?colour=red", .get, expect: .badRequest)
            let nodes = try await call("/v2.0/taas/nodes?sort_key=name", .get, expect: .ok)
            #expect(nodes["nodes"]?.array?.map { $0["name"] } == ["compute-1", "node2"])
            try await call("/v2.0/taas/nodes/node1", .get, expect: .ok)
            try await call("/v2.0/taas/nodes/node9", .get, expect: .notFound)
            try await call("/v2.0/taas/nodes", .get, token: "t-read", expect: .forbidden)
            try await call("/v2.0/taas/nodes?colour=red", .get, expect: .badRequest)

            let s = try await call("/v2.0/taas/tap_services", .post, ["tap_service": ["name": "a", "port_id": ports[0], "project_id": "alice"]],
                                   expect: .created)
            let sid = s["tap_service"]?["id"]?.string ?? ""
            try await call("/v2.0/taas/tap_services", .post, ["tap_services": [["port_id": ports[1]], ["port_id": ports[2], "description": "d"]]],
                           expect: .created)
            try await call("/v2.0/taas/tap_services", .post, ["tap_service": ["port_id": ports[0]]], expect: .conflict)
            try await call("/v2.0/taas/tap_services", .post, ["tap_service": ["port_id": ports[0]]], token: "t-read", expect: .forbidden)
            try await call("/v2.0/taas/tap_services", .post, ["tap_service": ["port_id": 7]], expect: .badRequest, validRequest: false)
            try await call("/v2.0/taas/tap_services", .post, raw: "{" + String(repeating: " ", count: 5000) + "}", expect: .contentTooLarge)
            try await call("/v2.0/taas/tap_services", .get, expect: .ok)
            try await call("/v2.0/taas/tap_services?limit=1", .get, expect: .ok)
            try await call("/v2.0/taas/tap_services/\(sid)?fields=name&fields=id", .get, expect: .ok)
            try await call("/v2.0/taas/tap_services/\(sid)", .put, ["tap_service": ["name": "b"]], expect: .ok)
            try await call("/v2.0/taas/tap_services/\(sid)", .put, ["tap_service": ["port_id": ports[1]]], expect: .badRequest, validRequest: false)
            try await call("/v2.0/taas/tap_services/not-a-uuid", .get, expect: .badRequest)

            let f = try await call("/v2.0/taas/tap_flows", .post, ["tap_flow": ["tap_service_id": .string(sid), "source_port": ports[1], "direction": "BOTH",
                                                                                "vlan_filter": "9,18,27-36"]], expect: .created)
            let fid = f["tap_flow"]?["id"]?.string ?? ""
            try await call("/v2.0/taas/tap_flows", .post, ["tap_flows": [["tap_service_id": .string(sid), "source_port": ports[2], "direction": "IN",
                                                                          "vlan_filter": nil]]], expect: .created)
            try await call("/v2.0/taas/tap_flows", .post, ["tap_flow": ["tap_service_id": .string(sid), "source_port": ports[1], "direction": "UP"]],
                           expect: .badRequest, validRequest: false)
            try await call("/v2.0/taas/tap_flows?direction=BOTH&sort_key=name&sort_dir=desc", .get, expect: .ok)
            try await call("/v2.0/taas/tap_flows/\(fid)", .get, expect: .ok)
            let counted = try await call("/v2.0/taas/tap_flows/\(fid)/statistics", .get, expect: .ok)
            #expect(counted["statistics"]?["counted"] == false)
            try await call("/v2.0/taas/tap_flows/5a1c6a4e-0b4e-4c61-9c1d-00000000abcd/statistics", .get, expect: .notFound)
            try await call("/v2.0/taas/tap_flows/\(fid)", .put, ["tap_flow": ["description": "web"]], expect: .ok)
            try await call("/v2.0/taas/tap_flows/\(fid)", .delete, expect: .noContent)
            try await call("/v2.0/taas/tap_flows/\(fid)", .delete, expect: .notFound)

            let m = try await call("/v2.0/taas/tap_mirrors", .post, ["tap_mirror": ["name": "m", "port_id": ports[1], "directions": ["IN": 1, "OUT": 2],
                                                                                   "remote_ip": "192.0.2.9", "mirror_type": "erspanv1"]],
                                   expect: .created)
            let mirror = m["tap_mirror"]
            #expect(mirror?["directions"]?["IN"] == 1, "an integer key of 1 is a key, not a boolean")
            let mid = mirror?["id"]?.string ?? ""
            try await call("/v2.0/taas/tap_mirrors", .post, ["tap_mirrors": [["port_id": ports[2], "directions": ["BOTH": 3],
                                                                              "remote_ip": "2001:db8::1", "mirror_type": "gre"]]], expect: .created)
            try await call("/v2.0/taas/tap_mirrors", .post, ["tap_mirror": ["port_id": ports[2], "directions": ["IN": 1], "remote_ip": "192.0.2.9",
                                                                            "mirror_type": "gre"]], expect: .conflict)
            try await call("/v2.0/taas/tap_mirrors", .post, ["tap_mirror": ["port_id": ports[2], "directions": ["IN": true], "remote_ip": "192.0.2.9",
                                                                            "mirror_type": "gre"]], expect: .badRequest, validRequest: false)
            try await call("/v2.0/taas/tap_mirrors", .get, expect: .ok)
            try await call("/v2.0/taas/tap_mirrors/\(mid)", .get, expect: .ok)
            try await call("/v2.0/taas/tap_mirrors/\(mid)", .put, ["tap_mirror": ["name": "renamed"]], expect: .ok)
            try await call("/v2.0/taas/tap_mirrors/\(mid)", .delete, expect: .noContent)

            try await call("/v2.0/taas/tap_services/\(sid)", .delete, token: "t-read", expect: .forbidden)
            try await call("/v2.0/taas/tap_services/\(sid)", .delete, expect: .noContent)
            try await call("/v2.0/taas/tap_services/\(sid)", .get, expect: .notFound)

            // Every documented operation was exercised.
            var all: Set<String> = []
            for (template, item) in paths {
                for m in Self.methods where item[m.rawValue.lowercased()] != nil { all.insert("\(m) \(template)") }
            }
            #expect(all.subtracting(seen).isEmpty, "not exercised: \(all.subtracting(seen).sorted())")
        }
    }
}
