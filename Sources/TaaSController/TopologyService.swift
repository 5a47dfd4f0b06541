import Logging
import OVSDB
import OVSDBClient
import OpenFlowServer
import SwitchSession
import TaaSPolicy
import TaaSState
import Topology

/// Keeps the topology current from the OVSDB sessions and the OpenFlow sessions, one node at
/// a time (`TopologyJoin`), returns what each event changed, records ports in the policy's
/// port inventory, and keeps each node's managed ports (the flow-based tunnel port, tap
/// mirrors' ports, service ports' isolation) as they should be. Policy changes reach it as
/// deltas (`policyChanged`): it never reads the policy, and a policy change rebuilds no node.
public actor TopologyService {
    public struct Configuration: Sendable {
        /// The integration bridge on every node.
        public var bridge: String
        /// `vxlan`, `geneve` or `gre`.
        public var tunnelType: String
        /// Nodes and ports declared in a file, for nodes whose OVSDB taasd cannot reach.
        public var declared: StaticTopology?
        /// The VLAN tap service ports are moved to, away from normal forwarding's floods.
        public var isolationVLAN: UInt16

        public init(bridge: String = "br-int", tunnelType: String = "vxlan", declared: StaticTopology? = nil, isolationVLAN: UInt16 = 4095) {
            self.bridge = bridge
            self.tunnelType = tunnelType
            self.declared = declared
            self.isolationVLAN = isolationVLAN
        }
    }

    let configuration: Configuration
    let policy: PolicyService
    let logger: Logger
    let transact: @Sendable (String, [JSONValue]) async throws -> [JSONValue]
    /// Only a replica that programs the switches records ports and changes OVSDB.
    let leadership: Leadership

    private var join: TopologyJoin
    /// Each connected datapath's ports by name (numbers for declared ports).
    private var openflowPorts: [UInt64: [String: StaticTopology.OpenFlowPort]] = [:]
    private var declaredByDatapath: [UInt64: StaticTopology.Node] = [:]
    /// Tap mirrors and service ports, as the policy's deltas tell them.
    private var mirrors: [ResourceID: TapMirror] = [:]
    private var servicePorts: Set<String> = []
    /// The last plan tried per session: the same plan is not retried until something changes.
    private var attempted: [String: [JSONValue]] = [:]
    private var warnedNoEncap: Set<String> = []

    public init(configuration: Configuration, policy: PolicyService, leadership: Leadership = Leadership(), logger: Logger,
                transact: @escaping @Sendable (String, [JSONValue]) async throws -> [JSONValue]) {
        self.leadership = leadership
        self.configuration = configuration
        self.policy = policy
        self.logger = logger
        self.transact = transact
        var join = TopologyJoin(bridge: configuration.bridge)
        if let declared = configuration.declared {
            for n in declared.nodes {
                declaredByDatapath[n.datapathID] = n
                _ = join.declare(n, of: declared, openflow: [:])
            }
        }
        self.join = join
    }

    public var topology: Topology { join.topology }

    /// The topology as it stands, as events from nothing (what a new reader starts from).
    public func current() -> [TopologyEvent] { Topology.events(from: Topology(), to: join.topology) }

    public func handle(_ event: OVSDBEvent) async -> [TopologyEvent] {
        let events: [TopologyEvent]
        var sessions: Set<String> = []
        switch event {
        case .view(let session, let view):
            events = join.setConnected(session, view)
            sessions.insert(session)
        case .disconnected(let session, _):
            events = join.setConnected(session, nil)
            attempted[session] = nil
        }
        await publish(events, sessions: sessions)
        return events
    }

    /// Several switch events, in order.
    public func handle(_ switchEvents: [SwitchEvent]) async -> [TopologyEvent] {
        var events: [TopologyEvent] = []
        for event in switchEvents {
            switch event {
            case .connected(let info):
                var byName: [String: StaticTopology.OpenFlowPort] = [:]
                for p in info.ports.values { byName[p.name] = .init(number: p.portNumber.rawValue, up: !p.isLinkDown) }
                openflowPorts[info.datapathID] = byName
                events += redeclare(info.datapathID)
                events += join.setOpenFlow(info.datapathID, connected: true)
            case .disconnected(let dpid, _):
                openflowPorts[dpid] = nil
                events += join.setOpenFlow(dpid, connected: false)
                events += redeclare(dpid)
            case .portChanged(let dpid, let change):
                switch change {
                case .deleted(let p): openflowPorts[dpid]?[p.name] = nil
                case .added(let p), .modified(_, let p): openflowPorts[dpid]?[p.name] = .init(number: p.portNumber.rawValue, up: !p.isLinkDown)
                }
                // Without declared ports, OVSDB tells port changes.
                events += redeclare(dpid)
            }
        }
        await publish(events, sessions: [])
        return events
    }

    /// A declared node's view again, numbered from its datapath's OpenFlow ports.
    private func redeclare(_ dpid: UInt64) -> [TopologyEvent] {
        guard let n = declaredByDatapath[dpid], let declared = configuration.declared else { return [] }
        return join.declare(n, of: declared, openflow: openflowPorts[dpid] ?? [:])
    }

    /// Tap mirrors and service ports changed: the managed ports of the nodes they are on follow.
    public func policyChanged(_ d: PolicyDelta) async {
        var ports: Set<String> = []
        for (id, c) in d.tapMirrors {
            mirrors[id] = c.new
            for m in [c.old, c.new].compactMap({ $0 }) { ports.insert(m.portID) }
        }
        for (_, c) in d.tapServices where c.old?.portIDs != c.new?.portIDs {
            for p in c.old?.portIDs ?? [] { servicePorts.remove(p); ports.insert(p) }
            for p in c.new?.portIDs ?? [] { servicePorts.insert(p); ports.insert(p) }
        }
        guard !ports.isEmpty else { return }
        ensureManagedPorts(sessions(ofPorts: ports))
    }

    private func sessions(ofPorts ports: Set<String>) -> Set<String> {
        Set(ports.compactMap { join.topology.ports[$0]?.node }.compactMap { join.session(of: $0) })
    }

    /// Logs what changed, records ports in the inventory, and brings the managed ports of the
    /// sessions concerned in line.
    private func publish(_ events: [TopologyEvent], sessions: Set<String>) async {
        var sessions = sessions
        var records: [PortRecord] = []
        var moved: Set<String> = []
        for e in events {
            logger.info("topology: \(e)")
            switch e {
            case .portAppeared(let p), .portChanged(_, let p), .portMoved(_, let p):
                records.append(Self.record(p, up: p.up))
                moved.insert(p.id)
            case .portGone(let p):
                records.append(Self.record(p, up: false))
                moved.insert(p.id)
            case .nodeAppeared(let n), .nodeChanged(_, let n):
                if let s = join.session(of: n.id) { sessions.insert(s) }
            case .nodeGone:
                break
            }
        }
        // A mirror's or service's port that moved takes its managed ports along.
        let managed = moved.filter { p in servicePorts.contains(p) || mirrors.values.contains { $0.portID == p } }
        sessions.formUnion(self.sessions(ofPorts: managed))
        if !records.isEmpty && leadership.mayProgram {
            do { try await policy.recordPorts(records, fence: leadership.fence) } catch {
                logger.error("cannot record ports in the store", metadata: ["error": "\(error)"])
            }
        }
        ensureManagedPorts(sessions)
    }

    static func record(_ p: Topology.Port, up: Bool) -> PortRecord {
        PortRecord(id: p.id, name: p.name, macAddress: p.mac, hostID: p.node, openflowPort: p.ofport, vlan: p.vlan, projectID: p.projectID, up: up)
    }

    /// This replica now programs the switches: the ports and managed ports it saw as a
    /// follower (and left to the leader) are its to record and keep.
    public func tookOver() async {
        let records = join.topology.ports.values.map { Self.record($0, up: true) }
        if !records.isEmpty {
            do { try await policy.recordPorts(records, fence: leadership.fence) } catch {
                logger.error("cannot record ports in the store", metadata: ["error": "\(error)"])
            }
        }
        attempted = [:]
        ensureManagedPorts(Set(join.topology.nodes.keys.compactMap { join.session(of: $0) }))
    }

    private func ensureManagedPorts(_ sessions: Set<String>) {
        guard leadership.mayProgram else { return }
        for session in sessions.sorted() {
            guard let id = join.node(ofSession: session), let view = join.view(session: session),
                  let bridge = view.bridge(configuration.bridge) else { continue }
            let onNode = Array(mirrors.values.filter { join.topology.ports[$0.portID]?.node == id })
            var desired = MirrorPorts.desired(onNode, topology: join.topology, isolationVLAN: configuration.isolationVLAN)[id] ?? []
            if let ip = view.encapIP {
                desired.append(.tunnel(type: configuration.tunnelType, localIP: ip))
                warnedNoEncap.remove(id)
            } else if warnedNoEncap.insert(id).inserted {
                logger.warning("node has no external_ids:taas-encap-ip: no tunnel port until it is set",
                               metadata: ["node": "\(id)", "hint": "ovs-vsctl set open_vswitch . external_ids:taas-encap-ip=IP"])
            }
            let ops = ManagedPortPlan.operations(bridge: bridge, desired: desired)
                + ServicePortIsolation.operations(bridge: bridge, services: servicePorts, vlan: configuration.isolationVLAN)
            guard !ops.isEmpty else {
                attempted[session] = nil
                continue
            }
            guard attempted[session] != ops else { continue }
            attempted[session] = ops
            let transact = self.transact, logger = self.logger
            Task {
                do {
                    _ = try await transact(session, ops)
                    logger.info("managed ports updated", metadata: ["node": "\(id)", "operations": "\(ops.count)"])
                } catch {
                    logger.error("cannot update managed ports", metadata: ["node": "\(id)", "error": "\(error)"])
                }
            }
        }
    }
}

extension TopologyService: NodeInventory {
    public func nodes() async -> [NodeSummary] {
        join.topology.nodes.values.sorted { $0.id < $1.id }.map { n in
            NodeSummary(id: n.id, hostname: n.hostname, bridge: n.bridge, datapathID: n.datapathID.map(DatapathID.format), encapIP: n.encapIP,
                        failMode: n.failMode, openflowConnected: n.openflowConnected, ovsdbConnected: n.ovsdbConnected,
                        tunnelPorts: n.tunnelPorts)
        }
    }
}
