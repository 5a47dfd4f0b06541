import OpenFlow
import OpenFlowText
import TaaSPolicy
import Topology

/// What one bridge should hold: taasd's flows (by key) and groups (by id).
public struct BridgeProgram: Hashable, Sendable {
    public var flows: [FlowKey: FlowEntry] = [:]
    public var groups: [UInt32: GroupDescription] = [:]

    public init() {}

    mutating func add(_ table: UInt8, _ priority: UInt16, _ cookie: UInt64, _ match: [OXMField?], _ actions: [Action], goto next: UInt8?) {
        var instructions: [Instruction] = []
        if !actions.isEmpty { instructions.append(.applyActions(actions)) }
        if let next { instructions.append(.gotoTable(next)) }
        let m = Match(match.compactMap { $0 }).normalized
        flows[FlowKey(table: table, priority: priority, normalized: m)] =
            FlowEntry(cookie: cookie, tableID: table, priority: priority, match: m, instructions: instructions)
    }

    /// The flows in `ovs-ofctl dump-flows` form, sorted: what `flows/` golden files hold.
    public var flowText: String { FlowText.renderSorted(Array(flows.values)) }
    public var groupText: String { groups.keys.sorted().compactMap { groups[$0].map(GroupText.render) }.joined(separator: "\n") }
}

/// A rule's part in one flow of table 2.
enum Role: Sendable { case copy, made, cover }

/// (policy, topology) → the flows and groups of every bridge. Pure and deterministic.
public struct Compiler: Sendable {
    let topology: Topology
    let services: [String: TapService]
    let index: RuleIndex
    /// Node → its ports with an OpenFlow number, and the tap services whose port is there.
    let portsByNode: [String: [Topology.Port]]
    let servicesByNode: [String: [TapService]]

    public init(services: [TapService], flows: [TapFlow], mirrors: [TapMirror], topology: Topology) {
        self.topology = topology
        self.services = Dictionary(services.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        index = RuleIndex(flows: flows, mirrors: mirrors)
        portsByNode = Dictionary(grouping: topology.ports.values.filter { $0.ofport != nil }, by: \.node)
            .mapValues { $0.sorted { $0.id < $1.id } }
        servicesByNode = Dictionary(grouping: services.filter { topology.ports[$0.portID]?.ofport != nil }) { topology.ports[$0.portID]?.node ?? "" }
    }

    /// Every node's program.
    public func programs() -> [String: BridgeProgram] {
        var out: [String: BridgeProgram] = [:]
        for id in topology.nodes.keys { out[id] = program(node: id) }
        return out
    }

    static let multicast: OXMField = .ethDst(EthernetAddress(rawValue: 0x0100_0000_0000), mask: EthernetAddress(rawValue: 0x0100_0000_0000))

    /// One node's program.
    public func program(node nodeID: String) -> BridgeProgram {
        var p = BridgeProgram()
        guard let node = topology.nodes[nodeID] else { return p }
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
        // In a fixed order that does not depend on generated ids: local ports by number, then groups.
        func actions(_ dests: Set<Destination>) -> [Action] {
            dests.compactMap(deliver).sorted { Self.actionOrder($0) < Self.actionOrder($1) }
        }

        let local = portsByNode[nodeID] ?? []

        // OUT: what a source port sends.
        for x in local {
            guard let number = x.ofport else { continue }
            let outs = (index.bySource[x.id] ?? []).filter(\.out)
            guard !outs.isEmpty else { continue }
            let cookie = Cookie.make(.source, x.id)
            for (vlan, members) in VLANClasses.partition(outs.map { ($0.filter, $0.destination) }) {
                let a = actions(Set(members))
                guard !a.isEmpty else { continue }
                for v in vlan { p.add(Table.outTaps, 100, cookie, [.inPort(PortNumber(number)), v], a, goto: Table.senders) }
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
            compileNetwork(vlan, members, into: &p, actions: actions)
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

    /// The IN copies of one network's receivers: unicast to each one's MAC; broadcast and
    /// multicast to all of them but the sender; and, where the sender's OUT copies (made here or
    /// on its own node) already went to a destination, not again.
    func compileNetwork(_ vlan: UInt16?, _ receivers: [Topology.Port], into p: inout BridgeProgram,
                        actions: (Set<Destination>) -> [Action]) {
        let net: OXMField = .register(Network.register, Network.id(vlan))
        // Frames seen on an access port are untagged: a VLAN filter never matches them.
        var insOf: [String: [Rule]] = [:]
        for x in receivers { insOf[x.id] = (index.bySource[x.id] ?? []).filter { !$0.out && (vlan == nil || $0.filter == nil) } }
        func ins(_ x: Topology.Port) -> [Rule] { insOf[x.id] ?? [] }
        func outs(_ id: String) -> [Rule] { (index.bySource[id] ?? []).filter(\.out) }
        // Each rule with its role: .copy counts as an IN copy, .made was already copied as OUT,
        // .cover copies nothing but makes the flow cover the VLANs where the rule applies.
        // `made` destinations are subtracted in every VLAN class.
        func emit(_ table: UInt8, _ priority: UInt16, _ cookie: UInt64, _ match: [OXMField], _ members: [(Rule, Role)],
                  made: Set<Destination> = [], always: Bool) {
            // Without filters there is one class: no partition needed.
            if members.allSatisfy({ $0.0.filter == nil }) {
                guard !members.isEmpty else { return }
                var copied = Set<Destination>(), already = made
                for (r, role) in members {
                    if role == .copy { copied.insert(r.destination) } else if role == .made { already.insert(r.destination) }
                }
                let a = actions(copied.subtracting(already))
                if a.isEmpty && !always { return }
                p.add(table, priority, cookie, match, a, goto: Table.forward)
                return
            }
            for (classes, applied) in VLANClasses.partition(members.map { ($0.0.filter, $0) }) {
                let copied = Set(applied.filter { $0.1 == .copy }.map(\.0.destination))
                    .subtracting(applied.filter { $0.1 == .made }.map(\.0.destination)).subtracting(made)
                let a = actions(copied)
                if a.isEmpty && !always { continue }
                for v in classes { p.add(table, priority, cookie, match + [v].compactMap { $0 }, a, goto: Table.forward) }
            }
        }
        // MACs parsed once per network (text to bytes is the costliest step otherwise).
        var macs: [String: EthernetAddress] = [:]
        for x in receivers { macs[x.id] = EthernetAddress(x.mac) }
        let allIns = receivers.flatMap { x in ins(x).map { ($0, Role.copy) } }
        let inDestinations = Set(allIns.map(\.0.destination))
        let mcastCookie = Cookie.make(.source, "network:\(vlan.map(String.init) ?? "untagged")")

        // Broadcast and multicast reach every receiver of the network.
        emit(Table.inTaps, 40, mcastCookie, [net, Self.multicast], allIns, always: false)

        // Without VLAN filters, "every receiver but this one" is a count per destination, not a
        // walk over the others for each receiver.
        let unfiltered = allIns.allSatisfy { $0.0.filter == nil }
        var contributions: [Destination: Int] = [:]
        if unfiltered { for (r, _) in allIns { contributions[r.destination, default: 0] += 1 } }
        for x in receivers {
            guard let mac = macs[x.id], let number = x.ofport else { continue }
            let cookie = Cookie.make(.source, x.id)
            emit(Table.inTaps, 50, cookie, [net, .ethDst(mac)], ins(x).map { ($0, .copy) }, always: false)
            // What it sends itself is not delivered to it, and its OUT copies are made already.
            let own = ins(x), sent = outs(x.id)
            let match: [OXMField] = [net, .inPort(PortNumber(number)), Self.multicast]
            if unfiltered && sent.allSatisfy({ $0.filter == nil }) {
                // A destination drops out only when this receiver is its only contributor.
                var mine: [Destination: Int] = [:]
                for r in own { mine[r.destination, default: 0] += 1 }
                var copied = inDestinations
                for (d, n) in mine where contributions[d] == n { copied.remove(d) }
                copied.subtract(sent.map(\.destination))
                p.add(Table.inTaps, 70, cookie, match, actions(copied), goto: Table.forward)
            } else {
                let others = allIns.filter { $0.0.source != x.id }
                emit(Table.inTaps, 70, cookie, match, others + own.map { ($0, .cover) } + sent.map { ($0, .made) }, always: true)
            }
        }

        // Senders (here or on other nodes) whose OUT copies overlap these IN copies: table 2
        // labels their frames (by source MAC) with the set their OUT copies went to.
        var senders: Set<String> = []
        for d in inDestinations { senders.formUnion(index.outSources[d] ?? []) }
        var labels: [UInt32: Set<Destination>] = [:]
        for sid in senders.sorted() {
            guard let sender = topology.ports[sid], sender.vlan == vlan, let smac = EthernetAddress(sender.mac) else { continue }
            let cookie = Cookie.make(.source, sid)
            for (classes, rules) in VLANClasses.partition(outs(sid).map { ($0.filter, $0) }) {
                let made = Set(rules.map(\.destination))
                guard !made.isDisjoint(with: inDestinations) else { continue }
                let label = SenderLabel.of(made.map { d in
                    d.kind == .service ? services[d.id].map { "key:\($0.tunnelKey)" } ?? d.id : "port:\(d.id)"
                })
                labels[label] = made
                for v in classes {
                    p.add(Table.senders, 100, cookie, [net, .ethSrc(smac), v].compactMap { $0 },
                          [.setField(.register(SenderLabel.register, label))], goto: Table.inTaps)
                }
            }
        }
        // For each such set: IN copies less what the sender's OUT copies already delivered.
        for (label, made) in labels.sorted(by: { $0.key < $1.key }) {
            let tag: OXMField = .register(SenderLabel.register, label)
            let cookie = Cookie.make(.source, "label:\(label)")
            for x in receivers {
                guard let mac = macs[x.id], !Set(ins(x).map(\.destination)).isDisjoint(with: made) else { continue }
                emit(Table.inTaps, 60, cookie, [net, tag, .ethDst(mac)], ins(x).map { ($0, .copy) }, made: made, always: true)
            }
            emit(Table.inTaps, 60, cookie, [net, tag, Self.multicast], allIns, made: made, always: true)
        }
    }
}
