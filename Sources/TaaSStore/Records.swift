import TaaSPolicy
import TaaSState

/// A table's row as a `Codable` record: GRDB reads and writes it in SQLite, `RowDecoder` and
/// `ColumnEncoder` carry it to and from PostgreSQL. Coding keys are the column names.
protocol StoreRecord: Codable, Sendable {
    associatedtype CodingKeys: CodingKey & CaseIterable
    static var table: String { get }
    /// The conflict target of a save (the primary key).
    static var key: [String] { get }
    /// What a save changes in a row already there; empty: such a row is set at creation and stays.
    static var updatable: [String] { get }
    /// A snapshot's order (deterministic reads).
    static var order: String { get }
    /// `StoreStatements.saveSQL(Self.self)`, built once.
    static var saveSQL: String { get }
}

extension StoreRecord {
    static var key: [String] { ["id"] }
    static var order: String { key.joined(separator: ", ") }
    /// The columns, in the order the record encodes them (its coding keys', declared in the
    /// order of its properties; `StoreTests` checks they agree).
    static var columns: [String] { CodingKeys.allCases.map(\.stringValue) }
}

/// What an update may change of a tap service or tap mirror (TaaS's name and description; ours
/// snap length and rate limits).
private let truncatedAndPoliced = ["name", "description", "snaplen", "max_kbps", "max_burst_kbps", "max_kpps"]

struct TapServiceRow: StoreRecord, Hashable {
    static let table = "tap_service"
    static let saveSQL = StoreStatements.saveSQL(Self.self)
    static let updatable = truncatedAndPoliced

    var id, projectID, name, description, portID: String
    var tunnelKey: Int64
    var snaplen, maxKbps, maxBurstKbps, maxKpps: Int64?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, projectID = "project_id", name, description, portID = "port_id", tunnelKey = "tunnel_key", snaplen
        case maxKbps = "max_kbps", maxBurstKbps = "max_burst_kbps", maxKpps = "max_kpps"
    }

    init(_ s: TapService) {
        id = s.id.rawValue; projectID = s.projectID; name = s.name; description = s.description; portID = s.portID
        tunnelKey = Int64(s.tunnelKey); snaplen = s.snaplen.map(Int64.init)
        maxKbps = (s.rateLimit?.maxKbps).map(Int64.init); maxBurstKbps = (s.rateLimit?.maxBurstKbps).map(Int64.init)
        maxKpps = (s.rateLimit?.maxKpps).map(Int64.init)
    }

    /// The schema keeps snap lengths within 14–65535 and rates within 0–2^31-1.
    func policy(tools: [ServiceTool]) throws -> TapService {
        TapService(id: try StoreError.id(id, "tap_service.id"), projectID: projectID, name: name, description: description, portID: portID,
                   tunnelKey: UInt32(truncatingIfNeeded: tunnelKey), snaplen: snaplen.map { UInt16(clamping: $0) },
                   rateLimit: rateLimit(maxKbps, maxBurstKbps, maxKpps), moreTools: tools)
    }
}

/// A load-balanced tap service's tools after the first (`position` 1…15).
struct ServiceToolRow: StoreRecord, Hashable {
    static let table = "tap_service_tool"
    static let saveSQL = StoreStatements.saveSQL(Self.self)
    static let key = ["tap_service_id", "position"]
    static let updatable: [String] = []

    var tapServiceID: String
    var position: Int64
    var portID: String
    var tunnelKey: Int64

    enum CodingKeys: String, CodingKey, CaseIterable { case tapServiceID = "tap_service_id", position, portID = "port_id", tunnelKey = "tunnel_key" }

    static func rows(_ s: TapService) -> [ServiceToolRow] {
        s.moreTools.enumerated().map { ServiceToolRow(tapServiceID: s.id.rawValue, position: Int64($0 + 1), portID: $1.portID, tunnelKey: Int64($1.tunnelKey)) }
    }

    var tool: ServiceTool { ServiceTool(portID: portID, tunnelKey: UInt32(truncatingIfNeeded: tunnelKey)) }
}

struct TapFlowRow: StoreRecord, Hashable {
    static let table = "tap_flow"
    static let saveSQL = StoreStatements.saveSQL(Self.self)
    /// TaaS lets a tap flow's name and description change, nothing else.
    static let updatable = ["name", "description"]

    var id, projectID, name, description, tapServiceID, sourcePort, direction: String
    var vlanFilter, ethertype, `protocol`, sourceIPPrefix, destinationIPPrefix: String?
    var sourcePortRangeMin, sourcePortRangeMax, destinationPortRangeMin, destinationPortRangeMax: Int64?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, projectID = "project_id", name, description, tapServiceID = "tap_service_id", sourcePort = "source_port", direction
        case vlanFilter = "vlan_filter", ethertype, `protocol`, sourceIPPrefix = "source_ip_prefix", destinationIPPrefix = "destination_ip_prefix"
        case sourcePortRangeMin = "source_port_range_min", sourcePortRangeMax = "source_port_range_max"
        case destinationPortRangeMin = "destination_port_range_min", destinationPortRangeMax = "destination_port_range_max"
    }

    init(_ f: TapFlow) {
        let t = f.trafficFilter
        id = f.id.rawValue; projectID = f.projectID; name = f.name; description = f.description; tapServiceID = f.tapServiceID.rawValue
        sourcePort = f.sourcePort; direction = f.direction.rawValue; vlanFilter = f.vlanFilter?.description
        ethertype = t?.ethertype?.rawValue; `protocol` = t?.protocol
        sourceIPPrefix = t?.sourceIPPrefix?.text; destinationIPPrefix = t?.destinationIPPrefix?.text
        sourcePortRangeMin = (t?.sourcePorts?.min).map(Int64.init); sourcePortRangeMax = (t?.sourcePorts?.max).map(Int64.init)
        destinationPortRangeMin = (t?.destinationPorts?.min).map(Int64.init); destinationPortRangeMax = (t?.destinationPorts?.max).map(Int64.init)
    }

    /// Read back through the policy's own parsers: a row the policy would refuse is an error.
    func policy() throws -> TapFlow {
        guard let d = Direction(rawValue: direction) else { throw StoreError("tap_flow \(id): bad direction \(direction)") }
        let vlans = try vlanFilter.map { text throws in
            do { return try VLANFilter(parsing: text) } catch { throw StoreError("tap_flow \(id): bad vlan_filter \(text)") }
        }
        let traffic: TrafficFilter?
        do {
            traffic = try TrafficFilter.make(.init(
                ethertype: ethertype, protocol: `protocol`, sourceIPPrefix: sourceIPPrefix, destinationIPPrefix: destinationIPPrefix,
                sourcePortMin: sourcePortRangeMin.map { Int($0) }, sourcePortMax: sourcePortRangeMax.map { Int($0) },
                destinationPortMin: destinationPortRangeMin.map { Int($0) }, destinationPortMax: destinationPortRangeMax.map { Int($0) }))
        } catch { throw StoreError("tap_flow \(id): bad traffic filter: \(error.message)") }
        return TapFlow(id: try StoreError.id(id, "tap_flow.id"), projectID: projectID, name: name, description: description,
                       tapServiceID: try StoreError.id(tapServiceID, "tap_flow.tap_service_id"), sourcePort: sourcePort, direction: d,
                       vlanFilter: vlans, trafficFilter: traffic)
    }
}

struct TapMirrorRow: StoreRecord, Hashable {
    static let table = "tap_mirror"
    static let saveSQL = StoreStatements.saveSQL(Self.self)
    static let updatable = truncatedAndPoliced

    var id, projectID, name, description, portID, remoteIP, mirrorType: String
    var snaplen, maxKbps, maxBurstKbps, maxKpps: Int64?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, projectID = "project_id", name, description, portID = "port_id", remoteIP = "remote_ip", mirrorType = "mirror_type", snaplen
        case maxKbps = "max_kbps", maxBurstKbps = "max_burst_kbps", maxKpps = "max_kpps"
    }

    init(_ m: TapMirror) {
        id = m.id.rawValue; projectID = m.projectID; name = m.name; description = m.description; portID = m.portID; remoteIP = m.remoteIP
        mirrorType = m.mirrorType.rawValue; snaplen = m.snaplen.map(Int64.init)
        maxKbps = (m.rateLimit?.maxKbps).map(Int64.init); maxBurstKbps = (m.rateLimit?.maxBurstKbps).map(Int64.init)
        maxKpps = (m.rateLimit?.maxKpps).map(Int64.init)
    }

    func policy(keys: [Direction: UInt32]) throws -> TapMirror {
        guard let type = TapMirror.MirrorType(rawValue: mirrorType) else { throw StoreError("tap_mirror \(id): bad mirror_type \(mirrorType)") }
        return TapMirror(id: try StoreError.id(id, "tap_mirror.id"), projectID: projectID, name: name, description: description, portID: portID,
                         directions: keys, remoteIP: remoteIP, mirrorType: type, snaplen: snaplen.map { UInt16(clamping: $0) },
                         rateLimit: rateLimit(maxKbps, maxBurstKbps, maxKpps))
    }
}

/// A tap mirror's tunnel key for one direction (unique across mirrors: the primary key).
struct MirrorKeyRow: StoreRecord, Hashable {
    static let table = "tap_mirror_key"
    static let saveSQL = StoreStatements.saveSQL(Self.self)
    static let key = ["key"]
    static let updatable: [String] = []
    static let order = "tap_mirror_id, direction"

    var key: Int64
    var tapMirrorID: String
    var direction: String

    enum CodingKeys: String, CodingKey, CaseIterable { case key, tapMirrorID = "tap_mirror_id", direction }

    static func rows(_ m: TapMirror) -> [MirrorKeyRow] {
        m.directions.sorted { $0.key.rawValue < $1.key.rawValue }.map { MirrorKeyRow(key: Int64($1), tapMirrorID: m.id.rawValue, direction: $0.rawValue) }
    }
}

struct PortRow: StoreRecord, Hashable {
    static let table = "port"
    static let saveSQL = StoreStatements.saveSQL(Self.self)
    /// A port's row follows what OVSDB says of it.
    static let updatable = ["name", "mac_address", "host_id", "openflow_port", "vlan", "project_id", "up"]

    var id, name, macAddress, hostID: String
    var openflowPort, vlan: Int64?
    var projectID: String
    var up: Int64

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, macAddress = "mac_address", hostID = "host_id", openflowPort = "openflow_port", vlan, projectID = "project_id", up
    }

    init(_ p: PortRecord) {
        id = p.id; name = p.name; macAddress = p.macAddress; hostID = p.hostID; openflowPort = p.openflowPort.map(Int64.init)
        vlan = p.vlan.map(Int64.init); projectID = p.projectID; up = p.up ? 1 : 0
    }

    var policy: PortRecord {
        PortRecord(id: id, name: name, macAddress: macAddress, hostID: hostID, openflowPort: openflowPort.map { UInt32(truncatingIfNeeded: $0) },
                   vlan: vlan.map { UInt16(truncatingIfNeeded: $0) }, projectID: projectID, up: up != 0)
    }
}

private func rateLimit(_ kbps: Int64?, _ burst: Int64?, _ kpps: Int64?) -> RateLimit? {
    let r = RateLimit(maxKbps: kbps.map { UInt32(clamping: $0) }, maxBurstKbps: burst.map { UInt32(clamping: $0) }, maxKpps: kpps.map { UInt32(clamping: $0) })
    return r == RateLimit() ? nil : r
}

/// Every table's rows, as a snapshot reads them; the policy's values from them.
struct StoreRows {
    var services: [TapServiceRow] = []
    var tools: [ServiceToolRow] = []
    var flows: [TapFlowRow] = []
    var mirrors: [TapMirrorRow] = []
    var keys: [MirrorKeyRow] = []
    var ports: [PortRow] = []

    func snapshot() throws -> PolicySnapshot {
        var toolsOf: [String: [ServiceTool]] = [:]
        for t in tools.sorted(by: { ($0.tapServiceID, $0.position) < ($1.tapServiceID, $1.position) }) {
            toolsOf[t.tapServiceID, default: []].append(t.tool)
        }
        var keysOf: [String: [Direction: UInt32]] = [:]
        for k in keys {
            guard let d = Direction(rawValue: k.direction) else { throw StoreError("tap_mirror_key \(k.key): bad direction \(k.direction)") }
            keysOf[k.tapMirrorID, default: [:]][d] = UInt32(truncatingIfNeeded: k.key)
        }
        return PolicySnapshot(services: try services.map { try $0.policy(tools: toolsOf[$0.id] ?? []) }, flows: try flows.map { try $0.policy() },
                              mirrors: try mirrors.map { try $0.policy(keys: keysOf[$0.id] ?? [:]) }, ports: ports.map(\.policy))
    }
}

extension StoreError {
    static func id(_ text: String, _ column: String) throws -> ResourceID {
        guard let id = ResourceID(text) else { throw StoreError("\(column) \(text) is not a UUID") }
        return id
    }
}
