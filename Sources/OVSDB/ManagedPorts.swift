/// Ports taasd itself keeps on a bridge (the flow-based tunnel port, tap mirrors' GRE and ERSPAN
/// ports), marked `external_ids:taas-managed=true` so that nothing else is ever touched.
public struct ManagedPort: Hashable, Sendable {
    public var name: String
    public var type: String
    public var options: [String: String]
    /// An access VLAN that keeps the port out of normal forwarding's floods (port-based tunnels
    /// would otherwise get every broadcast); nil for none.
    public var tag: UInt16?

    public init(name: String, type: String, options: [String: String], tag: UInt16? = nil) {
        self.name = name; self.type = type; self.options = options; self.tag = tag
    }

    public static let marker = "taas-managed"

    /// The flow-based tunnel port: remote IP and key come from each packet's flow.
    public static func tunnel(type: String, localIP: String?) -> ManagedPort {
        var options = ["remote_ip": "flow", "key": "flow"]
        if let localIP { options["local_ip"] = localIP }
        return ManagedPort(name: "taas-tun", type: type, options: options)
    }
}

/// The OVSDB operations that make a bridge's managed ports what is desired: insert the missing,
/// update those whose type or options differ, remove those no longer wanted. Empty when the bridge
/// already matches, so applying it again changes nothing.
public enum ManagedPortPlan {
    public static func operations(bridge: NodeView.Bridge, desired: [ManagedPort]) -> [JSONValue] {
        let existing = bridge.ports.filter { $0.externalIDs[ManagedPort.marker] == "true" }
        var ops: [JSONValue] = []
        var inserted: [JSONValue] = []
        let where_: (String) -> JSONValue = { uuid in [["_uuid", "==", ["uuid", .string(uuid)]]] }
        for (n, want) in desired.sorted(by: { $0.name < $1.name }).enumerated() {
            if let have = existing.first(where: { $0.name == want.name }), let iface = have.interfaces.first {
                if iface.type != want.type || iface.options != want.options {
                    ops.append(["op": "update", "table": "Interface", "where": where_(iface.uuid),
                                "row": ["type": .string(want.type), "options": Datum.stringMap(want.options).json]])
                }
                if have.tag != want.tag {
                    ops.append(["op": "update", "table": "Port", "where": where_(have.uuid), "row": ["tag": Self.tag(want.tag)]])
                }
                continue
            }
            // A port of that name that is not ours is left alone (the insert would clash with it).
            if bridge.ports.contains(where: { $0.name == want.name }) { continue }
            let marker = Datum.stringMap([ManagedPort.marker: "true"]).json
            ops.append(["op": "insert", "table": "Interface", "uuid-name": .string("i\(n)"),
                        "row": ["name": .string(want.name), "type": .string(want.type), "options": Datum.stringMap(want.options).json,
                                "external_ids": marker]])
            ops.append(["op": "insert", "table": "Port", "uuid-name": .string("p\(n)"),
                        "row": ["name": .string(want.name), "interfaces": ["named-uuid", .string("i\(n)")], "external_ids": marker,
                                "tag": Self.tag(want.tag)]])
            inserted.append(["named-uuid", .string("p\(n)")])
        }
        let unwanted = existing.filter { have in !desired.contains { $0.name == have.name } }.map { JSONValue.array(["uuid", .string($0.uuid)]) }
        if !inserted.isEmpty {
            ops.append(["op": "mutate", "table": "Bridge", "where": where_(bridge.uuid),
                        "mutations": [["ports", "insert", ["set", .array(inserted)]]]])
        }
        if !unwanted.isEmpty {
            // Port and Interface rows are not roots: removing the reference deletes them.
            ops.append(["op": "mutate", "table": "Bridge", "where": where_(bridge.uuid),
                        "mutations": [["ports", "delete", ["set", .array(unwanted)]]]])
        }
        return ops
    }

    static func tag(_ t: UInt16?) -> JSONValue { t.map { .int(Int64($0)) } ?? ["set", []] }
}
