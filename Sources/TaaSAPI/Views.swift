import Foundation
import TaaSPolicy
import TaaSState

/// A resource as the API shows it, encoded with `Codable` (a list of thousands is encoded in
/// milliseconds; a `[String: Any]` through JSONSerialization took a hundred times longer).
/// `fields=` is honoured while encoding (`ResourceView.only`), and list filters and sorting
/// compare each field as text, as Neutron does.
protocol ResourceView: Encodable, Sendable {
    var id: String { get }
    /// A field's value as filters and sorting compare it (nil: no such field).
    func text(_ field: String) -> String?
}

/// Field names as coding keys.
struct FieldKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension CodingUserInfoKey {
    /// The fields a response keeps (`fields=`), as a `Set<String>`; absent: all.
    static let onlyFields = CodingUserInfoKey(rawValue: "taas.fields")!
}

/// Writes one field, unless `fields=` left it out; nil is written as null, as Neutron does.
struct FieldWriter {
    var container: KeyedEncodingContainer<FieldKey>
    let only: Set<String>?

    init(_ encoder: Encoder) {
        container = encoder.container(keyedBy: FieldKey.self)
        only = encoder.userInfo[.onlyFields] as? Set<String>
    }

    mutating func put<T: Encodable>(_ key: String, _ value: T?) throws {
        guard only?.contains(key) ?? true else { return }
        if let value { try container.encode(value, forKey: FieldKey(key)) } else { try container.encodeNil(forKey: FieldKey(key)) }
    }
}

/// What every TaaS resource shows: identity, owner, name, description and runtime state.
struct CommonFields: Sendable {
    var id, projectID, name, description: String
    var state: ResourceState

    init(id: ResourceID, projectID: String, name: String, description: String, state: ResourceState) {
        self.id = id.rawValue; self.projectID = projectID; self.name = name; self.description = description; self.state = state
    }

    func text(_ field: String) -> String? {
        switch field {
        case "id": id
        case "tenant_id", "project_id": projectID
        case "name": name
        case "description": description
        case "status": state.status.rawValue
        case "status_reason": state.reason ?? ""
        default: nil
        }
    }

    /// The fields every resource starts with, in Neutron's order.
    func putHead(_ w: inout FieldWriter) throws {
        try w.put("id", id); try w.put("tenant_id", projectID); try w.put("project_id", projectID); try w.put("name", name)
        try w.put("description", description)
    }

    /// The fields every resource ends with.
    func putStatus(_ w: inout FieldWriter) throws {
        try w.put("status", state.status.rawValue); try w.put("status_reason", state.reason)
    }
}

struct TapServiceView: ResourceView {
    var common: CommonFields
    var portID: String
    var portIDs: [String]
    var snaplen: Int?
    var rate: RateLimit?
    var id: String { common.id }

    init(_ s: TapService, _ state: ResourceState) {
        common = CommonFields(id: s.id, projectID: s.projectID, name: s.name, description: s.description, state: state)
        portID = s.portID
        portIDs = s.portIDs
        snaplen = s.snaplen.map(Int.init)
        rate = s.rateLimit
    }

    func text(_ field: String) -> String? {
        switch field {
        case "port_id": portID
        case "port_ids": portIDs.joined(separator: ",")
        case "snaplen": snaplen.map(String.init) ?? ""
        default: RateFields.text(rate, field) ?? common.text(field)
        }
    }

    func encode(to encoder: Encoder) throws {
        var w = FieldWriter(encoder)
        try common.putHead(&w)
        try w.put("port_id", portID)
        try w.put("port_ids", portIDs)
        try w.put("snaplen", snaplen)
        try RateFields.put(rate, &w)
        try common.putStatus(&w)
    }
}

struct TapFlowView: ResourceView {
    var common: CommonFields
    var tapServiceID, sourcePort, direction: String
    var vlanFilter: String?
    var traffic: TrafficFilter?
    var id: String { common.id }

    init(_ f: TapFlow, _ state: ResourceState) {
        common = CommonFields(id: f.id, projectID: f.projectID, name: f.name, description: f.description, state: state)
        tapServiceID = f.tapServiceID.rawValue; sourcePort = f.sourcePort; direction = f.direction.rawValue
        vlanFilter = f.vlanFilter?.description
        traffic = f.trafficFilter
    }

    func text(_ field: String) -> String? {
        switch field {
        case "tap_service_id": tapServiceID
        case "source_port": sourcePort
        case "direction": direction
        case "vlan_filter": vlanFilter ?? ""
        default:
            if let t = TrafficFilterFields.text(traffic, field) { t } else { common.text(field) }
        }
    }

    func encode(to encoder: Encoder) throws {
        var w = FieldWriter(encoder)
        try common.putHead(&w)
        try w.put("tap_service_id", tapServiceID); try w.put("source_port", sourcePort); try w.put("direction", direction)
        try w.put("vlan_filter", vlanFilter)
        let t = traffic
        try w.put("ethertype", t?.ethertype?.rawValue); try w.put("protocol", t?.protocol)
        try w.put("source_ip_prefix", t?.sourceIPPrefix?.text); try w.put("destination_ip_prefix", t?.destinationIPPrefix?.text)
        try w.put("source_port_range_min", (t?.sourcePorts?.min).map(Int.init))
        try w.put("source_port_range_max", (t?.sourcePorts?.max).map(Int.init))
        try w.put("destination_port_range_min", (t?.destinationPorts?.min).map(Int.init))
        try w.put("destination_port_range_max", (t?.destinationPorts?.max).map(Int.init))
        try common.putStatus(&w)
    }
}

/// Rate limit attributes of tap services and tap mirrors, with Neutron QoS's names.
enum RateFields {
    static func text(_ r: RateLimit?, _ field: String) -> String? {
        switch field {
        case "max_kbps": (r?.maxKbps).map { String($0) } ?? ""
        case "max_burst_kbps": (r?.maxBurstKbps).map { String($0) } ?? ""
        case "max_kpps": (r?.maxKpps).map { String($0) } ?? ""
        default: nil
        }
    }

    static func put(_ r: RateLimit?, _ w: inout FieldWriter) throws {
        try w.put("max_kbps", (r?.maxKbps).map { Int($0) })
        try w.put("max_burst_kbps", (r?.maxBurstKbps).map { Int($0) })
        try w.put("max_kpps", (r?.maxKpps).map { Int($0) })
    }
}

/// A tap flow's traffic filter attributes, with the names networking-sfc's flow classifier uses.
enum TrafficFilterFields {
    static let names = ["ethertype", "protocol", "source_ip_prefix", "destination_ip_prefix", "source_port_range_min",
                        "source_port_range_max", "destination_port_range_min", "destination_port_range_max"]

    /// A field's text for list filters ("" when unset); nil: not a traffic filter field.
    static func text(_ t: TrafficFilter?, _ field: String) -> String? {
        switch field {
        case "ethertype": t?.ethertype?.rawValue ?? ""
        case "protocol": t?.protocol ?? ""
        case "source_ip_prefix": t?.sourceIPPrefix?.text ?? ""
        case "destination_ip_prefix": t?.destinationIPPrefix?.text ?? ""
        case "source_port_range_min": (t?.sourcePorts?.min).map { String($0) } ?? ""
        case "source_port_range_max": (t?.sourcePorts?.max).map { String($0) } ?? ""
        case "destination_port_range_min": (t?.destinationPorts?.min).map { String($0) } ?? ""
        case "destination_port_range_max": (t?.destinationPorts?.max).map { String($0) } ?? ""
        default: nil
        }
    }
}

struct TapMirrorView: ResourceView {
    var common: CommonFields
    var portID, remoteIP, mirrorType: String
    var directions: [String: Int]
    var snaplen: Int?
    var rate: RateLimit?
    var id: String { common.id }

    init(_ m: TapMirror, _ state: ResourceState) {
        common = CommonFields(id: m.id, projectID: m.projectID, name: m.name, description: m.description, state: state)
        portID = m.portID; remoteIP = m.remoteIP; mirrorType = m.mirrorType.rawValue; snaplen = m.snaplen.map(Int.init)
        rate = m.rateLimit
        var dirs: [String: Int] = [:]
        for (d, k) in m.directions { dirs[d.rawValue] = Int(k) }
        directions = dirs
    }

    func text(_ field: String) -> String? {
        switch field {
        case "port_id": portID
        case "remote_ip": remoteIP
        case "mirror_type": mirrorType
        case "snaplen": snaplen.map(String.init) ?? ""
        default: RateFields.text(rate, field) ?? common.text(field)
        }
    }

    func encode(to encoder: Encoder) throws {
        var w = FieldWriter(encoder)
        try common.putHead(&w)
        try w.put("port_id", portID); try w.put("directions", directions); try w.put("remote_ip", remoteIP)
        try w.put("mirror_type", mirrorType); try w.put("snaplen", snaplen)
        try RateFields.put(rate, &w)
        try common.putStatus(&w)
    }
}

/// A port with Neutron's field names.
struct PortView: ResourceView {
    var id, name, macAddress, hostID, projectID: String
    var up: Bool

    init(_ p: PortRecord) {
        id = p.id; name = p.name; macAddress = p.macAddress; hostID = p.hostID; projectID = p.projectID; up = p.up
    }

    func text(_ field: String) -> String? {
        switch field {
        case "id": id
        case "name": name
        case "mac_address": macAddress
        case "binding:host_id": hostID
        case "tenant_id", "project_id": projectID
        case "status": up ? "ACTIVE" : "DOWN"
        default: nil
        }
    }

    func encode(to encoder: Encoder) throws {
        var w = FieldWriter(encoder)
        try w.put("id", id); try w.put("name", name); try w.put("mac_address", macAddress); try w.put("binding:host_id", hostID)
        try w.put("tenant_id", projectID); try w.put("project_id", projectID); try w.put("status", up ? "ACTIVE" : "DOWN")
    }
}

/// A node (admins only).
struct NodeView: ResourceView {
    var node: NodeSummary
    var id: String { node.id }

    func text(_ field: String) -> String? {
        switch field {
        case "id": node.id
        case "name": node.hostname ?? node.id
        case "bridge": node.bridge
        case "datapath_id": node.datapathID ?? ""
        case "encap_ip": node.encapIP ?? ""
        case "fail_mode": node.failMode ?? ""
        case "openflow": node.openflowConnected ? "connected" : "disconnected"
        case "ovsdb": node.ovsdbConnected ? "connected" : "disconnected"
        case "tunnel_ports": ""
        default: nil
        }
    }

    func encode(to encoder: Encoder) throws {
        var w = FieldWriter(encoder)
        try w.put("id", node.id); try w.put("name", node.hostname ?? node.id); try w.put("bridge", node.bridge)
        try w.put("datapath_id", node.datapathID); try w.put("encap_ip", node.encapIP); try w.put("fail_mode", node.failMode)
        try w.put("openflow", node.openflowConnected ? "connected" : "disconnected")
        try w.put("ovsdb", node.ovsdbConnected ? "connected" : "disconnected")
        try w.put("tunnel_ports", node.tunnelPorts.mapValues { Int($0) })
    }

    static let fields: Set<String> = ["id", "name", "bridge", "datapath_id", "encap_ip", "fail_mode", "openflow", "ovsdb", "tunnel_ports"]
}

/// `{"<key>": value}`, and for lists `"<key>_links"` when there is a next page.
struct Envelope<Value: Encodable>: Encodable {
    var key: String
    var value: Value
    var links: [[String: String]]?

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: FieldKey.self)
        try c.encode(value, forKey: FieldKey(key))
        if let links { try c.encode(links, forKey: FieldKey("\(key)_links")) }
    }
}
