import Foundation
import TaaSPolicy

/// Resources as Neutron shows them (`tenant_id` alongside `project_id`, as Neutron does).
enum Render {
    static func service(_ s: TapService) -> [String: Any] {
        ["id": s.id.rawValue, "tenant_id": s.projectID, "project_id": s.projectID, "name": s.name, "description": s.description,
         "port_id": s.portID, "status": s.status.rawValue, "status_reason": reason(s.statusReason)]
    }

    static func flow(_ f: TapFlow) -> [String: Any] {
        ["id": f.id.rawValue, "tenant_id": f.projectID, "project_id": f.projectID, "name": f.name, "description": f.description,
         "tap_service_id": f.tapServiceID.rawValue, "source_port": f.sourcePort, "direction": f.direction.rawValue,
         "vlan_filter": f.vlanFilter.map { $0.description as Any } ?? NSNull(), "status": f.status.rawValue,
         "status_reason": reason(f.statusReason)]
    }

    static func mirror(_ m: TapMirror) -> [String: Any] {
        var dirs: [String: Any] = [:]
        for (d, k) in m.directions { dirs[d.rawValue] = Int(k) }
        return ["id": m.id.rawValue, "tenant_id": m.projectID, "project_id": m.projectID, "name": m.name, "description": m.description,
                "port_id": m.portID, "directions": dirs, "remote_ip": m.remoteIP, "mirror_type": m.mirrorType.rawValue,
                "status": m.status.rawValue, "status_reason": reason(m.statusReason)]
    }

    /// Why a resource is in ERROR (the switch's words); null otherwise.
    static func reason(_ r: String?) -> Any { r.map { $0 as Any } ?? NSNull() }

    static func port(_ p: PortRecord) -> [String: Any] {
        ["id": p.id, "name": p.name, "mac_address": p.macAddress, "binding:host_id": p.hostID, "tenant_id": p.projectID,
         "project_id": p.projectID, "status": p.up ? "ACTIVE" : "DOWN"]
    }
}
