import OpenFlow

/// What a session knows of its switch once the handshake is done.
public struct SwitchInfo: Hashable, Sendable {
    public var datapathID: UInt64
    public var features: SwitchFeatures
    public var description: SwitchDescription
    public var ports: [PortNumber: PortDescription]

    public init(datapathID: UInt64, features: SwitchFeatures, description: SwitchDescription, ports: [PortNumber: PortDescription]) {
        self.datapathID = datapathID
        self.features = features
        self.description = description
        self.ports = ports
    }

    /// The datapath id as Open vSwitch prints it: 16 hex digits.
    public var datapathIDString: String { DatapathID.format(datapathID) }
}

public enum DatapathID {
    public static func format(_ id: UInt64) -> String {
        let hex = String(id, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }
}

/// A change to a switch's ports, as the rest of the controller sees it.
public enum PortChange: Hashable, Sendable {
    case added(PortDescription)
    case deleted(PortDescription)
    /// The port's description changed; `linkChanged` tells whether link up/down flipped.
    case modified(old: PortDescription, new: PortDescription)

    public var port: PortDescription {
        switch self {
        case .added(let p), .deleted(let p): p
        case .modified(_, let p): p
        }
    }

    public var linkChanged: Bool {
        if case .modified(let old, let new) = self { return old.isLinkDown != new.isLinkDown }
        return false
    }
}

extension SwitchInfo {
    /// Applies a PORT_STATUS to the port table and says what changed (nil when nothing did).
    public mutating func apply(_ status: PortStatus) -> PortChange? {
        let number = status.port.portNumber
        switch status.reason {
        case .delete:
            guard let old = ports.removeValue(forKey: number) else { return .deleted(status.port) }
            return .deleted(old)
        default:
            // ADD for a port we know, or MODIFY for one we don't, are taken for what they describe.
            let old = ports.updateValue(status.port, forKey: number)
            guard let old else { return .added(status.port) }
            return old == status.port ? nil : .modified(old: old, new: status.port)
        }
    }
}

/// What the controller learns about switches, in order, for the rest of it to react to.
public enum SwitchEvent: Hashable, Sendable {
    /// The handshake completed: datapath id, description and ports are known.
    case connected(SwitchInfo)
    /// The session ended (disconnect, keepalive timeout, protocol error, replaced by a newer one).
    case disconnected(datapathID: UInt64, reason: String)
    case portChanged(datapathID: UInt64, PortChange)
}
