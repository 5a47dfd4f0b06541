// TEMPORARY oracle: the previous whole-policy compiler, to hold the engine's units to it.
import Dispatch
import OpenFlow
import OpenFlowText
@testable import Pipeline
import TaaSPolicy
import Topology


/// A rule's part in one flow of table 2.
enum OldRole: Sendable { case copy, made, cover }

/// (policy, topology) → the flows and groups of every bridge. Pure and deterministic.
/// A class: its indexes are shared by every node's compile (and its helpers' closures) without
/// copying, which a struct of many references would cost on each capture.
final class OldCompiler: Sendable {
    let topology: Topology
    let services: [String: TapService]
    let index: OldRuleIndex
    /// Node → its ports with an OpenFlow number (in no order), and the tap services whose port is there.
    let portsByNode: [String: [Topology.Port]]
    let servicesByNode: [String: [TapService]]

    init(services: [TapService], flows: [TapFlow], mirrors: [TapMirror], topology: Topology) {
        self.topology = topology
        self.services = Dictionary(services.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        index = OldRuleIndex(flows: flows, mirrors: mirrors, networkOf: { topology.ports[$0].map(\.vlan) })
        // Sorted by each node's compile, where it runs side by side with the others.
        var byNode: [String: [Topology.Port]] = [:]
        for port in topology.ports.values where port.ofport != nil { byNode[port.node, default: []].append(port) }
        portsByNode = byNode
        servicesByNode = Dictionary(grouping: services.filter { topology.ports[$0.portID]?.ofport != nil }) { topology.ports[$0.portID]?.node ?? "" }
    }

    /// Every node's program.
    func programs() -> [String: BridgeProgram] {
        var out: [String: BridgeProgram] = [:]
        for id in topology.nodes.keys { out[id] = program(node: id) }
        return out
    }

    /// These nodes' programs (every node's when nil), compiled side by side on every core:
    /// nodes are independent. A node not in the topology gets no entry. Dispatch's workers do
    /// the work, not Swift's cooperative threads, which the caller's other tasks may hold.
    func programs(nodes: Set<String>?) -> [String: BridgeProgram] {
        let ids = (nodes ?? Set(topology.nodes.keys)).filter { topology.nodes[$0] != nil }.sorted()
        let results = OldResults(count: ids.count)
        DispatchQueue.concurrentPerform(iterations: ids.count) { i in results.set(i, program(node: ids[i])) }
        return Dictionary(uniqueKeysWithValues: zip(ids, results.take()))
    }

    static let multicast: OXMField = .ethDst(EthernetAddress(rawValue: 0x0100_0000_0000), mask: EthernetAddress(rawValue: 0x0100_0000_0000))

    /// One node's program.
    func program(node nodeID: String) -> BridgeProgram {
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
        var delivered: [OldDestination: Action?] = [:]
        func deliver(_ d: OldDestination) -> Action? {
            if let known = delivered[d] { return known }
            let a = route(d)
            delivered[d] = a
            return a
        }
        func route(_ d: OldDestination) -> Action? {
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
        func actions(_ dests: Set<OldDestination>) -> [Action] {
            if dests.count == 1, let only = dests.first { return actions(only) }
            return dests.compactMap(deliver).sorted { Self.actionOrder($0) < Self.actionOrder($1) }
        }
        func actions(_ only: OldDestination) -> [Action] { deliver(only).map { [$0] } ?? [] }

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
private final class OldResults: @unchecked Sendable {
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


extension OldCompiler {
    /// The IN copies of one network's receivers: unicast to each one's MAC; broadcast and
    /// multicast to all of them but the sender; and, where the sender's OUT copies (made here or
    /// on its own node) already went to a destination, not again.
    func compileNetwork(_ vlan: UInt16?, _ receivers: [Topology.Port], into p: inout BridgeProgram,
                        actions: (Set<OldDestination>) -> [Action], single: (OldDestination) -> [Action]) {
        let net: OXMField = .register(Network.register, Network.id(vlan))
        // Receivers by position: their IN rules (frames seen on an access port are untagged, so
        // a VLAN filter never matches them), those rules' destinations, and their OUT rules.
        let ins: [[OldRule]] = receivers.map { x in (index.bySource[x.id] ?? []).filter { !$0.out && (vlan == nil || $0.filter == nil) } }
        let inDests: [Set<OldDestination>] = ins.map { Set($0.map(\.destination)) }
        func outs(_ id: String) -> [OldRule] { (index.bySource[id] ?? []).filter(\.out) }
        // Each rule with its role: .copy counts as an IN copy, .made was already copied as OUT,
        // .cover copies nothing but makes the flow cover the VLANs where the rule applies.
        // `made` destinations are subtracted in every VLAN class.
        func emit(_ table: UInt8, _ priority: UInt16, _ cookie: UInt64, _ match: [OXMField], _ members: [(OldRule, OldRole)],
                  made: Set<OldDestination> = [], always: Bool) {
            // Without filters there is one class: no partition needed.
            if members.allSatisfy({ $0.0.filter == nil }) {
                guard !members.isEmpty else { return }
                // One IN copy (the common case): no sets needed.
                if members.count == 1, members[0].1 == .copy {
                    let d = members[0].0.destination
                    let a = made.contains(d) ? [] : single(d)
                    if a.isEmpty && !always { return }
                    p.add(table, priority, cookie, match, a, goto: Table.forward)
                    return
                }
                var copied = Set<OldDestination>(), already = made
                for (r, role) in members {
                    if role == .copy { copied.insert(r.destination) } else if role == .made { already.insert(r.destination) }
                }
                let a = actions(already.isEmpty ? copied : copied.subtracting(already))
                if a.isEmpty && !always { return }
                p.add(table, priority, cookie, match, a, goto: Table.forward)
                return
            }
            for (classes, applied) in VLANClasses.partition(members.map { ($0.0.filter, $0) }) {
                let copied = Set(applied.filter { $0.1 == .copy }.map(\.0.destination))
                    .subtracting(applied.filter { $0.1 == .made }.map(\.0.destination)).subtracting(made)
                let a = actions(copied)
                if a.isEmpty && !always { continue }
                for v in classes { p.add(table, priority, cookie, match, and: v, a, goto: Table.forward) }
            }
        }
        // MACs parsed once per network (text to bytes is the costliest step otherwise).
        let macs: [EthernetAddress?] = receivers.map { EthernetAddress($0.mac) }
        var position: [String: Int] = [:]
        position.reserveCapacity(receivers.count)
        for (i, x) in receivers.enumerated() { position[x.id] = i }
        let allIns = ins.flatMap { $0.map { ($0, OldRole.copy) } }
        let inOldDestinations = inDests.reduce(into: Set<OldDestination>()) { $0.formUnion($1) }
        // OldDestination → the receivers with IN copies into it.
        var receiversInto: [OldDestination: [Int]] = [:]
        for (i, ds) in inDests.enumerated() { for d in ds { receiversInto[d, default: []].append(i) } }
        let mcastCookie = Cookie.make(.source, "network:\(vlan.map(String.init) ?? "untagged")")

        // Broadcast and multicast reach every receiver of the network.
        emit(Table.inTaps, 40, mcastCookie, [net, Self.multicast], allIns, always: false)

        // Without VLAN filters, "every receiver but this one" is a count per destination, not a
        // walk over the others for each receiver.
        let unfiltered = allIns.allSatisfy { $0.0.filter == nil }
        var contributions: [OldDestination: Int] = [:]
        if unfiltered { for (r, _) in allIns { contributions[r.destination, default: 0] += 1 } }
        var cookies: [UInt64] = []
        cookies.reserveCapacity(receivers.count)
        for (i, x) in receivers.enumerated() {
            let cookie = Cookie.make(.source, x.id)
            cookies.append(cookie)
            guard let mac = macs[i], let number = x.ofport else { continue }
            let own = ins[i], sent = outs(x.id)
            emit(Table.inTaps, 50, cookie, [net, .ethDst(mac)], own.map { ($0, .copy) }, always: false)
            // What it sends itself is not delivered to it, and its OUT copies are made already.
            let match: [OXMField] = [net, .inPort(PortNumber(number)), Self.multicast]
            if unfiltered && sent.allSatisfy({ $0.filter == nil }) {
                // A destination drops out only when this receiver is its only contributor.
                var mine: [OldDestination: Int] = [:]
                for r in own { mine[r.destination, default: 0] += 1 }
                var copied = inOldDestinations
                for (d, n) in mine where contributions[d] == n { copied.remove(d) }
                for r in sent { copied.remove(r.destination) }
                p.add(Table.inTaps, 70, cookie, match, actions(copied), goto: Table.forward)
            } else {
                let others = allIns.filter { $0.0.source != x.id }
                emit(Table.inTaps, 70, cookie, match, others + own.map { ($0, .cover) } + sent.map { ($0, .made) }, always: true)
            }
        }

        // Senders (here or on other nodes) whose OUT copies overlap these IN copies: table 2
        // labels their frames (by source MAC) with the set their OUT copies went to.
        var senders: Set<String> = []
        for d in inOldDestinations { senders.formUnion(index.outSources[OldRuleIndex.SenderKey(destination: d, vlan: vlan)] ?? []) }
        var labels: [UInt32: Set<OldDestination>] = [:]
        // Many senders share a set; its label (a hash of wire names) is worked out once.
        var labelOf: [Set<OldDestination>: UInt32] = [:]
        for sid in senders.sorted() {
            guard let sender = topology.ports[sid], sender.vlan == vlan else { continue }
            let known = position[sid].flatMap { macs[$0] }
            guard let smac = known ?? EthernetAddress(sender.mac) else { continue }
            let cookie = position[sid].map { cookies[$0] } ?? Cookie.make(.source, sid)
            for (classes, rules) in VLANClasses.partition(outs(sid).map { ($0.filter, $0) }) {
                let made = Set(rules.map(\.destination))
                guard !made.isDisjoint(with: inOldDestinations) else { continue }
                let label: UInt32
                if let l = labelOf[made] {
                    label = l
                } else {
                    label = SenderLabel.of(made.map { d in
                        d.kind == .service ? services[d.id].map { "key:\($0.tunnelKey)" } ?? d.id : "port:\(d.id)"
                    })
                    labelOf[made] = label
                    labels[label] = made
                }
                for v in classes {
                    p.add(Table.senders, 100, cookie, [net, .ethSrc(smac)], and: v,
                          [.setField(.register(SenderLabel.register, label))], goto: Table.inTaps)
                }
            }
        }
        // For each such set: IN copies less what the sender's OUT copies already delivered, for
        // the receivers with IN copies into the set.
        for (label, made) in labels.sorted(by: { $0.key < $1.key }) {
            let tag: OXMField = .register(SenderLabel.register, label)
            let cookie = Cookie.make(.source, "label:\(label)")
            var chosen = Set<Int>()
            for d in made { chosen.formUnion(receiversInto[d] ?? []) }
            for i in chosen.sorted() {
                guard let mac = macs[i] else { continue }
                emit(Table.inTaps, 60, cookie, [net, tag, .ethDst(mac)], ins[i].map { ($0, .copy) }, made: made, always: true)
            }
            emit(Table.inTaps, 60, cookie, [net, tag, Self.multicast], allIns, made: made, always: true)
        }
    }
}


/// Where a copy goes: a tap service, or one direction port of a tap mirror.
struct OldDestination: Hashable, Comparable, Sendable {
    enum Kind: Int, Sendable { case service, mirror }
    let kind: Kind
    /// The tap service's id, or the mirror port's name.
    let id: String
    /// Hashed once: the compiler puts destinations in sets and dictionaries for every flow.
    private let hashCode: Int

    init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
        var h = Hasher()
        h.combine(kind)
        h.combine(id)
        hashCode = h.finalize()
    }

    func hash(into h: inout Hasher) { h.combine(hashCode) }
    static func == (a: Self, b: Self) -> Bool { a.hashCode == b.hashCode && a.kind == b.kind && a.id == b.id }
    static func < (a: Self, b: Self) -> Bool { (a.kind.rawValue, a.id) < (b.kind.rawValue, b.id) }
}

/// One direction of one tap flow (or tap mirror key): copy what `source` sends (`out`) or what
/// it is delivered (`!out`), restricted to `filter`, to `destination`.
struct OldRule: Hashable, Sendable {
    var source: String
    var out: Bool
    var filter: VLANFilter?
    var destination: OldDestination
}

/// The policy as rules, indexed the ways the compiler looks them up.
struct OldRuleIndex: Sendable {
    var bySource: [String: [OldRule]] = [:]
    /// (OldDestination, the source's network) → sources with OUT rules into it (for copies that
    /// would be made twice). By network, so that compiling one network does not walk every
    /// sender of a destination that spans thousands of nodes.
    var outSources: [SenderKey: Set<String>] = [:]
    struct SenderKey: Hashable, Sendable {
        var destination: OldDestination
        var vlan: UInt16?
    }

    /// `networkOf` gives a port's network (nil when the port is unknown: its OUT rules label nothing).
    init(flows: [TapFlow], mirrors: [TapMirror], networkOf: (String) -> UInt16??) {
        bySource.reserveCapacity(flows.count + mirrors.count)
        // One destination value per service: its hash is worked out once.
        var destinations: [ResourceID: OldDestination] = [:]
        for f in flows {
            let d: OldDestination
            if let known = destinations[f.tapServiceID] {
                d = known
            } else {
                d = OldDestination(kind: .service, id: f.tapServiceID.rawValue)
                destinations[f.tapServiceID] = d
            }
            if f.direction != .in { add(networkOf, OldRule(source: f.sourcePort, out: true, filter: f.vlanFilter, destination: d)) }
            if f.direction != .out { add(networkOf, OldRule(source: f.sourcePort, out: false, filter: f.vlanFilter, destination: d)) }
        }
        for m in mirrors {
            for (direction, _) in m.directions {
                let d = OldDestination(kind: .mirror, id: MirrorPortName.make(m.id, direction))
                if direction != .in { add(networkOf, OldRule(source: m.portID, out: true, filter: nil, destination: d)) }
                if direction != .out { add(networkOf, OldRule(source: m.portID, out: false, filter: nil, destination: d)) }
            }
        }
    }

    mutating func add(_ networkOf: (String) -> UInt16??, _ r: OldRule) {
        bySource[r.source, default: []].append(r)
        if r.out, let vlan = networkOf(r.source) { outSources[SenderKey(destination: r.destination, vlan: vlan), default: []].insert(r.source) }
    }
}

