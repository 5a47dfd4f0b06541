import Logging
import OVSDB
import OVSDBClient
import OpenFlowServer
import SwitchSession
import TaaSAPI
import TaaSPolicy
import Topology

/// Keeps the topology current from the OVSDB sessions and the OpenFlow sessions, publishes what
/// changes, records ports in the policy's port inventory, and keeps each node's managed ports
/// (the flow-based tunnel port, tap mirrors' ports) as they should be.
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

    public private(set) var topology = Topology()
    private var connected: [String: NodeView] = [:]
    private var stale: [String: NodeView] = [:]
    private var openflow: Set<UInt64> = []
    /// Each connected datapath's ports by name (numbers for declared ports).
    private var openflowPorts: [UInt64: [String: StaticTopology.OpenFlowPort]] = [:]
    private var mirrors: [TapMirror] = []
    private var servicePorts: Set<String> = []
    /// The last plan tried per session: the same plan is not retried until something changes.
    private var attempted: [String: [JSONValue]] = [:]
    private var subscribers: [AsyncStream<TopologyEvent>.Continuation] = []
    private var warnedNoEncap: Set<String> = []

    public init(configuration: Configuration, policy: PolicyService, logger: Logger,
                transact: @escaping @Sendable (String, [JSONValue]) async throws -> [JSONValue]) {
        self.configuration = configuration
        self.policy = policy
        self.logger = logger
        self.transact = transact
    }

    /// Every topology change from now on.
    public func events() -> AsyncStream<TopologyEvent> {
        let (stream, continuation) = AsyncStream<TopologyEvent>.makeStream()
        subscribers.append(continuation)
        return stream
    }

    public func handle(_ event: OVSDBEvent) async {
        switch event {
        case .view(let session, let view):
            connected[session] = view
            stale[Topology.nodeID(view, session: session)] = nil
        case .disconnected(let session, _):
            if let view = connected.removeValue(forKey: session) { stale[Topology.nodeID(view, session: session)] = view }
            attempted[session] = nil
        }
        await recompute()
    }

    public func handle(_ event: SwitchEvent) async {
        await handle([event])
    }

    /// Several switch events, in order, with one recompute for all of them.
    public func handle(_ events: [SwitchEvent]) async {
        var changed = false
        for event in events {
            switch event {
            case .connected(let info):
                openflow.insert(info.datapathID)
                var byName: [String: StaticTopology.OpenFlowPort] = [:]
                for p in info.ports.values { byName[p.name] = .init(number: p.portNumber.rawValue, up: !p.isLinkDown) }
                openflowPorts[info.datapathID] = byName
                changed = true
            case .disconnected(let dpid, _):
                openflow.remove(dpid)
                openflowPorts[dpid] = nil
                changed = true
            case .portChanged(let dpid, let change):
                switch change {
                case .deleted(let p): openflowPorts[dpid]?[p.name] = nil
                case .added(let p), .modified(_, let p): openflowPorts[dpid]?[p.name] = .init(number: p.portNumber.rawValue, up: !p.isLinkDown)
                }
                // Without declared ports, OVSDB tells port changes.
                if configuration.declared != nil { changed = true }
            }
        }
        if changed { await recompute() }
    }

    /// Re-reads the tap mirrors after a policy change (their ports follow them).
    public func policyChanged() async {
        (mirrors, servicePorts) = await policy.read { t in (t.tapMirrors(by: .admin), Set(t.services.values.map(\.portID))) }
        await recompute()
    }

    private func recompute() async {
        let declared = configuration.declared?.views(bridge: configuration.bridge, openflow: openflowPorts) ?? [:]
        let next = Topology(connected: connected, stale: stale, declared: declared, openflow: openflow, bridge: configuration.bridge)
        let changes = Topology.events(from: topology, to: next)
        let previous = topology
        topology = next
        for e in changes {
            logger.info("topology: \(e)")
            for s in subscribers { s.yield(e) }
        }
        await record(changes, previous: previous)
        ensureManagedPorts()
    }

    /// Ports go into the inventory; one that goes away stays known, marked down.
    private func record(_ changes: [TopologyEvent], previous: Topology) async {
        var records: [PortRecord] = []
        for e in changes {
            switch e {
            case .portAppeared(let p), .portChanged(_, let p), .portMoved(_, let p): records.append(Self.record(p, up: p.up))
            case .portGone(let p): records.append(Self.record(p, up: false))
            default: break
            }
        }
        guard !records.isEmpty else { return }
        do { try await policy.recordPorts(records) } catch {
            logger.error("cannot record ports in the store", metadata: ["error": "\(error)"])
        }
    }

    static func record(_ p: Topology.Port, up: Bool) -> PortRecord {
        PortRecord(id: p.id, name: p.name, macAddress: p.mac, hostID: p.node, openflowPort: p.ofport, vlan: p.vlan, projectID: p.projectID, up: up)
    }

    private func ensureManagedPorts() {
        let mirrorPorts = MirrorPorts.desired(mirrors, topology: topology, isolationVLAN: configuration.isolationVLAN)
        for (session, view) in connected.sorted(by: { $0.key < $1.key }) {
            guard let bridge = view.bridge(configuration.bridge) else { continue }
            let node = Topology.nodeID(view, session: session)
            var desired = mirrorPorts[node] ?? []
            if let ip = view.encapIP {
                desired.append(.tunnel(type: configuration.tunnelType, localIP: ip))
                warnedNoEncap.remove(node)
            } else if warnedNoEncap.insert(node).inserted {
                logger.warning("node has no external_ids:taas-encap-ip: no tunnel port until it is set",
                               metadata: ["node": "\(node)", "hint": "ovs-vsctl set open_vswitch . external_ids:taas-encap-ip=IP"])
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
                    logger.info("managed ports updated", metadata: ["node": "\(node)", "operations": "\(ops.count)"])
                } catch {
                    logger.error("cannot update managed ports", metadata: ["node": "\(node)", "error": "\(error)"])
                }
            }
        }
    }
}

extension TopologyService: NodeInventory {
    public func nodes() async -> [NodeSummary] {
        topology.nodes.values.sorted { $0.id < $1.id }.map { n in
            NodeSummary(id: n.id, hostname: n.hostname, bridge: n.bridge, datapathID: n.datapathID.map(DatapathID.format), encapIP: n.encapIP,
                        failMode: n.failMode, openflowConnected: n.openflowConnected, ovsdbConnected: n.ovsdbConnected,
                        tunnelPorts: n.tunnelPorts)
        }
    }
}
