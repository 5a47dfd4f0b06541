import Foundation
import TaaSPolicy
import TaaSState

/// Resources as Neutron shows them (`tenant_id` alongside `project_id`, as Neutron does), with
/// the status the controller worked out.
enum Render {
    static func service(_ s: TapService, _ state: ResourceState) -> [String: Any] {
        ["id": s.id.rawValue, "tenant_id": s.projectID, "project_id": s.projectID, "name": s.name, "description": s.description,
         "port_id": s.portID, "status": state.status.rawValue, "status_reason": reason(state.reason)]
    }

    static func flow(_ f: TapFlow, _ state: ResourceState) -> [String: Any] {
        ["id": f.id.rawValue, "tenant_id": f.projectID, "project_id": f.projectID, "name": f.name, "description": f.description,
         "tap_service_id": f.tapServiceID.rawValue, "source_port": f.sourcePort, "direction": f.direction.rawValue,
         "vlan_filter": f.vlanFilter.map { $0.description as Any } ?? NSNull(), "status": state.status.rawValue,
         "status_reason": reason(state.reason)]
    }

    static func mirror(_ m: TapMirror, _ state: ResourceState) -> [String: Any] {
        var dirs: [String: Any] = [:]
        for (d, k) in m.directions { dirs[d.rawValue] = Int(k) }
        return ["id": m.id.rawValue, "tenant_id": m.projectID, "project_id": m.projectID, "name": m.name, "description": m.description,
                "port_id": m.portID, "directions": dirs, "remote_ip": m.remoteIP, "mirror_type": m.mirrorType.rawValue,
                "status": state.status.rawValue, "status_reason": reason(state.reason)]
    }

    /// Lists look their statuses up under one lock.
    static func services(_ all: [TapService], _ board: StatusBoard) -> [[String: Any]] {
        zip(all, board.states(.tapService, all.map(\.id))).map { service($0, $1) }
    }

    static func flows(_ all: [TapFlow], _ board: StatusBoard) -> [[String: Any]] {
        zip(all, board.states(.tapFlow, all.map(\.id))).map { flow($0, $1) }
    }

    static func mirrors(_ all: [TapMirror], _ board: StatusBoard) -> [[String: Any]] {
        zip(all, board.states(.tapMirror, all.map(\.id))).map { mirror($0, $1) }
    }

    /// Why a resource is in ERROR (the switch's words); null otherwise.
    static func reason(_ r: String?) -> Any { r.map { $0 as Any } ?? NSNull() }

    static func port(_ p: PortRecord) -> [String: Any] {
        ["id": p.id, "name": p.name, "mac_address": p.macAddress, "binding:host_id": p.hostID, "tenant_id": p.projectID,
         "project_id": p.projectID, "status": p.up ? "ACTIVE" : "DOWN"]
    }
}
