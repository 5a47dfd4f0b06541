/// Tap service ports must receive only copies, but normal forwarding floods broadcasts and
/// unknown unicast to every port of a VLAN (and OpenFlow 1.3 cannot mark a port no-flood). So a
/// service port is moved to a VLAN of its own, and given back its own tag when it stops being a
/// service port. The original tag is kept in `external_ids:taas-original-tag` ("none" for
/// untagged) so that it survives restarts.
public enum ServicePortIsolation {
    public static let marker = "taas-original-tag"

    /// The operations that isolate exactly the ports whose interface iface-id is in `services`.
    public static func operations(bridge: NodeView.Bridge, services: Set<String>, vlan: UInt16) -> [JSONValue] {
        var ops: [JSONValue] = []
        for p in bridge.ports where p.externalIDs[ManagedPort.marker] != "true" {
            let ids = p.interfaces.compactMap { $0.externalIDs["iface-id"] }
            let isService = ids.contains { services.contains($0) }
            let original = p.externalIDs[marker]
            let whereUUID: JSONValue = [["_uuid", "==", ["uuid", .string(p.uuid)]]]
            if isService {
                var mutations: [JSONValue] = []
                if original == nil {
                    let saved = p.tag.map { String($0) } ?? "none"
                    mutations.append(["external_ids", "insert", ["map", [[.string(marker), .string(saved)]]]])
                }
                if p.tag != vlan || original == nil {
                    ops.append(["op": "update", "table": "Port", "where": whereUUID, "row": ["tag": .int(Int64(vlan))]])
                }
                if !mutations.isEmpty { ops.append(["op": "mutate", "table": "Port", "where": whereUUID, "mutations": .array(mutations)]) }
            } else if let original {
                let tag: JSONValue = UInt16(original).map { .int(Int64($0)) } ?? ["set", []]
                ops.append(["op": "update", "table": "Port", "where": whereUUID, "row": ["tag": tag]])
                ops.append(["op": "mutate", "table": "Port", "where": whereUUID,
                            "mutations": [["external_ids", "delete", ["set", [.string(marker)]]]]])
            }
        }
        return ops
    }
}
