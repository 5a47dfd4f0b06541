/// The TaaS policy: tap services, tap flows, tap mirrors and the port inventory they refer to,
/// with every rule TaaS defines. Pure: the store loads it and persists what it returns.
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
    public private(set) var services: [ResourceID: TapService] = [:]
    public private(set) var flows: [ResourceID: TapFlow] = [:]
    public private(set) var mirrors: [ResourceID: TapMirror] = [:]
    public private(set) var ports: [String: PortRecord] = [:]
    private var usedKeys: Set<UInt32> = []

    public init(configuration: Configuration = Configuration(), services: [TapService] = [], flows: [TapFlow] = [],
                mirrors: [TapMirror] = [], ports: [PortRecord] = []) {
        self.configuration = configuration
        for s in services { self.services[s.id] = s; usedKeys.insert(s.tunnelKey) }
        for f in flows { self.flows[f.id] = f }
        for m in mirrors { self.mirrors[m.id] = m }
        for p in ports { self.ports[p.id] = p }
    }

    // MARK: Requests

    public struct NewTapService: Sendable {
        public var projectID: String?
        public var name: String
        public var description: String
        public var portID: String
        public init(projectID: String? = nil, name: String = "", description: String = "", portID: String) {
            self.projectID = projectID; self.name = name; self.description = description; self.portID = portID
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
        public init(projectID: String? = nil, name: String = "", description: String = "", tapServiceID: ResourceID,
                    sourcePort: String, direction: Direction, vlanFilter: VLANFilter? = nil) {
            self.projectID = projectID; self.name = name; self.description = description; self.tapServiceID = tapServiceID
            self.sourcePort = sourcePort; self.direction = direction; self.vlanFilter = vlanFilter
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
        public init(projectID: String? = nil, name: String = "", description: String = "", portID: String,
                    directions: [Direction: UInt32], remoteIP: String, mirrorType: TapMirror.MirrorType) {
            self.projectID = projectID; self.name = name; self.description = description; self.portID = portID
            self.directions = directions; self.remoteIP = remoteIP; self.mirrorType = mirrorType
        }
    }

    /// The only fields TaaS lets an update change.
    public struct Update: Sendable {
        public var name: String?
        public var description: String?
        public init(name: String? = nil, description: String? = nil) { self.name = name; self.description = description }

        func apply<R: Describable>(to r: inout R) {
            if let name { r.name = name }
            if let description { r.description = description }
        }
    }

    // MARK: Tap services

    public mutating func createTapService(_ r: NewTapService, id: ResourceID, by caller: Caller) throws(PolicyError) -> TapService {
        let project = try owningProject(r.projectID, caller)
        let port = try visiblePort(r.portID, caller)
        if let other = services.values.first(where: { $0.portID == port.id }) {
            throw PolicyError(.conflict, "PortInUse", "port \(port.id) is already the destination of tap service \(other.id)")
        }
        try checkQuota(configuration.quotas.tapServices, services.values.lazy.filter { $0.projectID == project }.count, "tap services", project)
        guard let key = configuration.tunnelKeys.first(where: { !usedKeys.contains($0) }) else {
            throw PolicyError(.conflict, "TunnelKeysExhausted", "no free tunnel key left in \(configuration.tunnelKeys)")
        }
        let s = TapService(id: id, projectID: project, name: r.name, description: r.description, portID: port.id, status: .down,
                           statusReason: nil, tunnelKey: key)
        services[id] = s
        usedKeys.insert(key)
        return s
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
        u.apply(to: &s)
        services[id] = s
        return s
    }

    /// Deletes the service and its tap flows; returns the ids of the flows deleted with it.
    @discardableResult
    public mutating func deleteTapService(_ id: ResourceID, by caller: Caller) throws(PolicyError) -> [ResourceID] {
        let s = try tapService(id, by: caller)
        try checkWrite(caller)
        let cascade = flows.values.filter { $0.tapServiceID == id }.map(\.id).sorted()
        for f in cascade { flows[f] = nil }
        services[id] = nil
        usedKeys.remove(s.tunnelKey)
        return cascade
    }

    // MARK: Tap flows

    public mutating func createTapFlow(_ r: NewTapFlow, id: ResourceID, by caller: Caller) throws(PolicyError) -> TapFlow {
        let project = try owningProject(r.projectID, caller)
        let service = try tapService(r.tapServiceID, by: caller)
        let port = try visiblePort(r.sourcePort, caller)
        if port.id == service.portID {
            throw PolicyError(.conflict, "PortIsTapServiceDestination",
                              "port \(port.id) is the destination of tap service \(service.id) and cannot also be its source")
        }
        try checkQuota(configuration.quotas.tapFlows, flows.values.lazy.filter { $0.projectID == project }.count, "tap flows", project)
        let f = TapFlow(id: id, projectID: project, name: r.name, description: r.description, tapServiceID: service.id,
                        sourcePort: port.id, direction: r.direction, vlanFilter: r.vlanFilter, status: .down, statusReason: nil)
        flows[id] = f
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
        u.apply(to: &f)
        flows[id] = f
        return f
    }

    public mutating func deleteTapFlow(_ id: ResourceID, by caller: Caller) throws(PolicyError) {
        _ = try tapFlow(id, by: caller)
        try checkWrite(caller)
        flows[id] = nil
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
        let taken = Set(mirrors.values.flatMap(\.directions.values))
        if let clash = r.directions.values.sorted().first(where: taken.contains) {
            throw PolicyError(.conflict, "TapMirrorKeyInUse", "directions: key \(clash) is already used by another tap mirror")
        }
        guard IPAddressText.isIPv4(r.remoteIP) || IPAddressText.isIPv6(r.remoteIP) else {
            throw PolicyError(.badRequest, "InvalidInput", "remote_ip: \"\(r.remoteIP)\" is not an IPv4 or IPv6 address")
        }
        try checkQuota(configuration.quotas.tapMirrors, mirrors.values.lazy.filter { $0.projectID == project }.count, "tap mirrors", project)
        let m = TapMirror(id: id, projectID: project, name: r.name, description: r.description, portID: port.id,
                          directions: r.directions, remoteIP: r.remoteIP, mirrorType: r.mirrorType, status: .down, statusReason: nil)
        mirrors[id] = m
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
        u.apply(to: &m)
        mirrors[id] = m
        return m
    }

    public mutating func deleteTapMirror(_ id: ResourceID, by caller: Caller) throws(PolicyError) {
        _ = try tapMirror(id, by: caller)
        try checkWrite(caller)
        mirrors[id] = nil
    }

    // MARK: Status (driven by the pipeline)

    public enum Kind: String, Sendable { case tapService, tapFlow, tapMirror }

    /// Sets a resource's status; ERROR carries a reason, the others clear it. False if there is no such resource.
    @discardableResult
    public mutating func setStatus(_ kind: Kind, _ id: ResourceID, _ status: ResourceStatus, reason: String? = nil) -> Bool {
        let reason = status == .error ? (reason ?? "rejected by a switch") : nil
        switch kind {
        case .tapService:
            guard services[id] != nil else { return false }
            services[id]?.status = status; services[id]?.statusReason = reason
        case .tapFlow:
            guard flows[id] != nil else { return false }
            flows[id]?.status = status; flows[id]?.statusReason = reason
        case .tapMirror:
            guard mirrors[id] != nil else { return false }
            mirrors[id]?.status = status; mirrors[id]?.statusReason = reason
        }
        return true
    }

    // MARK: Ports

    /// Records what the topology reports about a port; a port that goes away stays known, down.
    public mutating func recordPort(_ p: PortRecord) { ports[p.id] = p }

    public mutating func markPortDown(_ id: String) { ports[id]?.up = false }

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

    /// `used` is counted only when there is a limit: counting walks every resource of the kind,
    /// and a bulk create of thousands would walk them once per resource.
    private func checkQuota(_ limit: Int?, _ used: @autoclosure () -> Int, _ what: String, _ project: String) throws(PolicyError) {
        if let limit, used() >= limit {
            throw PolicyError(.conflict, "OverQuota", "quota exceeded: project \(project) may have \(limit) \(what)")
        }
    }
}

/// Address syntax checks for `remote_ip`.
enum IPAddressText {
    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy { $0.isASCII && $0.isNumber } && (Int(p) ?? 256) <= 255
        }
    }

    static func isIPv6(_ s: String) -> Bool {
        guard s.contains(":"), s.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
        // Split at "::" (at most once) without Foundation.
        var halves: [Substring] = []
        if let r = s.firstRange(of: "::") {
            halves = [s[..<r.lowerBound], s[r.upperBound...]]
            if halves[1].contains("::") { return false }
        } else {
            halves = [s[...]]
        }
        var groups = 0
        for (i, half) in halves.enumerated() where !half.isEmpty {
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            for (j, p) in parts.enumerated() {
                // An IPv4 tail is allowed as the last group (e.g. ::ffff:192.0.2.1).
                if p.contains(".") {
                    guard i == halves.count - 1, j == parts.count - 1, isIPv4(String(p)) else { return false }
                    groups += 2
                } else {
                    guard (1...4).contains(p.count) else { return false }
                    groups += 1
                }
            }
        }
        return halves.count == 2 ? groups <= 7 : groups == 8
    }
}
