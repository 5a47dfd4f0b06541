/// `GET /v2.0/taas/tap_flows/<id>/statistics`: the copies the switches counted.
public struct TapFlowStatistics: Codable, Sendable, Hashable {
    public var tapFlowID: String
    public var packets: Int
    public var bytes: Int
    /// False until a bridge holding the tap flow's copies has been read.
    public var counted: Bool

    public init(tapFlowID: String, packets: Int, bytes: Int, counted: Bool) {
        self.tapFlowID = tapFlowID; self.packets = packets; self.bytes = bytes; self.counted = counted
    }

    enum CodingKeys: String, CodingKey { case tapFlowID = "tap_flow_id", packets, bytes, counted }

    /// `{"statistics": {…}}`.
    public struct Envelope: Codable, Sendable, Hashable {
        public var statistics: TapFlowStatistics
        public init(_ s: TapFlowStatistics) { statistics = s }
    }
}

/// `GET /v2.0/taas/status` (admins): the controller at a glance.
public struct ControllerStatus: Codable, Sendable, Hashable {
    public var nodes: Int
    public var openflowConnected: Int
    public var ovsdbConnected: Int
    public var statisticsReads: Int
    /// Resources of each kind by status (ACTIVE, DOWN, ERROR).
    public var tapServices: [String: Int]
    public var tapFlows: [String: Int]
    public var tapMirrors: [String: Int]
    /// Present when replicas share a PostgreSQL store.
    public var replication: Replication?

    public init(nodes: Int, openflowConnected: Int, ovsdbConnected: Int, statisticsReads: Int, tapServices: [String: Int],
                tapFlows: [String: Int], tapMirrors: [String: Int], replication: Replication? = nil) {
        self.nodes = nodes; self.openflowConnected = openflowConnected; self.ovsdbConnected = ovsdbConnected
        self.statisticsReads = statisticsReads; self.tapServices = tapServices; self.tapFlows = tapFlows; self.tapMirrors = tapMirrors
        self.replication = replication
    }

    enum CodingKeys: String, CodingKey {
        case nodes, openflowConnected = "openflow_connected", ovsdbConnected = "ovsdb_connected", statisticsReads = "statistics_reads"
        case tapServices = "tap_services", tapFlows = "tap_flows", tapMirrors = "tap_mirrors", replication
    }

    public struct Replication: Codable, Sendable, Hashable {
        /// This replica's id (new at every start).
        public var replica: String
        /// leader or follower.
        public var role: String
        public var epoch: Int
        /// The lease holder, while someone holds it (null otherwise).
        public var leader: String?
        public var leaderName: String?
        public var takeovers: Int
        public var replicas: [Replica]
        /// This replica's OpenFlow role on each connected bridge.
        public var bridges: [BridgeRole]

        public init(replica: String, role: String, epoch: Int, leader: String?, leaderName: String?, takeovers: Int, replicas: [Replica],
                    bridges: [BridgeRole]) {
            self.replica = replica; self.role = role; self.epoch = epoch; self.leader = leader; self.leaderName = leaderName
            self.takeovers = takeovers; self.replicas = replicas; self.bridges = bridges
        }

        enum CodingKeys: String, CodingKey { case replica, role, epoch, leader, leaderName = "leader_name", takeovers, replicas, bridges }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(replica, forKey: .replica); try c.encode(role, forKey: .role); try c.encode(epoch, forKey: .epoch)
            // Null, not absent, when nobody leads: the document requires the field.
            try c.encode(leader, forKey: .leader); try c.encode(leaderName, forKey: .leaderName)
            try c.encode(takeovers, forKey: .takeovers); try c.encode(replicas, forKey: .replicas); try c.encode(bridges, forKey: .bridges)
        }
    }

    public struct Replica: Codable, Sendable, Hashable {
        public var id: String
        public var name: String
        public var api: String
        public var leader: Bool
        public var lastSeenMilliseconds: Int
        public init(id: String, name: String, api: String, leader: Bool, lastSeenMilliseconds: Int) {
            self.id = id; self.name = name; self.api = api; self.leader = leader; self.lastSeenMilliseconds = lastSeenMilliseconds
        }
        enum CodingKeys: String, CodingKey { case id, name, api, leader, lastSeenMilliseconds = "last_seen_ms" }
    }

    public struct BridgeRole: Codable, Sendable, Hashable {
        public var datapathID: String
        /// master, slave, equal or unknown.
        public var role: String
        public init(datapathID: String, role: String) { self.datapathID = datapathID; self.role = role }
        enum CodingKeys: String, CodingKey { case datapathID = "datapath_id", role }
    }

    /// `{"status": {…}}`.
    public struct Envelope: Codable, Sendable, Hashable {
        public var status: ControllerStatus
        public init(_ s: ControllerStatus) { status = s }
    }
}

/// `GET /healthz`: ready, or still starting (503).
public struct Health: Codable, Sendable, Hashable {
    public var status: String
    public init(ready: Bool) { status = ready ? "ready" : "starting" }
    public var ready: Bool { status == "ready" }
}

/// `GET /v2.0/extensions`: what taasd adds to TaaS, by alias.
public struct APIExtension: Codable, Sendable, Hashable {
    public var alias: String
    public var name: String
    public var description: String
    public var updated: String
    public var links: [Link]

    public init(alias: String, name: String, description: String, updated: String) {
        self.alias = alias; self.name = name; self.description = description; self.updated = updated; links = []
    }

    public struct List: Codable, Sendable, Hashable {
        public var extensions: [APIExtension]
        public init(_ e: [APIExtension]) { extensions = e }
    }
}

/// `GET /`: the API versions, with absolute links as keystoneauth needs them.
public struct APIVersion: Codable, Sendable, Hashable {
    public var id: String
    public var status: String
    public var links: [Link]

    public init(id: String, status: String, links: [Link]) { self.id = id; self.status = status; self.links = links }

    public struct List: Codable, Sendable, Hashable {
        public var versions: [APIVersion]
        public init(_ v: [APIVersion]) { versions = v }
    }
}
