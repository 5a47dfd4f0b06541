/// A TaaS resource's id: a UUID in canonical lowercase text, as Neutron writes them.
public struct ResourceID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts a UUID in any case, with hyphens; nil otherwise.
    public init?(_ text: String) {
        let t = text.lowercased()
        let groups = t.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12], groups.allSatisfy({ $0.allSatisfy(\.isHexDigit) }) else { return nil }
        rawValue = t
    }

    /// A random (version 4) id.
    public static func random<G: RandomNumberGenerator>(using g: inout G) -> ResourceID {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        bytes[6] = bytes[6] & 0x0f | 0x40
        bytes[8] = bytes[8] & 0x3f | 0x80
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let c = Array(hex)
        let text = String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
        return ResourceID(canonical: text)
    }

    private init(canonical: String) { rawValue = canonical }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ResourceID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(text) is not a UUID"))
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// `ACTIVE` once the switches confirm a resource's flows, `DOWN` until then, `ERROR` when a switch refused them.
/// Runtime state, not policy: the controller works it out and the API shows it beside the resource.
public enum ResourceStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case active = "ACTIVE"
    case down = "DOWN"
    case error = "ERROR"
}

/// Which traffic of the source port a tap flow copies.
public enum Direction: String, Hashable, Sendable, Codable, CaseIterable {
    /// Frames the bridge delivers to the port.
    case `in` = "IN"
    /// Frames the port sends into the bridge.
    case out = "OUT"
    case both = "BOTH"
}

/// TaaS `tap_service`: where mirrored traffic goes.
public struct TapService: Hashable, Sendable, Codable {
    public var id: ResourceID
    public var projectID: String
    public var name: String
    public var description: String
    public var portID: String
    /// The tunnel key that names this service on the wire between nodes.
    public var tunnelKey: UInt32

    public init(id: ResourceID, projectID: String, name: String, description: String, portID: String, tunnelKey: UInt32) {
        self.id = id; self.projectID = projectID; self.name = name; self.description = description; self.portID = portID
        self.tunnelKey = tunnelKey
    }
}

/// TaaS `tap_flow`: a source port feeding a tap service.
public struct TapFlow: Hashable, Sendable, Codable {
    public var id: ResourceID
    public var projectID: String
    public var name: String
    public var description: String
    public var tapServiceID: ResourceID
    public var sourcePort: String
    public var direction: Direction
    public var vlanFilter: VLANFilter?

    public init(id: ResourceID, projectID: String, name: String, description: String, tapServiceID: ResourceID, sourcePort: String,
                direction: Direction, vlanFilter: VLANFilter?) {
        self.id = id; self.projectID = projectID; self.name = name; self.description = description; self.tapServiceID = tapServiceID
        self.sourcePort = sourcePort; self.direction = direction; self.vlanFilter = vlanFilter
    }
}

/// TaaS `tap_mirror`: a source port mirrored to a remote analyzer over GRE or ERSPAN v1.
public struct TapMirror: Hashable, Sendable, Codable {
    public enum MirrorType: String, Hashable, Sendable, Codable, CaseIterable {
        case erspanv1
        case gre
    }

    public var id: ResourceID
    public var projectID: String
    public var name: String
    public var description: String
    public var portID: String
    /// Tunnel key per direction; `BOTH` uses one key for both.
    public var directions: [Direction: UInt32]
    public var remoteIP: String
    public var mirrorType: MirrorType

    public init(id: ResourceID, projectID: String, name: String, description: String, portID: String, directions: [Direction: UInt32],
                remoteIP: String, mirrorType: MirrorType) {
        self.id = id; self.projectID = projectID; self.name = name; self.description = description; self.portID = portID
        self.directions = directions; self.remoteIP = remoteIP; self.mirrorType = mirrorType
    }
}

/// A port the topology reported: its id is the interface's `external_ids:iface-id`.
public struct PortRecord: Hashable, Sendable, Codable {
    public var id: String
    public var name: String
    public var macAddress: String
    /// The node (Open vSwitch system id) it lives on, Neutron's `binding:host_id`.
    public var hostID: String
    public var openflowPort: UInt32?
    /// The port's network: its local VLAN (nil = untagged).
    public var vlan: UInt16?
    public var projectID: String
    public var up: Bool

    public init(id: String, name: String, macAddress: String, hostID: String, openflowPort: UInt32?, vlan: UInt16?, projectID: String, up: Bool) {
        self.id = id
        self.name = name
        self.macAddress = macAddress
        self.hostID = hostID
        self.openflowPort = openflowPort
        self.vlan = vlan
        self.projectID = projectID
        self.up = up
    }
}

/// What every TaaS resource lets an update change.
protocol Describable {
    var name: String { get set }
    var description: String { get set }
}

extension TapService: Describable {}
extension TapFlow: Describable {}
extension TapMirror: Describable {}
