import OpenFlow
import TaaSPolicy
import OpenFlowText

/// Which flows a filtered copy's table 5 flow counts for (its priority there): a source's OUT
/// copies, a receiver's unicast IN copies, or neither (shared broadcast copies).
enum CopySide: UInt16, Sendable { case out = 100, `in` = 90, other = 80 }

/// A rule's part in one flow: `.copy` copies, `.made` was copied already (as OUT), `.cover`
/// copies nothing but makes the flow cover the VLANs where the rule applies.
enum Role: Sendable { case copy, made, cover }

/// The flows of one unit as they are made, keyed as a bridge keys them.
struct FlowBuilder {
    var flows: [(key: PackedKey, value: PackedValue)] = []

    mutating func add(_ key: PackedKey, _ cookie: UInt64, _ actions: [Action], goto next: UInt8?) {
        let value = PackedValue(cookie: cookie, actions: actions, goto: next)
        if let i = flows.firstIndex(where: { $0.key == key }) { flows[i] = (key, value) } else { flows.append((key, value)) }
    }
}

/// The units' flows, from the engine's inputs. Each function reads only what its unit depends
/// on (the list in `UnitKey.Kind`), which is what lets a change recompile only the units it marks.
extension PipelineEngine {
    static let baseCookie = Cookie.make(.base, "base")

    /// How a copy to `d` leaves node `n` (nil: it cannot, yet). With a snap length, outputs
    /// are truncating, and a copy to another node goes through a clone rather than the
    /// service's group (Open vSwitch ignores `max_len` in group buckets); the clone keeps the
    /// tunnel rewrites off the original frame just as the group does.
    func deliver(_ n: NodeRef, _ d: DestRef) -> Action? {
        // A rate-limited destination: the copy goes through its meter in table 6, where the
        // delivery below is made.
        if dests[d].rate != nil {
            return rawDeliver(n, d) == nil ? nil : .meteredCopy(meter: MeterIDs.of(dests[d].wireName))
        }
        return rawDeliver(n, d)
    }

    /// The copy's delivery itself, unmetered.
    func rawDeliver(_ n: NodeRef, _ d: DestRef) -> Action? {
        switch dests[d].kind {
        case .none: return nil
        case .mirror(let name): return nodes[n].managedPorts[name].flatMap { output(d, $0) }
        case .service(_, let port, let key):
            // Several tools: table 8 delivers to the one the hash picks (none while every tool is down).
            if let selector = dests[d].balanceSelector {
                guard dests[d].legs.contains(where: { toolDeliver(n, d, $0) != nil }) else { return nil }
                return .balancedCopy(selector: selector, tools: dests[d].legs.count, basis: 0)
            }
            return toolDeliver(n, d, DestSlot.Leg(port: port, key: key))
        }
    }

    /// Output to a port of this node, cut to the destination's snap length. Truncating outputs
    /// name 16-bit ports (all Open vSwitch gives); a larger number cannot be cut.
    func output(_ d: DestRef, _ port: UInt32) -> Action? {
        guard let snaplen = dests[d].snaplen else { return .output(PortNumber(port)) }
        return UInt16(exactly: port).map { .outputTruncated(port: $0, maxLength: UInt32(snaplen)) }
    }

    /// A copy to one tool port of service `d` from node `n` (nil: not possible now). A tool of a
    /// load-balanced service must also be up: a down tool's share goes to the others.
    func toolDeliver(_ n: NodeRef, _ d: DestRef, _ tool: DestSlot.Leg) -> Action? {
        guard let t = ports[tool.port].topo, let number = t.ofport, t.up || dests[d].legs.count <= 1 else { return nil }
        if t.node == n { return output(d, number) }
        guard let tunnel = nodes[n].tunnel, nodes[t.node].present, let encap = nodes[t.node].encap else { return nil }
        guard dests[d].snaplen != nil else { return .group(GroupIDs.service(key: tool.key)) }
        return output(d, tunnel).map { .clone([.setField(.tunnelIPv4Dst(encap)), .setField(.tunnelID(UInt64(tool.key))), $0]) }
    }

    /// A load-balanced service's table 8 on node `n` (while flows there copy to it): per tool,
    /// reg3 = selector | tool → the copy to that tool; a down tool's flow hashes again over the
    /// live tools (bit 7 set, basis tool + 1), and reg3 = selector | 0x80 | i → the i-th live tool.
    func compileBalanced(_ n: NodeRef, _ selector: UInt32) -> [(key: PackedKey, value: PackedValue)] {
        guard nodes[n].present, (nodes[n].store.balanceUses[selector] ?? 0) > 0, let d = balanceDest[selector], dests.key(d) != nil,
              dests[d].balanceSelector == selector else { return [] }
        let legs = dests[d].legs
        let deliveries = legs.map { toolDeliver(n, d, $0) }
        let live = deliveries.compactMap { $0 }
        guard !live.isEmpty else { return [] }
        let cookie = Cookie.make(.service, "balance:" + dests[d].wireName)
        var b = FlowBuilder()
        for (i, a) in deliveries.enumerated() {
            let again = Action.balancedCopy(selector: selector | Balance.again, tools: live.count, basis: UInt16(i + 1))
            b.add(PackedKey(Table.balance, 100).balance(selector | UInt32(i)), cookie, [a ?? again], goto: nil)
        }
        if live.count < legs.count {
            for (i, a) in live.enumerated() { b.add(PackedKey(Table.balance, 100).balance(selector | Balance.again | UInt32(i)), cookie, [a], goto: nil) }
        }
        return b.flows
    }

    /// The actions that copy to these destinations, in a fixed order: local ports by number, then groups.
    func actions(_ n: NodeRef, _ ds: Set<DestRef>) -> [Action] {
        if ds.count == 1, let only = ds.first { return deliver(n, only).map { [$0] } ?? [] }
        return ds.compactMap { deliver(n, $0) }.sorted { Self.actionOrder($0) < Self.actionOrder($1) }
    }

    /// The actions that make the copies of `copy` less those of `made` (already made as OUT
    /// copies). Per destination: nothing when an unfiltered copy was made; a plain copy when an
    /// unfiltered one is asked and nothing was made; otherwise a copy under a condition, when any
    /// asked filter matches and no made one does. Conditions are checked in table 5 (`condition`),
    /// whose flows are added to `b`; they come after the plain copies, by condition.
    func actions(_ b: inout FlowBuilder, _ n: NodeRef, copy: Set<Copy>, made: Set<Copy> = [], side: CopySide, cookie: UInt64) -> [Action] {
        if copy.allSatisfy({ $0.traffic == nil }) && made.allSatisfy({ $0.traffic == nil }) {
            let ds = Set(copy.map(\.dest))
            return actions(n, made.isEmpty ? ds : ds.subtracting(made.map(\.dest)))
        }
        var include: [DestRef: [TrafficMatch?]] = [:], exclude: [DestRef: [TrafficMatch?]] = [:]
        for c in copy { include[c.dest, default: []].append(c.traffic) }
        for c in made where include[c.dest] != nil { exclude[c.dest, default: []].append(c.traffic) }
        var direct: Set<DestRef> = []
        var filtered: [(UInt32, Action)] = []
        for (d, asked) in include {
            let done = exclude[d] ?? []
            if done.contains(where: { $0 == nil }) { continue }
            if asked.contains(where: { $0 == nil }) && done.isEmpty {
                direct.insert(d)
                continue
            }
            let includes = asked.contains(where: { $0 == nil }) ? nil : Self.sortedFilters(asked)
            // Every asked filter was made already: nothing left to copy.
            if let includes, Set(includes).isSubset(of: Set(done.compactMap { $0 })) { continue }
            guard let deliver = deliver(n, d) else { continue }
            filtered.append((condition(&b, deliver, includes: includes, excludes: Self.sortedFilters(done), side: side, cookie: cookie), deliver))
        }
        var out = actions(n, direct)
        for (c, _) in filtered.sorted(by: { $0.0 < $1.0 }) {
            out += [.setField(.register(CopyCondition.register, c)), .resubmit(inPort: Action.niciraInPort, table: Table.filters)]
        }
        return out
    }

    static func sortedFilters(_ list: [TrafficMatch?]) -> [TrafficMatch] {
        Array(Set(list.compactMap { $0 })).sorted { $0.text < $1.text }
    }

    /// Table 5's flows for one filtered copy, added to `b`; returns its condition. Frames that
    /// a made filter matches stop at priority 200; the others that an asked filter matches (nil:
    /// every frame) are copied, at the priority of `side` (which says how counters read them).
    func condition(_ b: inout FlowBuilder, _ deliver: Action, includes: [TrafficMatch]?, excludes: [TrafficMatch], side: CopySide,
                   cookie: UInt64) -> UInt32 {
        let words = PackedValue(cookie: 0, actions: [deliver], goto: nil).actions.list.map { String($0, radix: 16) }.joined(separator: ".")
        let text = "\(cookie):\(side.rawValue):\(words):+\(includes.map { $0.map(\.text).joined(separator: ";") } ?? "*"):-"
            + excludes.map(\.text).joined(separator: ";")
        let c = CopyCondition.of(text)
        let key = PackedKey(Table.filters, 200).condition(c)
        for g in excludes { for alt in g.alternatives { b.add(key.traffic(alt), cookie, [], goto: nil) } }
        var copyKey = key
        copyKey.priority = side.rawValue
        if let includes {
            for h in includes { for alt in h.alternatives { b.add(copyKey.traffic(alt), cookie, [deliver], goto: nil) } }
        } else {
            b.add(copyKey, cookie, [deliver], goto: nil)
        }
        return c
    }

    /// Kind, then port or group, then (ties: one port can be two destinations' in a topology
    /// that names it twice) whole before cut, by length.
    static func actionOrder(_ a: Action) -> (Int, UInt64, UInt64) {
        switch a {
        case .output(let port, _): (0, UInt64(port.rawValue), 0)
        case .outputTruncated(let port, let length): (0, UInt64(port), 1 + UInt64(length))
        case .group(let id): (1, UInt64(id), 0)
        // Where the service's group would be: by its tunnel key; copies through a meter after, by meter.
        case .clone:
            if let meter = a.meteredCopyMeter { (1, UInt64(meter), 2) } else if let b = a.balancedCopy { (1, UInt64(b.selector), 3) } else {
                (1, a.cloneTunnelKey.map { UInt64(GroupIDs.service(key: UInt32(truncatingIfNeeded: $0))) } ?? 0, 1)
            }
        default: (2, 0, 0)
        }
    }

    /// One flow per VLAN class of `members` (one flow when none has a filter): copies to the
    /// destinations of `.copy` members, less those of `.made` members and `made`.
    func emit(_ b: inout FlowBuilder, _ n: NodeRef, _ key: PackedKey, _ cookie: UInt64,
              _ members: [(filter: VLANFilter?, copy: Copy, role: Role)], made: Set<Copy> = [], always: Bool, side: CopySide = .other) {
        if members.allSatisfy({ $0.filter == nil }) {
            guard !members.isEmpty else { return }
            var copied = Set<Copy>(), already = made
            for m in members {
                if m.role == .copy { copied.insert(m.copy) } else if m.role == .made { already.insert(m.copy) }
            }
            let a = actions(&b, n, copy: copied, made: already, side: side, cookie: cookie)
            if a.isEmpty && !always { return }
            b.add(key, cookie, a, goto: Table.forward)
            return
        }
        for (classes, applied) in VLANClasses.partition(members.map { ($0.filter, $0) }) {
            let copied = Set(applied.filter { $0.role == .copy }.map(\.copy))
            let already = Set(applied.filter { $0.role == .made }.map(\.copy)).union(made)
            let a = actions(&b, n, copy: copied, made: already, side: side, cookie: cookie)
            if a.isEmpty && !always { continue }
            for v in classes { b.add(key.vlan(v), cookie, a, goto: Table.forward) }
        }
    }

    /// A unit's flows now (empty: the unit has none, or should not exist). Sender units use
    /// `compileSender`, which also says which labels they use.
    func compile(_ n: NodeRef, _ u: UnitKey) -> [(key: PackedKey, value: PackedValue)] {
        var b = FlowBuilder()
        let node = nodes[n]
        guard node.present else { return [] }
        switch u.kind {
        case .base:
            let base = Self.baseCookie
            b.add(PackedKey(Table.ingress, 0), base, [], goto: Table.outTaps)
            b.add(PackedKey(Table.outTaps, 0), base, [], goto: Table.senders)
            b.add(PackedKey(Table.senders, 0), base, [], goto: Table.inTaps)
            b.add(PackedKey(Table.inTaps, 0), base, [], goto: Table.forward)
            b.add(PackedKey(Table.forward, 0), base, [.output(.normal)], goto: nil)
            // Only copies arrive on the tunnel port; one with a key of no local service is dropped.
            if let tunnel = node.tunnel { b.add(PackedKey(Table.ingress, 190).inPort(tunnel), base, [], goto: nil) }

        case .service:
            // A tap service's tool ports here: receive-only, and each the end of its tunnel key.
            guard case .service(let id, _, _) = dests[u.a].kind else { break }
            let cookie = Cookie.make(.service, id.rawValue)
            for tool in dests[u.a].tools {
                guard let t = ports[tool.port].topo, t.node == n, let number = t.ofport else { continue }
                b.add(PackedKey(Table.ingress, 180).inPort(number), cookie, [], goto: nil)
                if let tunnel = node.tunnel {
                    b.add(PackedKey(Table.ingress, 200).inPort(tunnel).tunnelID(UInt64(tool.key)), cookie, [.output(PortNumber(number))], goto: nil)
                }
            }

        case .classify:
            // Table 0 says which network a frame comes from. Installed with the port, not with
            // the node's first IN copies: then a node's first tap flow costs a few flows, not
            // one per port (service ports' frames are dropped before it matters).
            let number = UInt32(bitPattern: u.a)
            guard let entry = node.portTags[number], let tag = entry, node.servicePorts[number] == nil else { break }
            b.add(PackedKey(Table.ingress, 100).inPort(number), Self.baseCookie, [.setField(.register(Network.register, Network.id(tag)))],
                  goto: Table.outTaps)

        case .out:
            // What a source port sends.
            let p = ports[u.a]
            guard let t = p.topo, t.node == n, let number = t.ofport else { break }
            let outs = p.rules.filter(\.out)
            guard !outs.isEmpty else { break }
            for (vlan, members) in VLANClasses.partition(outs.map { ($0.filter, $0.copy) }) {
                let a = actions(&b, n, copy: Set(members), side: .out, cookie: p.cookie)
                guard !a.isEmpty else { continue }
                for v in vlan { b.add(PackedKey(Table.outTaps, 100).inPort(number).vlan(v), p.cookie, a, goto: Table.senders) }
            }

        case .multicast:
            // Broadcast and multicast reach every receiver of the network.
            guard let net = node.networks[u.vlan], !net.receivers.isEmpty else { break }
            emit(&b, n, PackedKey(Table.inTaps, 40).network(u.vlan).multicast, Self.multicastCookie(u.vlan),
                 net.inRules.keys.map { ($0.filter, $0.copy, .copy) }, always: false)

        case .receiver:
            compileReceiver(&b, n, u.vlan, u.a)

        case .sender:
            // Compiled by `compileSender`, which also says which labels it uses.
            break

        case .metered:
            return compileMetered(n, UInt32(bitPattern: u.a)).flows

        case .balanced:
            return compileBalanced(n, UInt32(bitPattern: u.a))

        case .labelMulticast:
            guard let net = node.networks[u.vlan], net.labels[u.a] != nil else { break }
            let label = labels[u.a]
            emit(&b, n, PackedKey(Table.inTaps, 60).network(u.vlan).label(label.value).multicast, Self.labelCookie(label.value),
                 net.inRules.keys.map { ($0.filter, $0.copy, .copy) }, made: Set(label.copies), always: true)

        case .labelReceiver:
            // IN copies less what the sender's OUT copies already delivered.
            guard let net = node.networks[u.vlan], net.labels[u.a] != nil, net.receivers.contains(u.b),
                  let mac = ports[u.b].topo?.mac else { break }
            let label = labels[u.a]
            let own = facts(u.b).ins
            let dests = Set(label.dests)
            guard own.contains(where: { dests.contains($0.key.dest) }) else { break }
            emit(&b, n, PackedKey(Table.inTaps, 60).network(u.vlan).label(label.value).ethDst(mac), Self.labelCookie(label.value),
                 own.map { ($0.key.filter, $0.key.copy, .copy) }, made: Set(label.copies), always: true)
        }
        return b.flows
    }

    /// A rate-limited destination's copies on node `n` (while flows there copy through its
    /// meter): table 6 (and 7 when both rates are limited) sends them through the meters to
    /// their delivery; and the meters.
    func compileMetered(_ n: NodeRef, _ key: UInt32) -> (flows: [(key: PackedKey, value: PackedValue)], meters: [MeterConfig]) {
        guard nodes[n].present, (nodes[n].store.meterUses[key] ?? 0) > 0, let d = meterDest[key], dests.key(d) != nil,
              MeterIDs.of(dests[d].wireName) == key, let rate = dests[d].rate, let raw = rawDeliver(n, d) else { return ([], []) }
        let cookie = Cookie.make(.service, "meter:" + dests[d].wireName)
        var b = FlowBuilder()
        var meters: [MeterConfig] = []
        if let kbps = rate.maxKbps {
            meters.append(MeterConfig(flags: [.kbps, .burst, .stats], meterID: key, bands: [.drop(rate: kbps, burstSize: rate.burstKbits ?? kbps)]))
        }
        if let kpps = rate.maxKpps {
            let pps = UInt32(clamping: UInt64(kpps) * 1000)
            meters.append(MeterConfig(flags: [.pktps, .burst, .stats], meterID: key | MeterIDs.packets,
                                      bands: [.drop(rate: pps, burstSize: max(1, UInt32(clamping: UInt64(pps) * 8 / 10)))]))
        }
        // One meter per table: the first polices and goes on, the last delivers.
        for (i, m) in meters.enumerated() {
            let last = i == meters.count - 1
            let table = i == 0 ? Table.metered : Table.meteredPackets
            b.flows.append((PackedKey(table, 100).meterKey(key),
                            PackedValue(cookie: cookie, actions: last ? [raw] : [], goto: last ? nil : Table.meteredPackets).metered(m.meterID)))
        }
        return (b.flows, meters)
    }

    /// A receiver's unicast IN copies, and what broadcasts it sends itself copy: not to itself,
    /// and not again where its OUT copies went.
    func compileReceiver(_ b: inout FlowBuilder, _ n: NodeRef, _ v: VLANCode, _ x: PortRef) {
        guard let net = nodes[n].networks[v], net.receivers.contains(x), let t = ports[x].topo, let mac = t.mac,
              let number = t.ofport else { return }
        let facts = self.facts(x)
        let cookie = ports[x].cookie
        emit(&b, n, PackedKey(Table.inTaps, 50).network(v).ethDst(mac), cookie, facts.ins.map { ($0.key.filter, $0.key.copy, .copy) },
             always: false, side: .in)
        let key = PackedKey(Table.inTaps, 70).network(v).inPort(number).multicast
        let outs = ports[x].rules.filter(\.out)
        if net.filteredIn == 0 && !facts.filteredOut {
            // A destination drops out only when this receiver is its only contributor.
            var copied = Set(net.counts.keys)
            for (d, mine) in facts.mine where net.counts[d] == mine { copied.remove(d) }
            for r in outs { copied.remove(r.dest) }
            b.add(key, cookie, actions(n, copied), goto: Table.forward)
        } else {
            var members: [(filter: VLANFilter?, copy: Copy, role: Role)] = []
            for (k, count) in net.inRules where count > facts.inCount(k) { members.append((k.filter, k.copy, .copy)) }
            for c in facts.ins { members.append((c.key.filter, c.key.copy, .cover)) }
            for r in outs { members.append((r.filter, r.copy, .made)) }
            emit(&b, n, key, cookie, members, always: true)
        }
    }

    /// Table 2's flows of a sender on one network: its frames labelled (by source MAC) with the
    /// set its OUT copies went to, where that set meets the network's IN copies; and the labels
    /// used. Labels are interned here, hence mutating.
    mutating func compileSender(_ n: NodeRef, _ v: VLANCode, _ s: PortRef) -> (flows: [(key: PackedKey, value: PackedValue)], labels: [LabelRef]) {
        guard nodes[n].present, let net = nodes[n].networks[v], !net.receivers.isEmpty, let t = ports[s].topo, t.vlan == v,
              let smac = t.mac else { return ([], []) }
        var b = FlowBuilder()
        var used: Set<LabelRef> = []
        let outs = ports[s].rules.filter(\.out)
        for (classes, members) in VLANClasses.partition(outs.map { ($0.filter, $0.copy) }) {
            let made = Set(members)
            guard made.contains(where: { net.counts[$0.dest] != nil }) else { continue }
            let l = label(made)
            used.insert(l)
            for c in classes {
                b.add(PackedKey(Table.senders, 100).network(v).ethSrc(smac).vlan(c), ports[s].cookie,
                      [.setField(.register(SenderLabel.register, labels[l].value))], goto: Table.inTaps)
            }
        }
        return (b.flows, used.sorted())
    }

    /// The label of a set of copies (interned): named by the destinations' wire names and filters.
    mutating func label(_ made: Set<Copy>) -> LabelRef {
        let key = made.sorted()
        return labels.handle(key) {
            LabelSlot(copies: key, dests: Array(Set(key.map(\.dest))).sorted(),
                      value: SenderLabel.of(key.map { c in dests[c.dest].wireName + (c.traffic.map { "|" + $0.text } ?? "") }), uses: 0)
        }
    }

    static func multicastCookie(_ v: VLANCode) -> UInt64 { Cookie.make(.source, "network:\(v.tag.map(String.init) ?? "untagged")") }
    static func labelCookie(_ value: UInt32) -> UInt64 { Cookie.make(.source, "label:\(value)") }
}

extension Action {
    /// The tunnel key a copy's clone toward another node sets (nil: not such a clone).
    var cloneTunnelKey: UInt64? {
        guard case .clone(let inner) = self else { return nil }
        for a in inner { if case .setField(let f) = a, f.id == .tunnelID { return f.value.integer } }
        return nil
    }
}
