import Foundation
import TaaSPolicy
import TaaSState
import TaaSWire

/// A resource as the API shows it: one of TaaSWire's types, encoded with `Codable` (`fields=`
/// honoured while encoding). List filters and sorting compare each field as text, as Neutron does.
protocol ResourceView: Encodable, Sendable {
    var id: String { get }
    /// A field's value as filters and sorting compare it (nil: no such field).
    func text(_ field: String) -> String?
}

/// The fields every TaaS resource shows alike.
private func commonText(_ field: String, id: String, projectID: String, name: String, description: String, status: String,
                        statusReason: String?) -> String? {
    switch field {
    case "id": id
    case "tenant_id", "project_id": projectID
    case "name": name
    case "description": description
    case "status": status
    case "status_reason": statusReason ?? ""
    default: nil
    }
}

extension TapServiceInfo: ResourceView {
    init(_ s: TapService, _ state: ResourceState) {
        self.init(id: s.id.rawValue, projectID: s.projectID, name: s.name, description: s.description, portID: s.portID, portIDs: s.portIDs,
                  snaplen: s.snaplen.map(Int.init), rateLimit: RateLimitFields(s.rateLimit), status: state.status.rawValue,
                  statusReason: state.reason)
    }

    func text(_ field: String) -> String? {
        switch field {
        case "port_id": portID
        case "port_ids": portIDs.joined(separator: ",")
        case "snaplen": snaplen.map(String.init) ?? ""
        default:
            rateLimit.text(field)
                ?? commonText(field, id: id, projectID: projectID, name: name, description: description, status: status, statusReason: statusReason)
        }
    }
}

extension TapFlowInfo: ResourceView {
    init(_ f: TapFlow, _ state: ResourceState) {
        let t = f.trafficFilter
        self.init(id: f.id.rawValue, projectID: f.projectID, name: f.name, description: f.description, tapServiceID: f.tapServiceID.rawValue,
                  sourcePort: f.sourcePort, direction: f.direction.rawValue, vlanFilter: f.vlanFilter?.description,
                  traffic: TrafficFilterFields(ethertype: t?.ethertype?.rawValue, protocol: t?.protocol, sourceIPPrefix: t?.sourceIPPrefix?.text,
                                               destinationIPPrefix: t?.destinationIPPrefix?.text,
                                               sourcePortRangeMin: (t?.sourcePorts?.min).map(Int.init),
                                               sourcePortRangeMax: (t?.sourcePorts?.max).map(Int.init),
                                               destinationPortRangeMin: (t?.destinationPorts?.min).map(Int.init),
                                               destinationPortRangeMax: (t?.destinationPorts?.max).map(Int.init)),
                  status: state.status.rawValue, statusReason: state.reason)
    }

    func text(_ field: String) -> String? {
        switch field {
        case "tap_service_id": tapServiceID
        case "source_port": sourcePort
        case "direction": direction
        case "vlan_filter": vlanFilter ?? ""
        default:
            traffic.text(field)
                ?? commonText(field, id: id, projectID: projectID, name: name, description: description, status: status, statusReason: statusReason)
        }
    }
}

extension TapMirrorInfo: ResourceView {
    init(_ m: TapMirror, _ state: ResourceState) {
        var dirs: [String: Int] = [:]
        for (d, k) in m.directions { dirs[d.rawValue] = Int(k) }
        self.init(id: m.id.rawValue, projectID: m.projectID, name: m.name, description: m.description, portID: m.portID, directions: dirs,
                  remoteIP: m.remoteIP, mirrorType: m.mirrorType.rawValue, snaplen: m.snaplen.map(Int.init),
                  rateLimit: RateLimitFields(m.rateLimit), status: state.status.rawValue, statusReason: state.reason)
    }

    func text(_ field: String) -> String? {
        switch field {
        case "port_id": portID
        case "remote_ip": remoteIP
        case "mirror_type": mirrorType
        case "snaplen": snaplen.map(String.init) ?? ""
        default:
            rateLimit.text(field)
                ?? commonText(field, id: id, projectID: projectID, name: name, description: description, status: status, statusReason: statusReason)
        }
    }
}

extension RateLimitFields {
    init(_ r: RateLimit?) {
        self.init(maxKbps: (r?.maxKbps).map { Int($0) }, maxBurstKbps: (r?.maxBurstKbps).map { Int($0) }, maxKpps: (r?.maxKpps).map { Int($0) })
    }
}

extension PortInfo: ResourceView {
    init(_ p: PortRecord) {
        self.init(id: p.id, name: p.name, macAddress: p.macAddress, hostID: p.hostID, projectID: p.projectID, status: p.up ? "ACTIVE" : "DOWN")
    }

    func text(_ field: String) -> String? {
        switch field {
        case "id": id
        case "name": name
        case "mac_address": macAddress
        case "binding:host_id": hostID
        case "tenant_id", "project_id": projectID
        case "status": status
        default: nil
        }
    }
}

extension NodeInfo: ResourceView {
    init(_ n: NodeSummary) {
        self.init(id: n.id, name: n.hostname ?? n.id, bridge: n.bridge, datapathID: n.datapathID, encapIP: n.encapIP, failMode: n.failMode,
                  openflow: n.openflowConnected ? "connected" : "disconnected", ovsdb: n.ovsdbConnected ? "connected" : "disconnected",
                  tunnelPorts: n.tunnelPorts.mapValues { Int($0) })
    }

    func text(_ field: String) -> String? {
        switch field {
        case "id": id
        case "name": name
        case "bridge": bridge
        case "datapath_id": datapathID ?? ""
        case "encap_ip": encapIP ?? ""
        case "fail_mode": failMode ?? ""
        case "openflow": openflow
        case "ovsdb": ovsdb
        case "tunnel_ports": ""
        default: nil
        }
    }
}
