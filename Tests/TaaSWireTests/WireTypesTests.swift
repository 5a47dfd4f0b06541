import Foundation
import TaaSWire
import Testing

/// The API's types as clients and the server share them: what a client encodes the server reads
/// back the same, Neutron's conversions and messages, envelopes, nulls and `fields=`.
@Suite struct WireTypesTests {
    static func json<T: Encodable>(_ value: T) throws -> JSONValue { try JSONValue(encoding: value) }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(T.self, from: Data(text.utf8)) }

    @Test func createsRoundTrip() throws {
        let service = TapServiceCreate(portIDs: ["a", "b"], name: "ids", snaplen: 128, rateLimit: RateLimitFields(maxKbps: 5000))
        #expect(try Self.json(service) == ["name": "ids", "port_id": "a", "port_ids": ["a", "b"], "snaplen": 128, "max_kbps": 5000])
        #expect(try JSONDecoder().decode(TapServiceCreate.self, from: JSONEncoder().encode(service)) == service)

        let flow = TapFlowCreate(tapServiceID: "0b7f3c3e-4d6a-4c1b-9a0e-2b1f2f9e6c11", sourcePort: "web", direction: "IN", vlanFilter: "9,18",
                                 traffic: TrafficFilterFields(protocol: "tcp", destinationPortRangeMin: 80, destinationPortRangeMax: 443))
        #expect(try JSONDecoder().decode(TapFlowCreate.self, from: JSONEncoder().encode(flow)) == flow)

        let mirror = TapMirrorCreate(portID: "web", directions: ["IN": 101, "OUT": 102], remoteIP: "192.0.2.9", mirrorType: "gre",
                                     projectID: "p1")
        #expect(try JSONDecoder().decode(TapMirrorCreate.self, from: JSONEncoder().encode(mirror)) == mirror)
    }

    @Test func neutronsConversionsAreTaken() throws {
        // The stock CLI's key=value form sends numbers as text; a protocol may be a number.
        let m = try TapMirrorCreate(attributes: ["port_id": "p", "directions": ["IN": "101", "BOTH": " 7 "], "remote_ip": "192.0.2.1",
                                                 "mirror_type": "gre", "tenant_id": "p1"])
        #expect(m.directions == ["IN": 101, "BOTH": 7] && m.projectID == "p1")
        let f = try TapFlowCreate(attributes: ["tap_service_id": "x", "source_port": "p", "direction": "OUT", "protocol": 6,
                                               "source_port_range_min": "1024"])
        #expect(f.traffic.protocol == "6" && f.traffic.sourcePortRangeMin == 1024)
        // A single tool port is port_id alone; port_ids, when given, starts with it.
        #expect(try TapServiceCreate(attributes: ["port_id": "a"]).portIDs == ["a"])
        #expect(try TapServiceCreate(attributes: ["port_ids": ["a", "b"]]).portIDs == ["a", "b"])
    }

    @Test(arguments: [
        (["port_id": "a", "colour": "red", "size": 3], "Unrecognized attribute(s) 'colour, size'"),
        (["name": "x"], "Failed to parse request. Required attribute 'port_id' not specified"),
        (["port_id": 7], "Invalid input for port_id. Reason: '7' is not a valid string."),
        (["port_id": "a", "snaplen": true], "Invalid input for snaplen. Reason: 'true' is not an integer."),
        (["port_id": "a", "max_kbps": "fast"], "Invalid input for max_kbps. Reason: 'fast' is not an integer."),
        (["port_id": "b", "port_ids": ["a", "b"]], "Invalid input for port_id. Reason: 'b' is not the first of port_ids ('a')."),
        (["port_ids": []], "Invalid input for port_ids. Reason: '[]' is not a non-empty list of port ids."),
        (["port_id": "a", "project_id": "p1", "tenant_id": "p2"], "project_id and tenant_id differ"),
    ] as [(JSONValue, String)])
    func badServiceRequestsAreNamed(_ body: JSONValue, _ message: String) throws {
        #expect(throws: WireError(message)) { try TapServiceCreate(attributes: body.object ?? [:]) }
    }

    @Test func badMirrorKeysAndFlowPortsAreNamed() throws {
        let base: [String: JSONValue] = ["port_id": "p", "remote_ip": "192.0.2.1", "mirror_type": "gre"]
        var m = base
        m["directions"] = ["SIDEWAYS": 1]
        #expect(throws: WireError("Invalid input for directions. Reason: 'SIDEWAYS' is not IN, OUT or BOTH.")) { try TapMirrorCreate(attributes: m) }
        m["directions"] = ["IN": 4_294_967_296]
        #expect(throws: WireError("Invalid input for directions. Reason: the key of IN must be an integer from 0 to 4294967295.")) {
            try TapMirrorCreate(attributes: m)
        }
        m["directions"] = "IN=1"
        #expect(throws: WireError.self) { try TapMirrorCreate(attributes: m) }
        #expect(throws: WireError("Invalid input for source_port_range_min. Reason: 'http' is not an integer.")) {
            try TapFlowCreate(attributes: ["tap_service_id": "x", "source_port": "p", "direction": "IN", "source_port_range_min": "http"])
        }
    }

    @Test func updatesSayWhatChangesAndWhatIsCleared() throws {
        let u = ResourceUpdate<TapServiceInfo>(name: "n", snaplen: .some(nil), maxKbps: 100)
        #expect(try Self.json(u) == ["name": "n", "snaplen": nil, "max_kbps": 100])
        #expect(try JSONDecoder().decode(ResourceUpdate<TapServiceInfo>.self, from: JSONEncoder().encode(u)) == u)
        #expect(throws: WireError("Cannot update read-only attribute port_id")) {
            try ResourceUpdate<TapServiceInfo>(attributes: ["port_id": "x"])
        }
        #expect(throws: WireError("Cannot update read-only attribute direction")) { try ResourceUpdate<TapFlowInfo>(attributes: ["direction": "IN"]) }
        #expect(throws: WireError("Unrecognized attribute(s) 'snaplen'")) { try ResourceUpdate<TapFlowInfo>(attributes: ["snaplen": 64]) }
        #expect(throws: WireError("Unrecognized attribute(s) 'colour'")) { try ResourceUpdate<TapFlowInfo>(attributes: ["colour": "red"]) }
    }

    @Test func responsesShowNullsAndKeepOnlyTheFieldsAsked() throws {
        let s = TapServiceInfo(id: "i", projectID: "p", name: "n", description: "", portID: "a", portIDs: ["a"], snaplen: nil,
                               rateLimit: RateLimitFields(), status: "DOWN", statusReason: nil)
        let whole = try Self.json(One<TapServiceInfo, TapServiceInfo>(s))
        #expect(whole["tap_service"]?["snaplen"] == .null && whole["tap_service"]?["tenant_id"] == "p")
        #expect(whole["tap_service"]?.object?.keys.sorted() == TapServiceInfo.fields.sorted())
        let encoder = JSONEncoder()
        encoder.userInfo[.onlyFields] = Set(["name"])
        let trimmed = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(Many<TapServiceInfo, TapServiceInfo>([s])))
        #expect(trimmed == ["tap_services": [["name": "n"]]])
        // A client reading a trimmed list still gets the fields it asked for.
        let read = try JSONDecoder().decode(Many<TapServiceInfo, TapServiceInfo>.self, from: encoder.encode(Many<TapServiceInfo, TapServiceInfo>([s])))
        #expect(read.values.map(\.name) == ["n"])
        #expect(try JSONDecoder().decode(One<TapServiceInfo, TapServiceInfo>.self, from: JSONEncoder().encode(One<TapServiceInfo, TapServiceInfo>(s))).value == s)
    }

    @Test func envelopesAndErrorsHaveNeutronsKeys() throws {
        let page = Many<PortInfo, PortInfo>([PortInfo(id: "web", name: "web", macAddress: "02:00:00:00:00:01", hostID: "n1", projectID: "p",
                                                      status: "ACTIVE")], links: [Link(rel: "next", href: "/v2.0/ports?limit=1&marker=web")])
        let v = try Self.json(page)
        #expect(v["ports"]?.array?.first?["binding:host_id"] == "n1" && v["ports_links"]?.array?.first?["rel"] == "next")
        let e = try Self.decode(NeutronErrorBody.self, #"{"NeutronError": {"type": "TapFlowNotFound", "message": "gone", "detail": ""}}"#)
        #expect(e.error.type == "TapFlowNotFound" && e.error.message == "gone")
        let status = ControllerStatus(nodes: 1, openflowConnected: 1, ovsdbConnected: 0, statisticsReads: 2, tapServices: [:], tapFlows: [:],
                                      tapMirrors: [:], replication: .init(replica: "r", role: "follower", epoch: 3, leader: nil, leaderName: nil,
                                                                          takeovers: 0, replicas: [], bridges: []))
        let sv = try Self.json(ControllerStatus.Envelope(status))
        #expect(sv["status"]?["replication"]?["leader"] == .null, "nobody leads: null, not absent")
        #expect(try Self.json(ControllerStatus.Envelope(ControllerStatus(nodes: 0, openflowConnected: 0, ovsdbConnected: 0, statisticsReads: 0,
                                                                         tapServices: [:], tapFlows: [:], tapMirrors: [:])))["status"]?["replication"] == nil)
    }
}
