import Foundation
import Hummingbird
import HummingbirdTesting
import TaaSAPI
import TaaSPolicy
import TaaSState
import TaaSStore
import TaaSTestSupport
import TaaSWire
import Testing

/// The REST API through its router, on a real SQLite store.
@Suite struct RouterTests {
    static let ports = APIFixture.ports
    typealias Env = APIFixture.Env
    static func env(auth: AuthMode = .none) throws -> Env { try APIFixture.env(auth: auth) }

    /// A body as it came (`null` kept apart from absent).
    static func json(_ buffer: ByteBuffer) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))) ?? .null
    }

    /// One resource or a list, with the types clients use.
    static func one<R: WireResource>(_ type: R.Type, _ r: TestResponse) -> R? {
        try? JSONDecoder().decode(One<R, R>.self, from: Data(r.body.readableBytesView)).value
    }

    static func many<R: WireResource>(_ type: R.Type, _ r: TestResponse) -> [R]? {
        try? JSONDecoder().decode(Many<R, R>.self, from: Data(r.body.readableBytesView)).values
    }

    /// A body written by hand (malformed ones too).
    static func body(_ value: JSONValue) -> ByteBuffer { encoded(value) }

    /// A body from the types clients use.
    static func encoded<T: Encodable>(_ value: T) -> ByteBuffer { ByteBuffer(bytes: (try? JSONEncoder().encode(value)) ?? Data()) }

    static func error(_ r: TestResponse) -> NeutronErrorBody.Detail? {
        (try? JSONDecoder().decode(NeutronErrorBody.self, from: Data(r.body.readableBytesView)))?.error
    }

    /// The NeutronError type of an error response.
    static func errorType(_ r: TestResponse) -> String? { error(r)?.type }

    static func errorMessage(_ r: TestResponse) -> String { error(r)?.message ?? "" }

    @Test func versionAndExtensions() async throws {
        let e = try Self.env()
        try await e.app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body).contains("v2.0"))
            }
            try await client.execute(uri: "/v2.0", method: .get) { r in
                #expect(String(buffer: r.body).contains("/v2.0/"))
            }
            try await client.execute(uri: "/v2.0/extensions", method: .get) { r in
                let aliases = (try? JSONDecoder().decode(APIExtension.List.self, from: Data(r.body.readableBytesView)))?.extensions.map(\.alias)
                #expect(Set(aliases ?? []) == ["taas", "taas-vlan-filter", "tap-mirror", "taas-snaplen", "taas-traffic-filter", "taas-rate-limit", "taas-tool-balancing"])
            }
        }
    }

    @Test func tapServiceAndFlowLifecycle() async throws {
        let e = try Self.env()
        try await e.service.recordPorts(Self.ports)
        try await e.app.test(.router) { client in
            var serviceID = ""
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post,
                                     body: Self.encoded(One<TapServiceInfo, TapServiceCreate>(
                                        TapServiceCreate(portIDs: [Self.ports[0].id], name: "analyzer", projectID: "alice")))) { r in
                #expect(r.status == .created)
                let s = Self.one(TapServiceInfo.self, r)
                #expect(s?.status == "DOWN" && s?.projectID == "alice" && Self.json(r.body)["tap_service"]?["tenant_id"] == "alice")
                serviceID = s?.id ?? ""
            }
            var flowID = ""
            try await client.execute(uri: "/v2.0/taas/tap_flows", method: .post,
                                     body: Self.encoded(One<TapFlowInfo, TapFlowCreate>(
                                        TapFlowCreate(tapServiceID: serviceID, sourcePort: Self.ports[1].id, direction: "BOTH", name: "web",
                                                      vlanFilter: "27-36,9,18")))) { r in
                #expect(r.status == .created)
                let f = Self.one(TapFlowInfo.self, r)
                #expect(f?.vlanFilter == "9,18,27-36" && f?.direction == "BOTH")
                flowID = f?.id ?? ""
            }
            try await client.execute(uri: "/v2.0/taas/tap_flows/\(flowID)", method: .get) { r in
                #expect(Self.one(TapFlowInfo.self, r)?.tapServiceID == serviceID)
            }
            try await client.execute(uri: "/v2.0/taas/tap_services/\(serviceID)", method: .put,
                                     body: Self.encoded(One<TapServiceInfo, ResourceUpdate<TapServiceInfo>>(
                                        ResourceUpdate(name: "renamed", description: "main analyzer")))) { r in
                #expect(r.status == .ok)
                #expect(Self.one(TapServiceInfo.self, r)?.name == "renamed")
            }
            try await client.execute(uri: "/v2.0/taas/tap_services/\(serviceID)", method: .put,
                                     body: Self.body(["tap_service": ["port_id": .string(Self.ports[1].id)]])) { r in
                #expect(r.status == .badRequest && Self.errorMessage(r).contains("read-only attribute port_id"))
            }
            // Deleting the service deletes its flow.
            try await client.execute(uri: "/v2.0/taas/tap_services/\(serviceID)", method: .delete) { r in #expect(r.status == .noContent) }
            try await client.execute(uri: "/v2.0/taas/tap_flows/\(flowID)", method: .get) { r in
                #expect(r.status == .notFound && Self.errorType(r) == "TapFlowNotFound")
            }
        }
    }

    @Test func rateLimitsAreSetChangedClearedPersistedAndChecked() async throws {
        let e = try Self.env()
        let path = e.path
        try await e.service.recordPorts(Self.ports)
        try await e.app.test(.router) { client in
            var serviceID = ""
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post,
                                     body: Self.body(["tap_service": ["port_id": .string(Self.ports[0].id), "max_kbps": 10000, "max_kpps": 5]])) { r in
                #expect(r.status == .created, "\(String(buffer: r.body))")
                let s = Self.one(TapServiceInfo.self, r)
                #expect(s?.rateLimit == RateLimitFields(maxKbps: 10000, maxKpps: 5) && Self.json(r.body)["tap_service"]?["max_burst_kbps"] == .null)
                serviceID = s?.id ?? ""
            }
            try await client.execute(uri: "/v2.0/taas/tap_services/\(serviceID)", method: .put,
                                     body: Self.body(["tap_service": ["max_burst_kbps": 500, "max_kpps": nil]])) { r in
                #expect(r.status == .ok && Self.one(TapServiceInfo.self, r)?.rateLimit == RateLimitFields(maxKbps: 10000, maxBurstKbps: 500))
            }
            try await client.execute(uri: "/v2.0/taas/tap_services?max_kbps=10000", method: .get) { r in
                #expect(Self.many(TapServiceInfo.self, r)?.count == 1)
            }
            let reloaded = try SQLitePolicyStore(path: path).load().services.first { $0.id.rawValue == serviceID }
            #expect(reloaded?.rateLimit == RateLimit(maxKbps: 10000, maxBurstKbps: 500))
            // Clearing the rate clears its burst too; bad values name the field.
            try await client.execute(uri: "/v2.0/taas/tap_services/\(serviceID)", method: .put,
                                     body: Self.encoded(One<TapServiceInfo, ResourceUpdate<TapServiceInfo>>(ResourceUpdate(maxKbps: .some(nil))))) { r in
                let s = Self.json(r.body)["tap_service"]
                #expect(r.status == .ok && s?["max_kbps"] == .null && s?["max_burst_kbps"] == .null, "\(String(buffer: r.body))")
            }
            for (attrs, field) in [(["max_kbps": 0] as [String: JSONValue], "max_kbps"), (["max_kpps": "fast"], "max_kpps"),
                                   (["max_burst_kbps": 100], "max_burst_kbps")] {
                var body = attrs
                body["port_id"] = .string(Self.ports[1].id)
                try await client.execute(uri: "/v2.0/taas/tap_services", method: .post, body: Self.body(["tap_service": .object(body)])) { r in
                    #expect(r.status == .badRequest && String(buffer: r.body).contains(field), "\(String(buffer: r.body))")
                }
            }
            try await client.execute(uri: "/v2.0/taas/tap_mirrors", method: .post,
                                     body: Self.encoded(One<TapMirrorInfo, TapMirrorCreate>(TapMirrorCreate(
                                        portID: Self.ports[1].id, directions: ["BOTH": 7], remoteIP: "198.51.100.1", mirrorType: "gre",
                                        rateLimit: RateLimitFields(maxKbps: 2000))))) { r in
                #expect(r.status == .created && Self.one(TapMirrorInfo.self, r)?.rateLimit.maxKbps == 2000)
            }
        }
    }

    @Test func trafficFiltersAreCreatedShownListedPersistedAndChecked() async throws {
        let e = try Self.env()
        let path = e.path
        try await e.service.recordPorts(Self.ports)
        try await e.app.test(.router) { client in
            var serviceID = ""
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post,
                                     body: Self.encoded(One<TapServiceInfo, TapServiceCreate>(TapServiceCreate(portIDs: [Self.ports[0].id])))) { r in
                serviceID = Self.one(TapServiceInfo.self, r)?.id ?? ""
            }
            var flowID = ""
            try await client.execute(uri: "/v2.0/taas/tap_flows", method: .post, body: Self.body(["tap_flow": [
                "tap_service_id": .string(serviceID), "source_port": .string(Self.ports[1].id), "direction": "BOTH", "protocol": "TCP",
                "destination_port_range_min": "443", "destination_port_range_max": 443, "source_ip_prefix": "10.0.0.0/8",
            ]])) { r in
                #expect(r.status == .created, "\(String(buffer: r.body))")
                let f = Self.one(TapFlowInfo.self, r)
                #expect(f?.traffic == TrafficFilterFields(ethertype: "IPv4", protocol: "tcp", sourceIPPrefix: "10.0.0.0/8",
                                                          destinationPortRangeMin: 443, destinationPortRangeMax: 443))
                #expect(Self.json(r.body)["tap_flow"]?["destination_ip_prefix"] == .null && Self.json(r.body)["tap_flow"]?["source_port_range_min"] == .null)
                flowID = f?.id ?? ""
            }
            try await client.execute(uri: "/v2.0/taas/tap_flows?protocol=tcp", method: .get) { r in
                #expect(Self.many(TapFlowInfo.self, r)?.count == 1)
            }
            try await client.execute(uri: "/v2.0/taas/tap_flows?protocol=udp", method: .get) { r in
                #expect(Self.many(TapFlowInfo.self, r)?.count == 0)
            }
            let reloaded = try SQLitePolicyStore(path: path).load().flows.first { $0.id.rawValue == flowID }
            #expect(reloaded?.trafficFilter?.text == "IPv4,tcp,src=10.0.0.0/8,dport=443-443")
            // Refusals name the field; filters cannot change after create (as the flow classifier's).
            for (extra, field) in [(["destination_port_range_min": 80] as [String: JSONValue], "destination_port_range_min"),
                                   (["protocol": "tcp", "source_ip_prefix": "2001:db8::/32", "ethertype": "IPv4"], "source_ip_prefix"),
                                   (["protocol": "tcp", "destination_port_range_min": true], "destination_port_range_min")] {
                var attrs: [String: JSONValue] = ["tap_service_id": .string(serviceID), "source_port": .string(Self.ports[2].id), "direction": "IN"]
                attrs.merge(extra) { $1 }
                try await client.execute(uri: "/v2.0/taas/tap_flows", method: .post, body: Self.body(["tap_flow": .object(attrs)])) { r in
                    #expect(r.status == .badRequest && String(buffer: r.body).contains(field), "\(String(buffer: r.body))")
                }
            }
            try await client.execute(uri: "/v2.0/taas/tap_flows/\(flowID)", method: .put,
                                     body: Self.body(["tap_flow": ["protocol": "udp"]])) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("protocol"))
            }
        }
    }

    @Test func portIDsAreSetShownStoredAndChecked() async throws {
        let e = try Self.env()
        let path = e.path
        try await e.service.recordPorts(Self.ports)
        let (a, b) = (Self.ports[0].id, Self.ports[1].id)
        try await e.app.test(.router) { client in
            let (ja, jb) = (JSONValue.string(a), JSONValue.string(b))
            let bad: [(JSONValue, String)] = [
                (["port_ids": [ja, ja]], "port_ids: port \(a) is listed twice"),
                (["port_ids": []], "Invalid input for port_ids"),
                (["port_ids": ja], "Invalid input for port_ids"),
                (["port_ids": [ja, 7]], "Invalid input for port_ids"),
                (["port_id": jb, "port_ids": [ja, jb]], "is not the first of port_ids"),
                (["port_ids": [ja, "no-such-port"]], "no-such-port could not be found"),
            ]
            for (body, text) in bad {
                try await client.execute(uri: "/v2.0/taas/tap_services", method: .post, body: Self.body(["tap_service": body])) { r in
                    #expect(r.status.code / 100 == 4 && Self.errorMessage(r).contains(text), "\(body): \(String(buffer: r.body))")
                }
            }
            var serviceID = ""
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post,
                                     body: Self.encoded(One<TapServiceInfo, TapServiceCreate>(TapServiceCreate(portIDs: [a, b])))) { r in
                #expect(r.status == .created, "\(String(buffer: r.body))")
                let s = Self.one(TapServiceInfo.self, r)
                #expect(s?.portIDs == [a, b] && s?.portID == a)
                serviceID = s?.id ?? ""
            }
            // A service that names one port shows it as its only tool.
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post,
                                     body: Self.encoded(One<TapServiceInfo, TapServiceCreate>(TapServiceCreate(portIDs: [Self.ports[2].id], projectID: "bob")))) { r in
                #expect(Self.one(TapServiceInfo.self, r)?.portIDs == [Self.ports[2].id] || r.status != .created)
            }
            try await client.execute(uri: "/v2.0/taas/tap_services/\(serviceID)", method: .put,
                                     body: Self.body(["tap_service": ["port_ids": [ja]]])) { r in
                #expect(r.status == .badRequest && Self.errorMessage(r).contains("port_ids"), "set at creation only")
            }
            let stored = try SQLitePolicyStore(path: path).load().services.first { $0.id.rawValue == serviceID }
            #expect(stored?.portIDs == [a, b] && stored?.tools.map(\.tunnelKey).count == 2)
        }
    }

    @Test func snaplenIsSetShownChangedClearedAndChecked() async throws {
        let e = try Self.env()
        let path = e.path
        try await e.service.recordPorts(Self.ports)
        try await e.app.test(.router) { client in
            var serviceID = ""
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post,
                                     body: Self.encoded(One<TapServiceInfo, TapServiceCreate>(TapServiceCreate(portIDs: [Self.ports[0].id], snaplen: 128)))) { r in
                #expect(r.status == .created, "\(String(buffer: r.body))")
                let s = Self.one(TapServiceInfo.self, r)
                #expect(s?.snaplen == 128)
                serviceID = s?.id ?? ""
            }
            try await client.execute(uri: "/v2.0/taas/tap_services/\(serviceID)", method: .put,
                                     body: Self.body(["tap_service": ["snaplen": 64]])) { r in
                #expect(r.status == .ok && Self.one(TapServiceInfo.self, r)?.snaplen == 64)
            }
            try await client.execute(uri: "/v2.0/taas/tap_services?snaplen=64", method: .get) { r in
                #expect(Self.many(TapServiceInfo.self, r)?.count == 1)
            }
            try await client.execute(uri: "/v2.0/taas/tap_services/\(serviceID)", method: .put,
                                     body: Self.body(["tap_service": ["snaplen": nil]])) { r in
                #expect(r.status == .ok)
                #expect(Self.json(r.body)["tap_service"]?["snaplen"] == .null, "null again: whole frames")
            }
            // Persisted: a new policy service on the same database reads it back.
            try await client.execute(uri: "/v2.0/taas/tap_services/\(serviceID)", method: .put,
                                     body: Self.body(["tap_service": ["snaplen": 200]])) { r in #expect(r.status == .ok) }
            let reloaded = try SQLitePolicyStore(path: path).load().services.first { $0.id.rawValue == serviceID }
            #expect(reloaded?.snaplen == 200)

            try await client.execute(uri: "/v2.0/taas/tap_mirrors", method: .post,
                                     body: Self.encoded(One<TapMirrorInfo, TapMirrorCreate>(TapMirrorCreate(
                                        portID: Self.ports[1].id, directions: ["BOTH": 7], remoteIP: "198.51.100.1", mirrorType: "erspanv1",
                                        snaplen: 96)))) { r in
                #expect(r.status == .created && Self.one(TapMirrorInfo.self, r)?.snaplen == 96)
            }
            let port2 = JSONValue.string(Self.ports[2].id)
            let bad: [(String, HTTPRequest.Method, JSONValue, String)] = [
                ("/v2.0/taas/tap_services", .post, ["tap_service": ["port_id": port2, "snaplen": 13]], "snaplen: 13 is not from 14 to 65535"),
                ("/v2.0/taas/tap_services", .post, ["tap_service": ["port_id": port2, "snaplen": 65536]], "snaplen: 65536"),
                ("/v2.0/taas/tap_services", .post, ["tap_service": ["port_id": port2, "snaplen": "big"]], "Invalid input for snaplen"),
                ("/v2.0/taas/tap_services", .post, ["tap_service": ["port_id": port2, "snaplen": true]], "Invalid input for snaplen"),
                ("/v2.0/taas/tap_services/\(serviceID)", .put, ["tap_service": ["snaplen": 0]], "snaplen: 0"),
                ("/v2.0/taas/tap_flows", .post, ["tap_flow": ["tap_service_id": .string(serviceID), "source_port": .string(Self.ports[1].id),
                                                              "direction": "IN", "snaplen": 64]], "Unrecognized attribute(s) 'snaplen'"),
            ]
            for (uri, method, body, text) in bad {
                try await client.execute(uri: uri, method: method, body: Self.body(body)) { r in
                    #expect(r.status == .badRequest, "\(uri): \(String(buffer: r.body))")
                    #expect(Self.errorMessage(r).contains(text), "\(uri): \(String(buffer: r.body))")
                }
            }
            // Refused writes changed nothing.
            #expect(try SQLitePolicyStore(path: path).load().services.first { $0.id.rawValue == serviceID }?.snaplen == 200)
        }
    }

    @Test func badInputGets4xxNamingTheProblem() async throws {
        let e = try Self.env()
        try await e.service.recordPorts(Self.ports)
        let cases: [(String, HTTPRequest.Method, ByteBuffer?, HTTPResponse.Status, String)] = [
            ("/v2.0/taas/tap_services", .post, ByteBuffer(string: "{not json"), .badRequest, "not valid JSON"),
            ("/v2.0/taas/tap_services", .post, Self.body(["tap_service": ["port_id": .string(Self.ports[0].id), "colour": "red"]]), .badRequest, "'colour'"),
            ("/v2.0/taas/tap_services", .post, Self.body(["tap_service": ["name": 5, "port_id": .string(Self.ports[0].id)]]), .badRequest, "Invalid input for name"),
            ("/v2.0/taas/tap_services", .post, Self.body(["tap_service": ["name": "x"]]), .badRequest, "'port_id' not specified"),
            ("/v2.0/taas/tap_services", .post, Self.body(["tap_service": ["port_id": "nope"]]), .notFound, "port nope"),
            ("/v2.0/taas/tap_services", .post, ByteBuffer(string: "{\"tap_service\": {\"name\": \"" + String(repeating: "x", count: 5000) + "\"}}"),
             .contentTooLarge, "larger than"),
            ("/v2.0/taas/tap_flows", .post, Self.body(["tap_flow": ["tap_service_id": "zz", "source_port": "p", "direction": "IN"]]), .badRequest, "not a valid UUID"),
            ("/v2.0/taas/tap_flows", .post, Self.body(["tap_flow": ["tap_service_id": "5a1c6a4e-0b4e-4c61-9c1d-000000000009", "source_port": "p",
                                                                    "direction": "SIDEWAYS"]]), .badRequest, "direction"),
            ("/v2.0/taas/tap_flows", .post, Self.body(["tap_flow": ["tap_service_id": "5a1c6a4e-0b4e-4c61-9c1d-000000000009", "source_port": "p",
                                                                    "direction": "IN", "vlan_filter": "1-5000"]]), .badRequest, "vlan_filter"),
            ("/v2.0/taas/tap_services/not-a-uuid", .get, nil, .badRequest, "not a valid UUID"),
            ("/v2.0/taas/tap_services/5a1c6a4e-0b4e-4c61-9c1d-000000000009", .get, nil, .notFound, "could not be found"),
            ("/v2.0/taas/nothing", .get, nil, .notFound, "no such path"),
            ("/v2.0/taas/tap_services?colour=red", .get, nil, .badRequest, "colour"),
            ("/v2.0/taas/tap_services?limit=-1", .get, nil, .badRequest, "limit"),
        ]
        try await e.app.test(.router) { client in
            for (uri, method, body, status, text) in cases {
                try await client.execute(uri: uri, method: method, body: body) { r in
                    #expect(r.status == status, "\(method) \(uri): \(r.status) \(String(buffer: r.body))")
                    #expect(Self.errorMessage(r).contains(text), "\(method) \(uri): \(String(buffer: r.body))")
                }
            }
        }
    }

    @Test func listsFilterSortPageAndTrimFields() async throws {
        let e = try Self.env()
        try await e.service.recordPorts(Self.ports)
        try await e.app.test(.router) { client in
            let bulk = ["b", "a", "c"].enumerated().map { TapServiceCreate(portIDs: [Self.ports[$0].id], name: $1) }
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post,
                                     body: Self.encoded(Many<TapServiceInfo, TapServiceCreate>(bulk))) { r in
                #expect(r.status == .created)
                #expect(Self.many(TapServiceInfo.self, r)?.map(\.name) == ["b", "a", "c"])
            }
            try await client.execute(uri: "/v2.0/taas/tap_services?sort_key=name&sort_dir=desc&fields=name", method: .get) { r in
                let names = Self.json(r.body)["tap_services"]?.array?.map { $0.object?.keys.sorted() == ["name"] ? $0["name"]?.string ?? "" : "?" }
                #expect(names == ["c", "b", "a"])
            }
            try await client.execute(uri: "/v2.0/taas/tap_services?name=a&name=c", method: .get) { r in
                #expect(Self.many(TapServiceInfo.self, r)?.count == 2)
            }
            var next = ""
            try await client.execute(uri: "/v2.0/taas/tap_services?sort_key=name&limit=2", method: .get) { r in
                let page = try? JSONDecoder().decode(Many<TapServiceInfo, TapServiceInfo>.self, from: Data(r.body.readableBytesView))
                #expect(page?.values.map(\.name) == ["a", "b"])
                next = page?.links?.first?.href ?? ""
            }
            #expect(next.contains("marker="))
            try await client.execute(uri: next + "&sort_key=name", method: .get) { r in
                #expect(Self.many(TapServiceInfo.self, r)?.map(\.name) == ["c"])
            }
            // A bulk create applies all or nothing.
            try await client.execute(uri: "/v2.0/taas/tap_flows", method: .post, body: Self.encoded(Many<TapFlowInfo, TapFlowCreate>([
                TapFlowCreate(tapServiceID: "5a1c6a4e-0b4e-4c61-9c1d-000000000009", sourcePort: Self.ports[0].id, direction: "IN"),
            ]))) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/v2.0/ports?status=DOWN", method: .get) { r in
                let ports = Self.many(PortInfo.self, r)
                #expect(ports?.count == 1 && ports?.first?.hostID == "node2")
            }
        }
        // What the API acknowledged is in the store.
        #expect(try SQLitePolicyStore(path: e.path).load().services.count == 3)
    }

    static func h(_ token: String) -> HTTPFields { [.init("X-Auth-Token")!: token] }

    @Test func tokensScopeCallersToTheirProject() async throws {
        let auth = try AuthMode.parseTokens("""
            # token project roles
            t-admin admin admin
            t-alice alice member
            t-bob bob member
            t-read alice reader
            """)
        let e = try Self.env(auth: auth)
        try await e.service.recordPorts(Self.ports)
        try await e.app.test(.router) { client in
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .get, headers: Self.h("wrong")) { r in #expect(r.status == .unauthorized) }
            // Only the whole token: not a prefix, not one byte off, not one byte more.
            // (HTTP trims a header value's surrounding spaces: "t-alice " is the token itself.)
            for near in ["t-alic", "t-alicf", "t-alicee", "T-alice", "t-alice2", ""] {
                try await client.execute(uri: "/v2.0/taas/tap_services", method: .get, headers: Self.h(near)) { r in
                    #expect(r.status == .unauthorized, "«\(near)»")
                }
            }
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .get, headers: Self.h("t-alice")) { r in #expect(r.status == .ok) }
            var id = ""
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post, headers: Self.h("t-alice"),
                                     body: Self.encoded(One<TapServiceInfo, TapServiceCreate>(TapServiceCreate(portIDs: [Self.ports[0].id])))) { r in
                #expect(r.status == .created)
                id = Self.one(TapServiceInfo.self, r)?.id ?? ""
            }
            try await client.execute(uri: "/v2.0/taas/tap_services/\(id)", method: .get, headers: Self.h("t-bob")) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/v2.0/ports", method: .get, headers: Self.h("t-bob")) { r in
                #expect(Self.many(PortInfo.self, r)?.count == 1)
            }
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post, headers: Self.h("t-read"),
                                     body: Self.encoded(One<TapServiceInfo, TapServiceCreate>(TapServiceCreate(portIDs: [Self.ports[1].id])))) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .get, headers: Self.h("t-admin")) { r in
                #expect(Self.many(TapServiceInfo.self, r)?.count == 1)
            }
        }
    }

    /// An authority that knows two tokens, refuses one as of no use, and is down for another.
    struct Authority: TokenAuthority {
        struct Down: Error {}
        var challenge: String? { #"Keystone uri="http://keystone:5000""# }
        func verdict(for token: String) async throws -> TokenVerdict {
            switch token {
            case "k-alice": .caller(Caller(projectID: "alice", isAdmin: false))
            case "k-domain": .forbidden("the token is not scoped to a project")
            case "k-down": throw Down()
            default: .invalid("Keystone does not know the token")
            }
        }
    }

    @Test func anExternalAuthoritySays401403Or503AsKeystonemiddlewareDoes() async throws {
        let e = try Self.env(auth: .external(Authority()))
        try await e.service.recordPorts(Self.ports)
        try await e.app.test(.router) { client in
            for token in [nil, "", "k-mallory"] as [String?] {
                try await client.execute(uri: "/v2.0/taas/tap_services", method: .get, headers: token.map(Self.h) ?? [:]) { r in
                    #expect(r.status == .unauthorized, "\(token ?? "no token")")
                    #expect(r.headers[.wwwAuthenticate] == #"Keystone uri="http://keystone:5000""#, "where to get a token")
                }
            }
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .get, headers: Self.h("k-domain")) { r in
                #expect(r.status == .forbidden && Self.errorMessage(r).contains("not scoped"))
            }
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .get, headers: Self.h("k-down")) { r in
                #expect(r.status == .serviceUnavailable && Self.errorType(r) == "IdentityServiceUnavailable")
            }
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post, headers: Self.h("k-alice"),
                                     body: Self.encoded(One<TapServiceInfo, TapServiceCreate>(TapServiceCreate(portIDs: [Self.ports[0].id])))) { r in
                #expect(r.status == .created && Self.one(TapServiceInfo.self, r)?.projectID == "alice")
            }
            // Discovery needs no token, as Neutron's.
            try await client.execute(uri: "/", method: .get) { r in #expect(r.status == .ok) }
        }
    }

    @Test func queryNamesAndValuesAreDecodedOnceAsAFormIs() async throws {
        let e = try Self.env()
        try await e.service.recordPorts(Self.ports)
        try await e.app.test(.router) { client in
            func names(_ uri: String) async throws -> [String] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .ok, "\(uri): \(String(buffer: r.body))")
                    return (Self.many(PortInfo.self, r) ?? []).map(\.name).sorted()
                }
            }
            #expect(try await names("/v2.0/ports?binding%3Ahost_id=node2") == ["db", "web"])
            #expect(try await names("/v2.0/ports?binding:host_id=node1") == ["analyzer"])
            #expect(try await names("/v2.0/ports?name=%61nalyzer") == ["analyzer"])
            // Decoded once: %2561 is the text "%61", which names no port.
            #expect(try await names("/v2.0/ports?name=%2561nalyzer").isEmpty)
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .post,
                                     body: Self.encoded(One<TapServiceInfo, TapServiceCreate>(TapServiceCreate(portIDs: [Self.ports[0].id], name: "my tool+1")))) { r in
                #expect(r.status == .created)
            }
            // As Python's requests sends it: a space as +, a plus as %2B.
            try await client.execute(uri: "/v2.0/taas/tap_services?name=my+tool%2B1", method: .get) { r in
                #expect(Self.many(TapServiceInfo.self, r)?.count == 1, "\(String(buffer: r.body))")
            }
        }
    }

    @Test func aWrongMethodGets405WithTheAllowedOnes() async throws {
        let e = try Self.env()
        try await e.app.test(.router) { client in
            try await client.execute(uri: "/v2.0/taas/tap_services", method: .patch) { r in
                #expect(r.status == .methodNotAllowed && Self.errorType(r) == "HTTPMethodNotAllowed", "\(r.status)")
                #expect(r.headers[.allow].map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) } == ["GET", "POST"],
                        "\(r.headers)")
            }
            try await client.execute(uri: "/v2.0/taas/tap_services/5a1c6a4e-0b4e-4c61-9c1d-000000000009", method: .post) { r in
                #expect(r.status == .methodNotAllowed)
                #expect(r.headers[.allow].map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) } == ["GET", "PUT", "DELETE"],
                        "\(r.headers)")
            }
            try await client.execute(uri: "/v2.0/nowhere", method: .get) { r in #expect(r.status == .notFound) }
        }
    }
}
