import TaaSPolicy

/// Copies counted for one tap flow, as the switches reported them at the last read.
public struct TapFlowStatistics: Hashable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64
    public init(packets: UInt64, bytes: UInt64) {
        self.packets = packets
        self.bytes = bytes
    }
}

/// The controller at a glance, for `taasctl status`.
public struct ControllerSummary: Hashable, Sendable {
    public var nodes: Int
    public var openflowConnected: Int
    public var ovsdbConnected: Int
    public var statisticsReads: Int
    /// Replicas on a shared store (nil: alone).
    public var replication: Replication?

    public init(nodes: Int, openflowConnected: Int, ovsdbConnected: Int, statisticsReads: Int, replication: Replication? = nil) {
        self.nodes = nodes
        self.openflowConnected = openflowConnected
        self.ovsdbConnected = ovsdbConnected
        self.statisticsReads = statisticsReads
        self.replication = replication
    }

    public struct Replication: Hashable, Sendable {
        public var standing: Leadership.Standing
        /// This replica's role on each connected bridge, by datapath id ("master", "slave", "equal").
        public var bridgeRoles: [String: String]
        public init(standing: Leadership.Standing, bridgeRoles: [String: String]) {
            self.standing = standing
            self.bridgeRoles = bridgeRoles
        }
    }
}

/// What the running controller reports beyond the policy: its sessions, counters and health.
public protocol ControllerOperations: Sendable {
    func statistics(tapFlow: ResourceID) async -> TapFlowStatistics?
    func summary() async -> ControllerSummary
    /// Ready: the store is open and every listener is up.
    func ready() async -> Bool
    /// The Prometheus text exposition of every metric.
    func metricsText() async -> String
}

/// No controller behind the API (tests of the policy alone): always ready, nothing counted.
public struct NoOperations: ControllerOperations {
    public init() {}
    public func statistics(tapFlow: ResourceID) async -> TapFlowStatistics? { nil }
    public func summary() async -> ControllerSummary { ControllerSummary(nodes: 0, openflowConnected: 0, ovsdbConnected: 0, statisticsReads: 0) }
    public func ready() async -> Bool { true }
    public func metricsText() async -> String { "" }
}

/// A node as the API shows it (admins only: nodes are infrastructure, as Neutron's agents are).
public struct NodeSummary: Hashable, Sendable {
    public var id: String
    public var hostname: String?
    public var bridge: String
    public var datapathID: String?
    public var encapIP: String?
    public var failMode: String?
    public var openflowConnected: Bool
    public var ovsdbConnected: Bool
    /// Managed port name → OpenFlow port number.
    public var tunnelPorts: [String: UInt32]

    public init(id: String, hostname: String?, bridge: String, datapathID: String?, encapIP: String?, failMode: String?,
                openflowConnected: Bool, ovsdbConnected: Bool, tunnelPorts: [String: UInt32]) {
        self.id = id; self.hostname = hostname; self.bridge = bridge; self.datapathID = datapathID; self.encapIP = encapIP
        self.failMode = failMode; self.openflowConnected = openflowConnected; self.ovsdbConnected = ovsdbConnected
        self.tunnelPorts = tunnelPorts
    }
}

/// Where the API learns the nodes from (the topology).
public protocol NodeInventory: Sendable {
    func nodes() async -> [NodeSummary]
}

/// No topology (tests of the policy alone).
public struct NoNodes: NodeInventory {
    public init() {}
    public func nodes() async -> [NodeSummary] { [] }
}
