import OpenFlow
import Topology

extension Compiler {
    /// The IN copies of one network's receivers: unicast to each one's MAC; broadcast and
    /// multicast to all of them but the sender; and, where the sender's OUT copies (made here or
    /// on its own node) already went to a destination, not again.
    func compileNetwork(_ vlan: UInt16?, _ receivers: [Topology.Port], into p: inout BridgeProgram,
                        actions: (Set<Destination>) -> [Action], single: (Destination) -> [Action]) {
        let net: OXMField = .register(Network.register, Network.id(vlan))
        // Receivers by position: their IN rules (frames seen on an access port are untagged, so
        // a VLAN filter never matches them), those rules' destinations, and their OUT rules.
        let ins: [[Rule]] = receivers.map { x in (index.bySource[x.id] ?? []).filter { !$0.out && (vlan == nil || $0.filter == nil) } }
        let inDests: [Set<Destination>] = ins.map { Set($0.map(\.destination)) }
        func outs(_ id: String) -> [Rule] { (index.bySource[id] ?? []).filter(\.out) }
        // Each rule with its role: .copy counts as an IN copy, .made was already copied as OUT,
        // .cover copies nothing but makes the flow cover the VLANs where the rule applies.
        // `made` destinations are subtracted in every VLAN class.
        func emit(_ table: UInt8, _ priority: UInt16, _ cookie: UInt64, _ match: [OXMField], _ members: [(Rule, Role)],
                  made: Set<Destination> = [], always: Bool) {
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
                var copied = Set<Destination>(), already = made
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
        let allIns = ins.flatMap { $0.map { ($0, Role.copy) } }
        let inDestinations = inDests.reduce(into: Set<Destination>()) { $0.formUnion($1) }
        // Destination → the receivers with IN copies into it.
        var receiversInto: [Destination: [Int]] = [:]
        for (i, ds) in inDests.enumerated() { for d in ds { receiversInto[d, default: []].append(i) } }
        let mcastCookie = Cookie.make(.source, "network:\(vlan.map(String.init) ?? "untagged")")

        // Broadcast and multicast reach every receiver of the network.
        emit(Table.inTaps, 40, mcastCookie, [net, Self.multicast], allIns, always: false)

        // Without VLAN filters, "every receiver but this one" is a count per destination, not a
        // walk over the others for each receiver.
        let unfiltered = allIns.allSatisfy { $0.0.filter == nil }
        var contributions: [Destination: Int] = [:]
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
                var mine: [Destination: Int] = [:]
                for r in own { mine[r.destination, default: 0] += 1 }
                var copied = inDestinations
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
        for d in inDestinations { senders.formUnion(index.outSources[RuleIndex.SenderKey(destination: d, vlan: vlan)] ?? []) }
        var labels: [UInt32: Set<Destination>] = [:]
        // Many senders share a set; its label (a hash of wire names) is worked out once.
        var labelOf: [Set<Destination>: UInt32] = [:]
        for sid in senders.sorted() {
            guard let sender = topology.ports[sid], sender.vlan == vlan else { continue }
            let known = position[sid].flatMap { macs[$0] }
            guard let smac = known ?? EthernetAddress(sender.mac) else { continue }
            let cookie = position[sid].map { cookies[$0] } ?? Cookie.make(.source, sid)
            for (classes, rules) in VLANClasses.partition(outs(sid).map { ($0.filter, $0) }) {
                let made = Set(rules.map(\.destination))
                guard !made.isDisjoint(with: inDestinations) else { continue }
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
