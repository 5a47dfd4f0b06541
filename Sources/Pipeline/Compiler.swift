import Dispatch
import OpenFlow
import OpenFlowText
import TaaSPolicy
import Topology

/// A rule's part in one flow of table 2.
enum Role: Sendable { case copy, made, cover }

/// (policy, topology) → the flows and groups of every bridge. Pure and deterministic.
/// A class: its indexes are shared by every node's compile (and its helpers' closures) without
/// copying, which a struct of many references would cost on each capture.
public final class Compiler: Sendable {
    let topology: Topology
    let services: [String: TapService]
    let index: RuleIndex
    /// Node → its ports with an OpenFlow number (in no order), and the tap services whose port is there.
    let portsByNode: [String: [Topology.Port]]
    let servicesByNode: [String: [TapService]]

    public init(services: [TapService], flows: [TapFlow], mirrors: [TapMirror], topology: Topology) {
        self.topology = topology
        self.services = Dictionary(services.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        index = RuleIndex(flows: flows, mirrors: mirrors, networkOf: { topology.ports[$0].map(\.vlan) })
        // Sorted by each node's compile, where it runs side by side with the others.
        var byNode: [String: [Topology.Port]] = [:]
        for port in topology.ports.values where port.ofport != nil { byNode[port.node, default: []].append(port) }
        portsByNode = byNode
        servicesByNode = Dictionary(grouping: services.filter { topology.ports[$0.portID]?.ofport != nil }) { topology.ports[$0.portID]?.node ?? "" }
    }

    /// Every node's program.
    public func programs() -> [String: BridgeProgram] {
        var out: [String: BridgeProgram] = [:]
        for id in topology.nodes.keys { out[id] = program(node: id) }
        return out
    }

    /// These nodes' programs (every node's when nil), compiled side by side on every core:
    /// nodes are independent. A node not in the topology gets no entry. Dispatch's workers do
    /// the work, not Swift's cooperative threads, which the caller's other tasks may hold.
    public func programs(nodes: Set<String>?) -> [String: BridgeProgram] {
        let ids = (nodes ?? Set(topology.nodes.keys)).filter { topology.nodes[$0] != nil }.sorted()
        let results = Results(count: ids.count)
        DispatchQueue.concurrentPerform(iterations: ids.count) { i in results.set(i, program(node: ids[i])) }
        return Dictionary(uniqueKeysWithValues: zip(ids, results.take()))
    }

    static let multicast: OXMField = .ethDst(EthernetAddress(rawValue: 0x0100_0000_0000), mask: EthernetAddress(rawValue: 0x0100_0000_0000))

    /// One node's program.
    public func program(node nodeID: String) -> BridgeProgram {
        var p = BridgeProgram()
        guard let node = topology.nodes[nodeID] else { return p }
        let local = (portsByNode[nodeID] ?? []).sorted { $0.id < $1.id }
        // About five flows per local port at most; growing the table as it fills costs more.
        p.reserve(flows: 16 + local.count * 5)
        let base = Cookie.make(.base, "base")
        p.add(Table.ingress, 0, base, [], [], goto: Table.outTaps)
        p.add(Table.outTaps, 0, base, [], [], goto: Table.senders)
        p.add(Table.senders, 0, base, [], [], goto: Table.inTaps)
        p.add(Table.inTaps, 0, base, [], [], goto: Table.forward)
        p.add(Table.forward, 0, base, [], [.output(.normal)], goto: nil)
        let tunnel = node.tunnelPorts["taas-tun"].map { PortNumber($0) }
        if let tunnel {
            // Only copies arrive on the tunnel port; one with a key of no local service is dropped.
            p.add(Table.ingress, 190, base, [.inPort(tunnel)], [], goto: nil)
        }

        // Tap services whose port is here: receive-only, and the end of their tunnel.
        var servicePorts: Set<UInt32> = []
        for s in (servicesByNode[nodeID] ?? []).sorted(by: { $0.id < $1.id }) {
            guard let port = topology.ports[s.portID], port.node == nodeID, let number = port.ofport else { continue }
            let cookie = Cookie.make(.service, s.id.rawValue)
            servicePorts.insert(number)
            p.add(Table.ingress, 180, cookie, [.inPort(PortNumber(number))], [], goto: nil)
            if let tunnel {
                p.add(Table.ingress, 200, cookie, [.inPort(tunnel), .tunnelID(UInt64(s.tunnelKey))], [.output(PortNumber(number))], goto: nil)
            }
        }

        // How a copy for a destination leaves this node (nil: it cannot, yet); worked out once
        // per destination.
        var groups: [UInt32: GroupDescription] = [:]
        var delivered: [Destination: Action?] = [:]
        func deliver(_ d: Destination) -> Action? {
            if let known = delivered[d] { return known }
            let a = route(d)
            delivered[d] = a
            return a
        }
        func route(_ d: Destination) -> Action? {
            switch d.kind {
            case .mirror:
                return node.tunnelPorts[d.id].map { .output(PortNumber($0)) }
            case .service:
                guard let s = services[d.id], let port = topology.ports[s.portID], let number = port.ofport else { return nil }
                if port.node == nodeID { return .output(PortNumber(number)) }
                guard let tunnel, let ip = topology.nodes[port.node]?.encapIP.flatMap({ IPv4Address($0) }) else { return nil }
                let id = GroupIDs.service(key: s.tunnelKey)
                groups[id] = GroupDescription(type: .all, groupID: id, buckets: [Bucket(actions: [
                    .setField(.tunnelIPv4Dst(ip)), .setField(.tunnelID(UInt64(s.tunnelKey))), .output(tunnel),
                ])])
                return .group(id)
            }
        }
        // In a fixed order that does not depend on generated ids: local ports by number, then
        // groups. One destination (the common case) needs no sorting.
        func actions(_ dests: Set<Destination>) -> [Action] {
            if dests.count == 1, let only = dests.first { return actions(only) }
            return dests.compactMap(deliver).sorted { Self.actionOrder($0) < Self.actionOrder($1) }
        }
        func actions(_ only: Destination) -> [Action] { deliver(only).map { [$0] } ?? [] }

        // OUT: what a source port sends.
        for x in local {
            guard let number = x.ofport else { continue }
            let outs = (index.bySource[x.id] ?? []).filter(\.out)
            guard !outs.isEmpty else { continue }
            let cookie = Cookie.make(.source, x.id)
            for (vlan, members) in VLANClasses.partition(outs.map { ($0.filter, $0.destination) }) {
                let a = actions(Set(members))
                guard !a.isEmpty else { continue }
                for v in vlan { p.add(Table.outTaps, 100, cookie, [.inPort(PortNumber(number))], and: v, a, goto: Table.senders) }
            }
        }

        // IN: what the bridge delivers to a source port, by network.
        let receivers = local.filter { x in (index.bySource[x.id] ?? []).contains { !$0.out } }
        if !receivers.isEmpty {
            // Table 0 says which network each frame comes from.
            for (number, tag) in node.portTags.sorted(by: { $0.key < $1.key }) {
                // Service ports' frames are dropped before classification matters.
                guard let tag, !servicePorts.contains(number) else { continue }
                p.add(Table.ingress, 100, base, [.inPort(PortNumber(number))], [.setField(.register(Network.register, Network.id(tag)))],
                      goto: Table.outTaps)
            }
        }
        let byNetwork = Dictionary(grouping: receivers, by: \.vlan)
        for (vlan, members) in byNetwork.sorted(by: { ($0.key ?? 0xffff) < ($1.key ?? 0xffff) }) {
            compileNetwork(vlan, members, into: &p, actions: actions, single: actions)
        }
        p.groups = groups
        return p
    }

    static func actionOrder(_ a: Action) -> (Int, UInt64) {
        switch a {
        case .output(let port, _): (0, UInt64(port.rawValue))
        case .group(let id): (1, UInt64(id))
        default: (2, 0)
        }
    }
}

/// One slot per node for `concurrentPerform`: each iteration writes only its own slot, and the
/// slots are read after every iteration has finished, so no lock is needed.
private final class Results: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<BridgeProgram>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: BridgeProgram())
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ i: Int, _ p: BridgeProgram) { slots[i] = p }

    func take() -> [BridgeProgram] { Array(slots) }
}
