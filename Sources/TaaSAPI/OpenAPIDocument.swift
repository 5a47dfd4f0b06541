import Foundation
import TaaSWire

/// The OpenAPI 3.1 description of the whole API, served at `/openapi.json` and kept in the
/// repository as `docs/openapi.json`. Written out by hand (not derived from the routes) so that
/// the tests comparing the two can catch either one drifting.
public enum OpenAPIDocument {
    /// The document as a JSON object.
    public static func make() -> JSONValue {
        var paths: JSONValue = [
            "/": ["get": discovery("listVersions", "API versions, as Neutron answers them (no token needed)", "Versions")],
            "/v2.0": ["get": discovery("showVersion", "The v2.0 API (no token needed)", "Versions")],
            "/openapi.json": ["get": [
                "operationId": "openapi", "summary": "This document (no token needed)", "security": [],
                "responses": ["200": ["description": "The OpenAPI description", "content": json(["type": "object"])]],
            ]],
            "/v2.0/extensions": ["get": [
                "operationId": "listExtensions", "summary": "Extension aliases: taas, taas-vlan-filter, tap-mirror",
                "responses": ok(200, "The extensions", envelope("extensions", ["type": "array", "items": ref("Extension")])),
            ]],
            "/v2.0/ports": ["get": [
                "operationId": "listPorts", "summary": "The port inventory the topology reports (read-only)",
                "parameters": listParameters(portFields),
                "responses": portLinks(ok(200, "Ports visible to the caller", listEnvelope("ports", "Port"))),
            ]],
            "/v2.0/ports/{id}": [
                "parameters": [["name": "id", "in": "path", "required": true, "schema": ["type": "string"],
                                "description": "The port id: the interface's external_ids:iface-id"]],
                "get": [
                    "operationId": "showPort", "summary": "One port",
                    "responses": ok(200, "The port", envelope("port", ref("Port")), errors: ["404"]),
                ],
            ],
            "/healthz": ["get": [
                "operationId": "health", "summary": "Readiness: the store is open and every listener is up (no token needed)",
                "security": [],
                "responses": [
                    "200": ["description": "Ready", "content": json(object(["status": ["const": "ready"]], required: ["status"]))],
                    "503": ["description": "Still starting", "content": json(object(["status": ["const": "starting"]], required: ["status"]))],
                ],
            ]],
            "/metrics": ["get": [
                "operationId": "metrics", "summary": "Prometheus text exposition of taasd's metrics (no token needed)",
                "security": [],
                "responses": ["200": ["description": "Metrics", "content": ["text/plain": ["schema": ["type": "string"]]]]],
            ]],
            "/v2.0/taas/status": ["get": [
                "operationId": "showStatus", "summary": "Nodes, sessions and resource statuses at a glance (admins only)",
                "responses": ok(200, "The summary", envelope("status", ref("Status")), errors: ["403"]),
            ]],
            "/v2.0/taas/tap_flows/{id}/statistics": [
                "parameters": [["name": "id", "in": "path", "required": true, "schema": uuid]],
                "get": [
                    "operationId": "showTapFlowStatistics",
                    "summary": "Packets and bytes copied for the tap flow, from the switches' flow counters at the last read",
                    "responses": ok(200, "The counts", envelope("statistics", ref("TapFlowStatistics")), errors: ["404"]),
                ],
            ],
            "/v2.0/taas/nodes": ["get": [
                "operationId": "listNodes", "summary": "The nodes the topology knows (admins only)",
                "parameters": listParameters(nodeFields),
                "responses": ok(200, "The nodes", listEnvelope("nodes", "Node"), errors: ["400", "403"]),
            ]],
            "/v2.0/taas/nodes/{id}": [
                "parameters": [["name": "id", "in": "path", "required": true, "schema": ["type": "string"],
                                "description": "The node's Open vSwitch system-id"]],
                "get": [
                    "operationId": "showNode", "summary": "One node (admins only)",
                    "responses": ok(200, "The node", envelope("node", ref("Node")), errors: ["403", "404"]),
                ],
            ],
        ]
        for r in resources {
            paths["/v2.0/taas/\(r.plural)"] = collection(r)
            paths["/v2.0/taas/\(r.plural)/{id}"] = item(r)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "taasd Tap-as-a-Service API",
                "version": "2.0",
                "description": """
                    Neutron-TaaS-compatible API of taasd. Tap services receive copies of the traffic of the \
                    source ports their tap flows name; tap mirrors send copies to a remote analyzer over GRE or \
                    ERSPAN v1. Lists take Neutron's conventions: a filter by any field (repeat for OR), \
                    fields=, sort_key/sort_dir, limit/marker.
                    """,
            ],
            "servers": [["url": "http://127.0.0.1:9696"]],
            "security": [["token": []], [:]],
            "paths": paths,
            "components": [
                "securitySchemes": ["token": [
                    "type": "apiKey", "in": "header", "name": "X-Auth-Token",
                    "description": "Required when taasd runs with --auth tokens:FILE; ignored with --auth none",
                ]],
                "schemas": schemas,
            ],
        ]
    }

    /// The document as served: sorted keys, indented, a final newline.
    public static let served: Data = data()

    static func data() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var d = (try? encoder.encode(make())) ?? Data()
        d.append(0x0a)
        return d
    }

    struct Resource {
        var plural: String
        var singular: String
        var title: String
        /// Attributes accepted on create, with their schemas; `required` ones must be present.
        var create: [(String, JSONValue)]
        var required: [String]
        /// Read-only attributes shown besides the created ones.
        var shown: [(String, JSONValue)]
        /// Attributes an update may change besides name and description.
        var updatable: [(String, JSONValue)] = []
    }

    static let uuid: JSONValue = ["type": "string", "format": "uuid"]
    static let text: JSONValue = ["type": "string", "maxLength": 255]
    static let status: JSONValue = ["type": "string", "enum": ["ACTIVE", "DOWN", "ERROR"],
                                        "description": "DOWN until every switch involved confirms the flows; ERROR when one refused them"]
    static let statusReason: JSONValue = ["type": ["string", "null"],
                                                                  "description": "Why the status is ERROR, in the switch's words; null otherwise"]
    static let common: [(String, JSONValue)] = [
        ("name", text), ("description", text),
        ("project_id", text.merging(["description": "Owner project; only an admin may name another project than its own"])),
        ("tenant_id", text.merging(["description": "Alias of project_id"])),
    ]
    static let direction: JSONValue = ["type": "string", "enum": ["IN", "OUT", "BOTH"]]
    static let snaplen: JSONValue = [
        "type": ["integer", "null"], "minimum": 14, "maximum": 65535,
        "description": "Every copy is cut to this many bytes (Open vSwitch's output max_len), also before a tunnel; null copies whole frames",
    ]

    /// Rate limits of the copies to a tap service or tap mirror (extension `taas-rate-limit`).
    static let rateLimit: [(String, JSONValue)] = [
        ("max_kbps", ["type": ["integer", "null"], "minimum": 1, "maximum": 2_147_483_647,
                      "description": "Copies toward this destination policed to this many kbit/s on the node that makes them; null: no limit"]),
        ("max_burst_kbps", ["type": ["integer", "null"], "minimum": 0, "maximum": 2_147_483_647,
                            "description": "Burst in kbit (needs max_kbps); null: 80 % of max_kbps"]),
        ("max_kpps", ["type": ["integer", "null"], "minimum": 1, "maximum": 2_147_483_647,
                      "description": "Copies policed to this many thousand packets per second; null: no limit"]),
    ]

    /// A tap flow's traffic filter (extension `taas-traffic-filter`): a frame is copied when it
    /// matches every given field.
    static let trafficFilter: [(String, JSONValue)] = {
        let port: JSONValue = ["type": ["integer", "null"], "minimum": 0, "maximum": 65535]
        let octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
        let prefix: JSONValue = ["anyOf": [["type": "null"], ["type": "string", "format": "ipv4"], ["type": "string", "format": "ipv6"],
                                               ["type": "string", "pattern": "^(\(octet)\\.){3}\(octet)/(3[0-2]|[12]?[0-9])$"],
                                               ["type": "string", "pattern": "^[0-9a-fA-F:.]{2,45}/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$",
                                                "description": "an IPv6 address, as above, with a prefix length"]],
                                     "description": "IPv4 or IPv6 address or CIDR prefix; sets ethertype when it is not given"]
        return [
            ("ethertype", ["type": ["string", "null"], "pattern": "^[Ii][Pp][Vv][46]$",
                           "description": "IPv4 or IPv6 (case-insensitive); null with no prefix: both"]),
            ("protocol", ["type": ["string", "integer", "null"], "maxLength": 40, "minimum": 0, "maximum": 255,
                          "description": "IP protocol: a name (tcp, udp, sctp, icmp, icmpv6, ... as Neutron's security groups) or a number 0-255; null or any: every protocol"]),
            ("source_ip_prefix", prefix), ("destination_ip_prefix", prefix),
            ("source_port_range_min", port.merging(["description": "Needs protocol tcp, udp or sctp; an absent end is 0 or 65535"])),
            ("source_port_range_max", port),
            ("destination_port_range_min", port.merging(["description": "Needs protocol tcp, udp or sctp; an absent end is 0 or 65535"])),
            ("destination_port_range_max", port),
        ]
    }()

    static let resources: [Resource] = [services, flows, mirrors]

    static let services: Resource = {
        let ports: JSONValue = [
            "type": "array", "minItems": 1, "maxItems": 16, "items": ["type": "string", "minLength": 1, "maxLength": 255],
            "description": "Tool ports (extension taas-tool-balancing), the first being port_id: each copy goes to exactly one, chosen by a symmetric hash of its IP addresses, protocol and TCP/UDP/SCTP ports, so both directions of a connection reach the same tool; a tool whose port is down gives its share to the others",
        ]
        let own: [(String, JSONValue)] = [("port_id", text.merging(["description": "Destination port (its iface-id); receives the copies"])),
                                          ("port_ids", ports), ("snaplen", snaplen)]
        return Resource(plural: "tap_services", singular: "tap_service", title: "TapService", create: common + own + rateLimit,
                        required: ["port_id"], shown: [("id", uuid), ("status", status), ("status_reason", statusReason)],
                        updatable: [("snaplen", snaplen)] + rateLimit)
    }()

    static let flows: Resource = {
        let vlans: JSONValue = ["type": ["string", "null"], "maxLength": 1024, "pattern": "^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$",
                                "description": "VLAN ids (0-4095) and ranges such as 9,18,27-36; null copies every VLAN"]
        let own: [(String, JSONValue)] = [
            ("tap_service_id", uuid),
            ("source_port", text.merging(["description": "Port (iface-id) whose traffic is copied"])),
            ("direction", direction.merging(["description": "OUT: frames the port sends; IN: frames delivered to it"])),
            ("vlan_filter", vlans),
        ]
        return Resource(plural: "tap_flows", singular: "tap_flow", title: "TapFlow", create: common + own + trafficFilter,
                        required: ["tap_service_id", "source_port", "direction"],
                        shown: [("id", uuid), ("status", status), ("status_reason", statusReason)])
    }()

    static let mirrors: Resource = {
        let directions: JSONValue = [
            "type": "object", "minProperties": 1, "additionalProperties": false, "properties": ["IN": keyOrText, "OUT": keyOrText, "BOTH": keyOrText],
            "description": "Tunnel key per direction, unique among tap mirrors (an integer; on create also as decimal text, as neutron-lib takes it and the CLI's --directions IN=101 sends it)",
        ]
        let own: [(String, JSONValue)] = [
            ("port_id", text.merging(["description": "Source port (its iface-id)"])),
            ("directions", directions),
            ("remote_ip", ["type": "string", "anyOf": [["format": "ipv4"], ["format": "ipv6"]]]),
            ("mirror_type", ["type": "string", "enum": ["erspanv1", "gre"]]),
            ("snaplen", snaplen),
        ]
        return Resource(plural: "tap_mirrors", singular: "tap_mirror", title: "TapMirror", create: common + own + rateLimit,
                        required: ["port_id", "directions", "remote_ip", "mirror_type"],
                        shown: [("id", uuid), ("status", status), ("status_reason", statusReason)], updatable: [("snaplen", snaplen)] + rateLimit)
    }()

    static let key: JSONValue = ["type": "integer", "minimum": 0, "maximum": 4_294_967_295]
    static let keyOrText: JSONValue = ["anyOf": [key, ["type": "string", "pattern": "^ *[0-9]{1,10} *$"]]]

    static let nodeFields = ["bridge", "datapath_id", "encap_ip", "fail_mode", "id", "name", "openflow", "ovsdb", "tunnel_ports"]

    static let portFields = ["id", "name", "mac_address", "binding:host_id", "tenant_id", "project_id", "status"]

    static var schemas: JSONValue {
        var out: JSONValue = [
            "Error": object(["NeutronError": object(["type": ["type": "string"], "message": ["type": "string"], "detail": ["type": "string"]],
                                                    required: ["type", "message", "detail"])], required: ["NeutronError"]),
            "Extension": object(["alias": ["type": "string"], "name": ["type": "string"], "description": ["type": "string"],
                                 "updated": ["type": "string"], "links": ["type": "array"]],
                                required: ["alias", "name", "description", "updated", "links"]),
            "Version": object(["id": ["type": "string"], "status": ["type": "string"],
                               "links": ["type": "array", "items": ref("Link")]], required: ["id", "status", "links"]),
            "Link": object(["rel": ["type": "string"], "href": ["type": "string"]], required: ["rel", "href"]),
            "Port": object([
                "id": ["type": "string"], "name": ["type": "string"],
                "mac_address": ["type": "string", "pattern": "^([0-9a-f]{2}:){5}[0-9a-f]{2}$"],
                "binding:host_id": ["type": "string", "description": "The node's Open vSwitch system-id"],
                "tenant_id": ["type": "string"], "project_id": ["type": "string"],
                "status": ["type": "string", "enum": ["ACTIVE", "DOWN"]],
            ], required: []),
            "TapFlowStatistics": object([
                "tap_flow_id": uuid,
                "packets": ["type": "integer", "minimum": 0], "bytes": ["type": "integer", "minimum": 0],
                "counted": ["type": "boolean", "description": "False until a bridge holding the tap flow's copies has been read"],
            ], required: ["tap_flow_id", "packets", "bytes", "counted"]),
            "Status": object([
                "nodes": ["type": "integer"], "openflow_connected": ["type": "integer"], "ovsdb_connected": ["type": "integer"],
                "statistics_reads": ["type": "integer"],
                "tap_services": ref("StatusCounts"), "tap_flows": ref("StatusCounts"), "tap_mirrors": ref("StatusCounts"),
                "replication": ref("Replication"),
            ], required: ["nodes", "openflow_connected", "ovsdb_connected", "statistics_reads", "tap_services", "tap_flows", "tap_mirrors"]),
            "Replication": object([
                "replica": ["type": "string", "description": "This replica's id (new at every start)"],
                "role": ["type": "string", "enum": ["leader", "follower"]],
                "epoch": ["type": "integer", "description": "The lease's epoch: one more at every takeover; the leader's generation_id"],
                "leader": ["type": ["string", "null"], "description": "The lease holder's id, while someone holds it"],
                "leader_name": ["type": ["string", "null"]],
                "takeovers": ["type": "integer", "description": "Times this replica took the lease"],
                "replicas": ["type": "array", "items": object([
                    "id": ["type": "string"], "name": ["type": "string"], "api": ["type": "string"], "leader": ["type": "boolean"],
                    "last_seen_ms": ["type": "integer"],
                ], required: ["id", "name", "api", "leader", "last_seen_ms"])],
                "bridges": ["type": "array", "description": "This replica's OpenFlow role on each connected bridge", "items": object([
                    "datapath_id": ["type": "string"], "role": ["type": "string", "enum": ["master", "slave", "equal", "unknown"]],
                ], required: ["datapath_id", "role"])],
            ], required: ["replica", "role", "epoch", "leader", "leader_name", "takeovers", "replicas", "bridges"]),
            "StatusCounts": object(["ACTIVE": ["type": "integer"], "DOWN": ["type": "integer"], "ERROR": ["type": "integer"]],
                                   required: ["ACTIVE", "DOWN", "ERROR"]),
            "Node": object([
                "id": ["type": "string", "description": "external_ids:system-id"],
                "name": ["type": "string", "description": "external_ids:hostname, or the id"],
                "bridge": ["type": "string"],
                "datapath_id": ["type": ["string", "null"], "pattern": "^[0-9a-f]{16}$"],
                "encap_ip": ["type": ["string", "null"], "description": "external_ids:taas-encap-ip, the tunnel endpoint"],
                "fail_mode": ["type": ["string", "null"]],
                "openflow": ["type": "string", "enum": ["connected", "disconnected"]],
                "ovsdb": ["type": "string", "enum": ["connected", "disconnected"]],
                "tunnel_ports": ["type": "object", "additionalProperties": ["type": "integer"],
                                 "description": "Ports taasd manages on the bridge, name to OpenFlow port"],
            ], required: []),
        ]
        for r in resources {
            var shown: JSONValue = [:]
            for (k, v) in r.create + r.shown { shown[k] = v }
            // Shown resources always carry every attribute (fields= may trim them, hence none required).
            out[r.title] = object(shown, required: [])
            var create: JSONValue = [:]
            for (k, v) in r.create { create[k] = v }
            out[r.title + "Create"] = object(create, required: r.required)
            var update: JSONValue = ["name": text, "description": text]
            for (k, v) in r.updatable { update[k] = v }
            out[r.title + "Update"] = object(update, required: [])
        }
        return out
    }

    static func collection(_ r: Resource) -> JSONValue {
        // Every attribute with a value of its own filters and sorts; an object (directions) does not.
        let fieldNames = (r.create + r.shown).map(\.0).filter { $0 != "directions" }.sorted()
        return [
            "get": [
                "operationId": "list\(r.title)s", "summary": "List \(r.plural.replacingOccurrences(of: "_", with: " "))",
                "parameters": listParameters(fieldNames),
                "responses": listLinks(ok(200, "Those visible to the caller", listEnvelope(r.plural, r.title)), r),
            ],
            "post": [
                "operationId": "create\(r.title)", "summary": "Create one, or several at once (all or nothing)",
                "requestBody": ["required": true, "content": json(["oneOf": [
                    envelope(r.singular, ref("\(r.title)Create")),
                    envelope(r.plural, ["type": "array", "minItems": 1, "items": ref("\(r.title)Create")]),
                ]])],
                "responses": linked(ok(201, "Created (DOWN until the switches confirm)", ["oneOf": [
                    envelope(r.singular, ref(r.title)),
                    envelope(r.plural, ["type": "array", "items": ref(r.title)]),
                ]], errors: ["400", "403", "404", "409", "413", "503"]), r),
            ],
        ]
    }

    /// A listed resource leads to its show, update and delete, as a created one does.
    static func listLinks(_ responses: JSONValue, _ r: Resource) -> JSONValue {
        var out = responses
        guard var listed = out["200"] else { return out }
        let id = "$response.body#/\(r.plural)/0/id"
        listed["links"] = .object(["ShowListed" + r.title: ["operationId": "show\(r.title)", "parameters": ["id": .string(id)]],
                                   "UpdateListed" + r.title: ["operationId": "update\(r.title)", "parameters": ["id": .string(id)]],
                                   "DeleteListed" + r.title: ["operationId": "delete\(r.title)", "parameters": ["id": .string(id)]]])
        out["200"] = listed
        return out
    }

    /// Listed ports lead to what can be made on them: a tap service or a tap mirror on one, a tap
    /// flow from another (stateful testers start from real ports this way).
    static func portLinks(_ responses: JSONValue) -> JSONValue {
        var out = responses
        guard var listed = out["200"] else { return out }
        listed["links"] = [
            "TapServiceOnPort": ["operationId": "createTapService", "requestBody": ["tap_service": ["port_id": "$response.body#/ports/0/id"]]],
            "TapMirrorOnPort": ["operationId": "createTapMirror", "requestBody": ["tap_mirror": ["port_id": "$response.body#/ports/1/id"]]],
            "TapFlowFromPort": ["operationId": "createTapFlow", "requestBody": ["tap_flow": ["source_port": "$response.body#/ports/2/id"]]],
        ]
        out["200"] = listed
        return out
    }

    /// A created resource (created alone) leads to its show, update and delete: the links that
    /// stateful clients and testers follow; a tap service also to a tap flow into it.
    static func linked(_ responses: JSONValue, _ r: Resource) -> JSONValue {
        var out = responses
        guard var created = out["201"] else { return out }
        let id = "$response.body#/\(r.singular)/id"
        var links: [String: JSONValue] = [
            "Show" + r.title: ["operationId": "show\(r.title)", "parameters": ["id": .string(id)]],
            "Update" + r.title: ["operationId": "update\(r.title)", "parameters": ["id": .string(id)]],
            "Delete" + r.title: ["operationId": "delete\(r.title)", "parameters": ["id": .string(id)]],
        ]
        if r.plural == "tap_services" {
            links["TapFlowIntoService"] = ["operationId": "createTapFlow", "requestBody": ["tap_flow": ["tap_service_id": .string(id)]]]
        }
        if r.plural == "tap_flows" {
            links["StatisticsOfTapFlow"] = ["operationId": "showTapFlowStatistics", "parameters": ["id": .string(id)]]
        }
        created["links"] = .object(links)
        out["201"] = created
        return out
    }

    static func item(_ r: Resource) -> JSONValue {
        [
            "parameters": [["name": "id", "in": "path", "required": true, "schema": uuid]],
            "get": [
                "operationId": "show\(r.title)", "summary": "Show one",
                "parameters": [["name": "fields", "in": "query", "schema": ["type": "string"], "description": "Attributes to return (repeatable)"]],
                "responses": ok(200, "The resource", envelope(r.singular, ref(r.title)), errors: ["400", "404"]),
            ],
            "put": [
                "operationId": "update\(r.title)", "summary": .string(r.updatable.isEmpty ? "Update name and description (nothing else can change)"
                    : "Update name, description or " + r.updatable.map(\.0).joined(separator: ", ")),
                "requestBody": ["required": true, "content": json(envelope(r.singular, ref("\(r.title)Update")))],
                "responses": ok(200, "The updated resource", envelope(r.singular, ref(r.title)), errors: ["400", "403", "404", "413", "503"]),
            ],
            "delete": [
                "operationId": "delete\(r.title)",
                "summary": .string(r.plural == "tap_services" ? "Delete; its tap flows are deleted with it" : "Delete"),
                "responses": (["204": ["description": "Deleted"]] as JSONValue).merging(errorResponses(["400", "403", "404", "503"])),
            ],
        ]
    }

    static func listParameters(_ fields: [String]) -> JSONValue {
        var p: [JSONValue] = [
            ["name": "fields", "in": "query", "schema": ["type": "string"], "description": "Attributes to return (repeatable)"],
            ["name": "sort_key", "in": "query", "schema": ["type": "string", "enum": JSONValue(fields)], "description": "Repeatable"],
            ["name": "sort_dir", "in": "query", "schema": ["type": "string", "enum": ["asc", "desc"]],
             "description": "One per sort_key (repeatable with it); alone, the order of id"],
            ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 0], "description": "Page size; 0 means no limit"],
            ["name": "marker", "in": "query", "schema": ["type": "string"], "description": "Id of the last item of the previous page"],
        ]
        for f in fields {
            p.append(["name": .string(f), "in": "query", "schema": ["type": "string"], "description": "Only those whose \(f) is this (repeat for any of several)"])
        }
        return .array(p)
    }

    static func discovery(_ id: String, _ summary: String, _ what: String) -> JSONValue {
        ["operationId": .string(id), "summary": .string(summary), "security": [],
         "responses": ["200": ["description": .string(summary), "content": json(envelope("versions", ["type": "array", "items": ref("Version")]))]]]
    }

    static func listEnvelope(_ plural: String, _ item: String) -> JSONValue {
        object(.object([plural: ["type": "array", "items": ref(item)], plural + "_links": ["type": "array", "items": ref("Link")]]), required: [plural])
    }

    static func envelope(_ key: String, _ schema: JSONValue) -> JSONValue { object(.object([key: schema]), required: [key]) }

    static func object(_ properties: JSONValue, required: [String]) -> JSONValue {
        ["type": "object", "properties": properties, "required": JSONValue(required.sorted()), "additionalProperties": false]
    }

    static func ref(_ name: String) -> JSONValue { ["$ref": "#/components/schemas/\(name)"] }
    static func json(_ schema: JSONValue) -> JSONValue { ["application/json": ["schema": schema]] }

    static func ok(_ code: Int, _ description: String, _ schema: JSONValue, errors: [String] = ["400"]) -> JSONValue {
        JSONValue.object(["\(code)": ["description": .string(description), "content": json(schema)]]).merging(errorResponses(errors))
    }

    static let errorMeaning = ["400": "Bad input; the message names the field and the problem", "401": "Missing or unknown X-Auth-Token",
                               "403": "The caller's role does not allow it", "404": "No such resource visible to the caller",
                               "409": "Conflicts with existing policy (port in use, key taken, quota)", "413": "Body too large",
                               "503": "The policy store did not take the write (its database unreachable or not answering); nothing was changed"]

    static func errorResponses(_ codes: [String]) -> JSONValue {
        var out: JSONValue = [:]
        for c in codes + ["401"] { out[c] = ["description": .string(errorMeaning[c] ?? ""), "content": json(ref("Error"))] }
        return out
    }
}
