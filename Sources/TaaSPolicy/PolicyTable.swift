@_exported import TaaSCollections

/// The TaaS policy: tap services, tap flows, tap mirrors and the port inventory they refer to,
/// with every rule TaaS defines. Pure: the policy service persists what a change did and hands
/// it on as a `PolicyDelta`.
///
/// Changes are made in place and recorded in a journal (`begin`, then `commit` or `rollback`):
/// a write costs what it changes, never a copy of the table. The indexes that the rules need
/// (destination ports, tunnel and mirror keys, counts per project) are kept as the table
/// changes, so no check walks every resource.
public struct PolicyTable: Sendable {
    public struct Configuration: Sendable {
        /// Tunnel keys for tap services; must not overlap the tenant networks' keys.
        public var tunnelKeys: ClosedRange<UInt32>
        public var quotas: Quotas

        public init(tunnelKeys: ClosedRange<UInt32> = 0x00f0_0000...0x00ff_ffff, quotas: Quotas = Quotas()) {
            self.tunnelKeys = tunnelKeys
            self.quotas = quotas
        }
    }

    public let configuration: Configuration
    public private(set) var services = DenseMap<ResourceID, TapService>()
    public private(set) var flows = DenseMap<ResourceID, TapFlow>()
    public private(set) var mirrors = DenseMap<ResourceID, TapMirror>()
    public private(set) var ports = DenseMap<String, PortRecord>()

    // Indexes, derived from the four tables above and kept with them.
    private var serviceByPort: [String: ResourceID] = [:]
    private var usedKeys: Set<UInt32> = []
    /// No tunnel key below this one is free: the lowest free key is handed out, as it always was.
    private var keyCursor: UInt64
    private var flowsByService: [ResourceID: Set<ResourceID>] = [:]
    private var mirrorKeys: Set<UInt32> = []
    private var counts: [String: ProjectCounts] = [:]

    struct ProjectCounts: Sendable {
        var services = 0, flows = 0, mirrors = 0
    }

    /// The values of every key changed since `begin`, as they were then.
    private var journal: Journal?

    struct Journal: Sendable {
        var services: [ResourceID: TapService?] = [:]
        var flows: [ResourceID: TapFlow?] = [:]
        var mirrors: [ResourceID: TapMirror?] = [:]
        var ports: [String: PortRecord?] = [:]
    }

    public init(configuration: Configuration = Configuration(), services: [TapService] = [], flows: [TapFlow] = [],
                mirrors: [TapMirror] = [], ports: [PortRecord] = []) {
        self.configuration = configuration
        keyCursor = UInt64(configuration.tunnelKeys.lowerBound)
        for p in ports { setPort(p.id, p) }
        for s in services { setService(s.id, s) }
        for f in flows { setFlow(f.id, f) }
        for m in mirrors { setMirror(m.id, m) }
    }

    // MARK: Journal

    /// Starts recording changes.
    public mutating func begin() { journal = Journal() }

    /// Undoes every change since `begin`.
    public mutating func rollback() {
        guard let j = journal else { return }
        journal = nil
        for (id, old) in j.flows { setFlow(id, old) }
        for (id, old) in j.mirrors { setMirror(id, old) }
        for (id, old) in j.services { setService(id, old) }
        for (id, old) in j.ports { setPort(id, old) }
    }

    /// What changed since `begin`, resource by resource.
    public var journaled: PolicyDelta {
        guard let j = journal else { return PolicyDelta() }
        var d = PolicyDelta()
        for (id, old) in j.services { d.tapServices[id] = Change(from: old, to: services[id]) }
        for (id, old) in j.flows { d.tapFlows[id] = Change(from: old, to: flows[id]) }
        for (id, old) in j.mirrors { d.tapMirrors[id] = Change(from: old, to: mirrors[id]) }
        for (id, old) in j.ports { d.ports[id] = Change(from: old, to: ports[id]) }
        return d
    }

    /// Ends recording, keeping the changes.
    public mutating func commit() { journal = nil }

    // MARK: The only places the tables change (journal and indexes follow)

    private mutating func setService(_ id: ResourceID, _ new: TapService?) {
        let old = services[id]
        if journal != nil, journal?.services.keys.contains(id) == false { journal?.services[id] = .some(old) }
        if let old {
            for t in old.tools {
                serviceByPort[t.portID] = nil
                usedKeys.remove(t.tunnelKey)
                keyCursor = min(keyCursor, UInt64(t.tunnelKey))
            }
            counts[old.projectID, default: .init()].services -= 1
        }
        services[id] = new
        if let new {
            for t in new.tools {
                serviceByPort[t.portID] = id
                usedKeys.insert(t.tunnelKey)
            }
            counts[new.projectID, default: .init()].services += 1
        }
    }

    private mutating func setFlow(_ id: ResourceID, _ new: TapFlow?) {
        let old = flows[id]
        if journal != nil, journal?.flows.keys.contains(id) == false { journal?.flows[id] = .some(old) }
        if let old {
            counts[old.projectID, default: .init()].flows -= 1
            flowsByService[old.tapServiceID]?.remove(id)
            if flowsByService[old.tapServiceID]?.isEmpty == true { flowsByService[old.tapServiceID] = nil }
        }
        flows[id] = new
        if let new {
            counts[new.projectID, default: .init()].flows += 1
            flowsByService[new.tapServiceID, default: []].insert(id)
        }
    }

    private mutating func setMirror(_ id: ResourceID, _ new: TapMirror?) {
        let old = mirrors[id]
        if journal != nil, journal?.mirrors.keys.contains(id) == false { journal?.mirrors[id] = .some(old) }
        if let old {
            mirrorKeys.subtract(old.directions.values)
            counts[old.projectID, default: .init()].mirrors -= 1
        }
        mirrors[id] = new
        if let new {
            mirrorKeys.formUnion(new.directions.values)
            counts[new.projectID, default: .init()].mirrors += 1
        }
    }

    private mutating func setPort(_ id: String, _ new: PortRecord?) {
        if journal != nil, journal?.ports.keys.contains(id) == false { journal?.ports[id] = .some(ports[id]) }
        ports[id] = new
    }

    // MARK: What other writers did

    /// Takes resources as another writer of a shared store committed them (checked there):
    /// each value replaces the table's, nil removes it. Journaled like any change, so
    /// `journaled` is what this changed; values equal to the table's change nothing.
    public mutating func adopt(services: [ResourceID: TapService?] = [:], flows: [ResourceID: TapFlow?] = [:],
                               mirrors: [ResourceID: TapMirror?] = [:], ports: [String: PortRecord?] = [:]) {
        for (id, p) in ports where self.ports[id] != p { setPort(id, p) }
        // Removals first, so a key or a port freed by one resource is free when another takes it.
        for (id, m) in mirrors where m == nil && self.mirrors[id] != nil { setMirror(id, nil) }
        for (id, f) in flows where f == nil && self.flows[id] != nil { setFlow(id, nil) }
        for (id, s) in services where s == nil && self.services[id] != nil { setService(id, nil) }
        for (id, s) in services { if let s, self.services[id] != s { setService(id, s) } }
        for (id, f) in flows { if let f, self.flows[id] != f { setFlow(id, f) } }
        for (id, m) in mirrors { if let m, self.mirrors[id] != m { setMirror(id, m) } }
    }

    // MARK: Requests

    public struct NewTapService: Sendable {
        public var projectID: String?
        public var name: String
        public var description: String
        public var portID: String
        public var snaplen: Int?
        public var rateLimit: RateLimit.Change
        /// Tool ports after `portID` (`port_ids` less its first), to balance copies over.
        public var morePortIDs: [String]
        public init(projectID: String? = nil, name: String = "", description: String = "", portID: String, snaplen: Int? = nil,
                    rateLimit: RateLimit.Change = .init(), morePortIDs: [String] = []) {
            self.projectID = projectID; self.name = name; self.description = description; self.portID = portID; self.snaplen = snaplen
            self.rateLimit = rateLimit; self.morePortIDs = morePortIDs
        }
    }

    public struct NewTapFlow: Sendable {
        public var projectID: String?
        public var name: String
        public var description: String
        public var tapServiceID: ResourceID
        public var sourcePort: String
        public var direction: Direction
        public var vlanFilter: VLANFilter?
        /// Checked with `TrafficFilter.make`.
        public var trafficFilter: TrafficFilter?
        public init(projectID: String? = nil, name: String = "", description: String = "", tapServiceID: ResourceID,
                    sourcePort: String, direction: Direction, vlanFilter: VLANFilter? = nil, trafficFilter: TrafficFilter? = nil) {
            self.projectID = projectID; self.name = name; self.description = description; self.tapServiceID = tapServiceID
            self.sourcePort = sourcePort; self.direction = direction; self.vlanFilter = vlanFilter; self.trafficFilter = trafficFilter
        }
    }

    public struct NewTapMirror: Sendable {
        public var projectID: String?
        public var name: String
        public var description: String
        public var portID: String
        public var directions: [Direction: UInt32]
        public var remoteIP: String
        public var mirrorType: TapMirror.MirrorType
        public var snaplen: Int?
        public var rateLimit: RateLimit.Change
        public init(projectID: String? = nil, name: String = "", description: String = "", portID: String,
                    directions: [Direction: UInt32], remoteIP: String, mirrorType: TapMirror.MirrorType, snaplen: Int? = nil,
                    rateLimit: RateLimit.Change = .init()) {
            self.projectID = projectID; self.name = name; self.description = description; self.portID = portID
            self.directions = directions; self.remoteIP = remoteIP; self.mirrorType = mirrorType; self.snaplen = snaplen
            self.rateLimit = rateLimit
        }
    }

    /// The fields an update may change: TaaS's name and description, and (tap services and tap
    /// mirrors) the snap length.
    public struct Update: Sendable {
        public var name: String?
        public var description: String?
        /// nil: unchanged; `.some(nil)`: whole frames again.
        public var snaplen: Int??
        /// Each rate attribute: nil unchanged, `.some(nil)` cleared.
        public var rateLimit: RateLimit.Change
        public init(name: String? = nil, description: String? = nil, snaplen: Int?? = nil, rateLimit: RateLimit.Change = .init()) {
            self.name = name; self.description = description; self.snaplen = snaplen; self.rateLimit = rateLimit
        }

        func apply<R: Describable>(to r: inout R) throws(PolicyError) {
            guard snaplen == nil else { throw PolicyError(.badRequest, "InvalidInput", "snaplen: only tap services and tap mirrors have one") }
            guard rateLimit.isEmpty else {
                throw PolicyError(.badRequest, "InvalidInput", "max_kbps, max_burst_kbps, max_kpps: only tap services and tap mirrors have them")
            }
            applyNames(to: &r)
        }

        func apply<R: Truncating>(to r: inout R) throws(PolicyError) {
            if let snaplen { r.snaplen = try PolicyTable.checkSnaplen(snaplen) }
            r.rateLimit = try RateLimit.applying(rateLimit, to: r.rateLimit)
            applyNames(to: &r)
        }

        private func applyNames<R: Describable>(to r: inout R) {
            if let name { r.name = name }
            if let description { r.description = description }
        }
    }

    /// A snap length as stored: nil for whole frames, else within `Snaplen.range`.
    static func checkSnaplen(_ n: Int?) throws(PolicyError) -> UInt16? {
        guard let n else { return nil }
        guard Snaplen.range.contains(n) else {
            throw PolicyError(.badRequest, "InvalidInput",
                              "snaplen: \(n) is not from \(Snaplen.range.lowerBound) to \(Snaplen.range.upperBound) bytes (null: whole frames)")
        }
        return UInt16(n)
    }

    // MARK: Tap services

    public mutating func createTapService(_ r: NewTapService, id: ResourceID, by caller: Caller) throws(PolicyError) -> TapService {
        let project = try owningProject(r.projectID, caller)
        let snaplen = try Self.checkSnaplen(r.snaplen)
        let rate = try RateLimit.applying(r.rateLimit, to: nil)
        let portIDs = [r.portID] + r.morePortIDs
        guard portIDs.count <= ServiceTools.maximum else {
            throw PolicyError(.badRequest, "InvalidInput", "port_ids: \(portIDs.count) ports, at most \(ServiceTools.maximum) tools per tap service")
        }
        var seen: Set<String> = []
        for p in portIDs where !seen.insert(p).inserted {
            throw PolicyError(.badRequest, "InvalidInput", "port_ids: port \(p) is listed twice")
        }
        var ports: [PortRecord] = []
        for p in portIDs {
            let port = try visiblePort(p, caller)
            if let other = serviceByPort[port.id] {
                throw PolicyError(.conflict, "PortInUse", "port \(port.id) is already the destination of tap service \(other)")
            }
            ports.append(port)
        }
        try checkQuota(configuration.quotas.tapServices, counts[project]?.services ?? 0, "tap services", project)
        guard services[id] == nil else { throw PolicyError(.conflict, "TapServiceExists", "tap service \(id) already exists") }
        // One key per tool: copies for a tool on another node name it on the wire.
        var keys: [UInt32] = []
        for _ in ports {
            guard let key = freeKey(skipping: keys) else {
                throw PolicyError(.conflict, "TunnelKeysExhausted", "no free tunnel key left in \(configuration.tunnelKeys)")
            }
            keys.append(key)
        }
        let more = zip(ports, keys).dropFirst().map { ServiceTool(portID: $0.0.id, tunnelKey: $0.1) }
        let s = TapService(id: id, projectID: project, name: r.name, description: r.description, portID: ports[0].id, tunnelKey: keys[0],
                           snaplen: snaplen, rateLimit: rate, moreTools: more)
        setService(id, s)
        return s
    }

    /// The lowest free tunnel key: the search starts at the cursor, below which none is free.
    /// `skipping`: keys handed out for the same service, not yet in use.
    private mutating func freeKey(skipping taken: [UInt32] = []) -> UInt32? {
        let keys = configuration.tunnelKeys
        var k = max(keyCursor, UInt64(keys.lowerBound))
        while k <= UInt64(keys.upperBound), usedKeys.contains(UInt32(k)) || taken.contains(UInt32(k)) { k += 1 }
        if taken.isEmpty { keyCursor = k }
        return k <= UInt64(keys.upperBound) ? UInt32(k) : nil
    }

    public func tapService(_ id: ResourceID, by caller: Caller) throws(PolicyError) -> TapService {
        guard let s = services[id], caller.sees(s.projectID) else {
            throw PolicyError(.notFound, "TapServiceNotFound", "tap service \(id) could not be found")
        }
        return s
    }

    public func tapServices(by caller: Caller) -> [TapService] {
        services.values.filter { caller.sees($0.projectID) }.sorted { $0.id < $1.id }
    }

    public mutating func updateTapService(_ id: ResourceID, _ u: Update, by caller: Caller) throws(PolicyError) -> TapService {
        var s = try tapService(id, by: caller)
        try checkWrite(caller)
        try u.apply(to: &s)
        setService(id, s)
        return s
    }

    /// Deletes the service and its tap flows; returns the ids of the flows deleted with it.
    @discardableResult
    public mutating func deleteTapService(_ id: ResourceID, by caller: Caller) throws(PolicyError) -> [ResourceID] {
        _ = try tapService(id, by: caller)
        try checkWrite(caller)
        let cascade = (flowsByService[id] ?? []).sorted()
        for f in cascade { setFlow(f, nil) }
        setService(id, nil)
        return cascade
    }

    // MARK: Tap flows

    public mutating func createTapFlow(_ r: NewTapFlow, id: ResourceID, by caller: Caller) throws(PolicyError) -> TapFlow {
        let project = try owningProject(r.projectID, caller)
        let service = try tapService(r.tapServiceID, by: caller)
        let port = try visiblePort(r.sourcePort, caller)
        if service.portIDs.contains(port.id) {
            throw PolicyError(.conflict, "PortIsTapServiceDestination",
                              "port \(port.id) is the destination of tap service \(service.id) and cannot also be its source")
        }
        try checkQuota(configuration.quotas.tapFlows, counts[project]?.flows ?? 0, "tap flows", project)
        guard flows[id] == nil else { throw PolicyError(.conflict, "TapFlowExists", "tap flow \(id) already exists") }
        let f = TapFlow(id: id, projectID: project, name: r.name, description: r.description, tapServiceID: service.id,
                        sourcePort: port.id, direction: r.direction, vlanFilter: r.vlanFilter, trafficFilter: r.trafficFilter)
        setFlow(id, f)
        return f
    }

    public func tapFlow(_ id: ResourceID, by caller: Caller) throws(PolicyError) -> TapFlow {
        guard let f = flows[id], caller.sees(f.projectID) else {
            throw PolicyError(.notFound, "TapFlowNotFound", "tap flow \(id) could not be found")
        }
        return f
    }

    public func tapFlows(by caller: Caller) -> [TapFlow] {
        flows.values.filter { caller.sees($0.projectID) }.sorted { $0.id < $1.id }
    }

    public mutating func updateTapFlow(_ id: ResourceID, _ u: Update, by caller: Caller) throws(PolicyError) -> TapFlow {
        var f = try tapFlow(id, by: caller)
        try checkWrite(caller)
        try u.apply(to: &f)
        setFlow(id, f)
        return f
    }

    public mutating func deleteTapFlow(_ id: ResourceID, by caller: Caller) throws(PolicyError) {
        _ = try tapFlow(id, by: caller)
        try checkWrite(caller)
        setFlow(id, nil)
    }

    // MARK: Tap mirrors

    public mutating func createTapMirror(_ r: NewTapMirror, id: ResourceID, by caller: Caller) throws(PolicyError) -> TapMirror {
        let project = try owningProject(r.projectID, caller)
        let port = try visiblePort(r.portID, caller)
        guard !r.directions.isEmpty else { throw PolicyError(.badRequest, "InvalidInput", "directions: give IN, OUT or BOTH with a key") }
        if r.directions[.both] != nil && r.directions.count > 1 {
            throw PolicyError(.badRequest, "InvalidInput", "directions: BOTH cannot be combined with IN or OUT")
        }
        if r.directions.count == 2, Set(r.directions.values).count < 2 {
            throw PolicyError(.badRequest, "InvalidInput", "directions: IN and OUT need different keys")
        }
        if let clash = r.directions.values.sorted().first(where: mirrorKeys.contains) {
            throw PolicyError(.conflict, "TapMirrorKeyInUse", "directions: key \(clash) is already used by another tap mirror")
        }
        guard IPAddressText.isIPv4(r.remoteIP) || IPAddressText.isIPv6(r.remoteIP) else {
            throw PolicyError(.badRequest, "InvalidInput", "remote_ip: \"\(r.remoteIP)\" is not an IPv4 or IPv6 address")
        }
        try checkQuota(configuration.quotas.tapMirrors, counts[project]?.mirrors ?? 0, "tap mirrors", project)
        guard mirrors[id] == nil else { throw PolicyError(.conflict, "TapMirrorExists", "tap mirror \(id) already exists") }
        let m = TapMirror(id: id, projectID: project, name: r.name, description: r.description, portID: port.id,
                          directions: r.directions, remoteIP: r.remoteIP, mirrorType: r.mirrorType, snaplen: try Self.checkSnaplen(r.snaplen),
                          rateLimit: try RateLimit.applying(r.rateLimit, to: nil))
        setMirror(id, m)
        return m
    }

    public func tapMirror(_ id: ResourceID, by caller: Caller) throws(PolicyError) -> TapMirror {
        guard let m = mirrors[id], caller.sees(m.projectID) else {
            throw PolicyError(.notFound, "TapMirrorNotFound", "tap mirror \(id) could not be found")
        }
        return m
    }

    public func tapMirrors(by caller: Caller) -> [TapMirror] {
        mirrors.values.filter { caller.sees($0.projectID) }.sorted { $0.id < $1.id }
    }

    public mutating func updateTapMirror(_ id: ResourceID, _ u: Update, by caller: Caller) throws(PolicyError) -> TapMirror {
        var m = try tapMirror(id, by: caller)
        try checkWrite(caller)
        try u.apply(to: &m)
        setMirror(id, m)
        return m
    }

    public mutating func deleteTapMirror(_ id: ResourceID, by caller: Caller) throws(PolicyError) {
        _ = try tapMirror(id, by: caller)
        try checkWrite(caller)
        setMirror(id, nil)
    }

    // MARK: Ports

    /// Records what the topology reports about a port; a port that goes away stays known, down.
    public mutating func recordPort(_ p: PortRecord) {
        if ports[p.id] != p { setPort(p.id, p) }
    }

    public mutating func markPortDown(_ id: String) {
        guard var p = ports[id], p.up else { return }
        p.up = false
        setPort(id, p)
    }

    public func port(_ id: String, by caller: Caller) throws(PolicyError) -> PortRecord { try visiblePort(id, caller) }

    public func portList(by caller: Caller) -> [PortRecord] {
        ports.values.filter { caller.sees($0.projectID) }.sorted { $0.id < $1.id }
    }

    // MARK: Rules shared by every operation

    private func owningProject(_ requested: String?, _ caller: Caller) throws(PolicyError) -> String {
        try checkWrite(caller)
        guard let requested, requested != caller.projectID else { return caller.projectID }
        guard caller.isAdmin else {
            throw PolicyError(.forbidden, "PolicyNotAuthorized", "project_id: only an admin may act for project \(requested)")
        }
        return requested
    }

    private func checkWrite(_ caller: Caller) throws(PolicyError) {
        guard caller.canWrite else { throw PolicyError(.forbidden, "PolicyNotAuthorized", "the reader role cannot change resources") }
    }

    private func visiblePort(_ id: String, _ caller: Caller) throws(PolicyError) -> PortRecord {
        guard let p = ports[id], caller.sees(p.projectID) else {
            throw PolicyError(.notFound, "PortNotFound", "port \(id) could not be found")
        }
        return p
    }

    private func checkQuota(_ limit: Int?, _ used: Int, _ what: String, _ project: String) throws(PolicyError) {
        if let limit, used >= limit {
            throw PolicyError(.conflict, "OverQuota", "quota exceeded: project \(project) may have \(limit) \(what)")
        }
    }
}
