import TaaSPolicy

/// The name of a tap mirror's port for one direction key: `tm` + the mirror id's first 8 hex
/// digits + i, o or b.
public enum MirrorPortName {
    public static func make(_ id: ResourceID, _ direction: Direction) -> String {
        let suffix = switch direction {
        case .in: "i"
        case .out: "o"
        case .both: "b"
        }
        return "tm\(id.rawValue.prefix(8))-\(suffix)"
    }
}
