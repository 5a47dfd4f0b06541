import OVSDB
import Pipeline
import TaaSPolicy
import Topology

/// The GRE or ERSPAN v1 ports tap mirrors need: one per direction key, on the node of the
/// mirrored port, toward the analyzer. Pure.
public enum MirrorPorts {
    /// Each port sits in `isolationVLAN` so that normal forwarding never floods into it.
    public static func desired(_ mirrors: [TapMirror], topology: Topology, isolationVLAN: UInt16) -> [String: [ManagedPort]] {
        var out: [String: [ManagedPort]] = [:]
        for m in mirrors {
            guard let node = topology.ports[m.portID]?.node else { continue }
            let v6 = m.remoteIP.contains(":")
            for (direction, key) in m.directions.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                var options = ["remote_ip": m.remoteIP, "key": String(key)]
                let type: String
                switch m.mirrorType {
                case .gre:
                    type = v6 ? "ip6gre" : "gre"
                case .erspanv1:
                    type = v6 ? "ip6erspan" : "erspan"
                    options["erspan_ver"] = "1"
                }
                out[node, default: []].append(ManagedPort(name: name(m.id, direction), type: type, options: options, tag: isolationVLAN))
            }
        }
        return out
    }

    /// The port's name, as the pipeline knows it.
    public static func name(_ id: ResourceID, _ direction: Direction) -> String { MirrorPortName.make(id, direction) }
}
