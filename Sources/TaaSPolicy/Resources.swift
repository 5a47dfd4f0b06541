/// A TaaS resource's id: a UUID, written in canonical lowercase text as Neutron writes them.
/// Kept as its 128 bits: ids are everywhere (a hundred thousand tap flows name a hundred thousand
/// more), and as text each would be a heap string of its own.
public struct ResourceID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let hi: UInt64
    public let lo: UInt64

    /// Accepts a UUID in any case, with hyphens; nil otherwise.
    public init?(_ text: String) {
        var hi: UInt64 = 0, lo: UInt64 = 0, digits = 0
        for (i, c) in text.utf8.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return nil }
                continue
            }
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if digits < 16 { hi = hi << 4 | UInt64(v) } else { lo = lo << 4 | UInt64(v) }
            digits += 1
            guard digits <= 32 else { return nil }
        }
        guard digits == 32, text.utf8.count == 36 else { return nil }
        self.hi = hi
        self.lo = lo
    }

    private init(hi: UInt64, lo: UInt64) {
        self.hi = hi
        self.lo = lo
    }

    /// A random (version 4) id: two draws from the generator (the system's costs a system call each).
    public static func random<G: RandomNumberGenerator>(using g: inout G) -> ResourceID {
        ResourceID(hi: g.next() & 0xffff_ffff_ffff_0fff | 0x4000, lo: g.next() & 0x3fff_ffff_ffff_ffff | 0x8000_0000_0000_0000)
    }

    /// A time-ordered (version 7, RFC 9562) id: `millis` since 1970 in the first 48 bits, then
    /// `counter` (12 bits: the order within a millisecond), then 62 random bits.
    public static func timeOrdered<G: RandomNumberGenerator>(millis: UInt64, counter: UInt16, using g: inout G) -> ResourceID {
        ResourceID(hi: (millis & 0xffff_ffff_ffff) << 16 | 0x7000 | UInt64(counter & 0xfff),
                   lo: g.next() & 0x3fff_ffff_ffff_ffff | 0x8000_0000_0000_0000)
    }

    /// The canonical text: 8-4-4-4-12 lowercase hex digits.
    public var rawValue: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (i, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if i == 8 || i == 12 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(hi >> UInt64(shift) & 0xf)])
        }
        for (i, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if i == 0 || i == 4 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(lo >> UInt64(shift) & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public var description: String { rawValue }
    /// The order of the canonical text.
    public static func < (a: Self, b: Self) -> Bool { (a.hi, a.lo) < (b.hi, b.lo) }

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

/// New ids, each after the one before (version 7): a store indexes ids in a B-tree, where ids
/// that grow are added at the end, while random ones rewrite pages all over the index. A bulk
/// create of 2,000 tap flows into SQLite holding 100,000 took three times as long with random ids
/// (and grew with the table). Ids still carry 62 random bits: replicas never make the same one.
public struct IDGenerator: Sendable {
    private var millis: UInt64 = 0
    private var counter: UInt16 = 0

    public init() {}

    /// The next id at `now` (milliseconds since 1970), its random bits from `random`: after
    /// every id before it, also when the clock steps back or more than 4,096 come in one
    /// millisecond (then it runs ahead).
    public mutating func next(now: UInt64, using random: inout some RandomNumberGenerator) -> ResourceID {
        if now > millis {
            millis = now
            counter = 0
        } else if counter < 0xfff {
            counter += 1
        } else {
            millis += 1
            counter = 0
        }
        return .timeOrdered(millis: millis, counter: counter, using: &random)
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
    /// Copies to this service are cut to this many bytes (nil: whole frames).
    public var snaplen: UInt16?
    /// Copies to this service are policed to this rate where they are made (nil: no limit).
    public var rateLimit: RateLimit?
    /// Tool ports beyond `portID` (`port_ids` after the first): each copy goes to exactly one of
    /// them all, chosen by a symmetric hash of its 5-tuple. Empty: every copy to `portID`.
    public var moreTools: [ServiceTool]

    public init(id: ResourceID, projectID: String, name: String, description: String, portID: String, tunnelKey: UInt32,
                snaplen: UInt16? = nil, rateLimit: RateLimit? = nil, moreTools: [ServiceTool] = []) {
        self.id = id; self.projectID = projectID; self.name = name; self.description = description; self.portID = portID
        self.tunnelKey = tunnelKey; self.snaplen = snaplen; self.rateLimit = rateLimit; self.moreTools = moreTools
    }

    /// Every tool port, the first one (`port_id`) first.
    public var portIDs: [String] { [portID] + moreTools.map(\.portID) }
    /// Every tool port with the tunnel key that names it between nodes.
    public var tools: [ServiceTool] { [ServiceTool(portID: portID, tunnelKey: tunnelKey)] + moreTools }
}

/// A tool port of a tap service and its own tunnel key (copies for it from other nodes carry it).
public struct ServiceTool: Hashable, Sendable, Codable {
    public var portID: String
    public var tunnelKey: UInt32
    public init(portID: String, tunnelKey: UInt32) { self.portID = portID; self.tunnelKey = tunnelKey }
}

/// How many tool ports one tap service may spread its copies over.
public enum ServiceTools {
    public static let maximum = 16
}

/// How short a copy may be cut: Open vSwitch refuses less than an Ethernet header.
public enum Snaplen {
    public static let range: ClosedRange<Int> = 14...65535
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
    /// Only frames matching it are copied (nil: every frame).
    public var trafficFilter: TrafficFilter? {
        get { boxedTrafficFilter?.value }
        set { boxedTrafficFilter = newValue.map(Boxed.init) }
    }
    /// Boxed: a filter is some 140 bytes, and most of a hundred thousand tap flows have none.
    private var boxedTrafficFilter: Boxed<TrafficFilter>?

    enum CodingKeys: String, CodingKey {
        case id, projectID, name, description, tapServiceID, sourcePort, direction, vlanFilter
        case boxedTrafficFilter = "trafficFilter"
    }

    public init(id: ResourceID, projectID: String, name: String, description: String, tapServiceID: ResourceID, sourcePort: String,
                direction: Direction, vlanFilter: VLANFilter?, trafficFilter: TrafficFilter? = nil) {
        self.id = id; self.projectID = projectID; self.name = name; self.description = description; self.tapServiceID = tapServiceID
        self.sourcePort = sourcePort; self.direction = direction; self.vlanFilter = vlanFilter
        boxedTrafficFilter = trafficFilter.map(Boxed.init)
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
    /// Copies are cut to this many bytes before encapsulation (nil: whole frames).
    public var snaplen: UInt16?
    /// Copies are policed to this rate (nil: no limit).
    public var rateLimit: RateLimit?

    public init(id: ResourceID, projectID: String, name: String, description: String, portID: String, directions: [Direction: UInt32],
                remoteIP: String, mirrorType: MirrorType, snaplen: UInt16? = nil, rateLimit: RateLimit? = nil) {
        self.id = id; self.projectID = projectID; self.name = name; self.description = description; self.portID = portID
        self.directions = directions; self.remoteIP = remoteIP; self.mirrorType = mirrorType; self.snaplen = snaplen
        self.rateLimit = rateLimit
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

/// Resources whose copies can be truncated and rate limited (an update may change both).
protocol Truncating: Describable {
    var snaplen: UInt16? { get set }
    var rateLimit: RateLimit? { get set }
}

extension TapService: Truncating {}
extension TapFlow: Describable {}
extension TapMirror: Truncating {}
