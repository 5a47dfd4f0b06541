import OpenFlow
import OpenFlowText

/// Steps 2 and 3 of a change (see `PipelineEngine`): facts and marks, then recompiling.
extension PipelineEngine {
    mutating func settle() -> Output {
        let candidates = touched
        for p in touched.sorted() { applyFacts(p) }
        touched = []
        for d in deliveryChanged { markDelivery(d) }
        let deliveries = deliveryChanged
        deliveryChanged = []
        for n in fullNodes { markAll(n) }
        fullNodes = []

        var output = Output()
        // Nodes gone: their programs go with them; their units' bookkeeping too.
        for n in changedNodes where !nodes[n].present {
            releaseNodes.insert(n)
            if !nodes[n].store.unitKeys.isEmpty || !nodes[n].store.groups.isEmpty { output.removed.insert(nodes[n].id) }
            nodes[n].store = NodeStore()
            for v in Array(nodes[n].networks.keys) { clearUnits(n, v) }
            dirty[n] = nil
        }

        // Senders first: the labels they use decide which label units exist.
        for (n, units) in dirty {
            for u in units where u.kind == .sender { recompileSender(n, u) }
        }
        var nodesTouched: Set<NodeRef> = changedNodes
        for (n, units) in dirty where nodes[n].present {
            nodesTouched.insert(n)
            for u in units where u.kind != .sender {
                let flows = compile(n, u)
                unitsCompiled += 1
                if u.kind == .labelReceiver { noteLabelReceiver(n, u, present: !flows.isEmpty) }
                nodes[n].store.replace(u, with: flows)
            }
        }
        dirty = [:]
        changedNodes = []

        // Groups and meters whose use, buckets or rates may have changed.
        for d in deliveries {
            let gids = dests[d].groupIDs, meter = MeterIDs.of(dests[d].wireName), selector = dests[d].balanceSelector
            func touch(_ n: NodeRef) {
                for gid in gids { nodes[n].store.touchGroup(gid) }
                nodes[n].store.touchMeter(meter)
                if let selector { nodes[n].store.touchBalance(selector) }
                nodesTouched.insert(n)
            }
            for n in (destOut[d] ?? [:]).keys { touch(n) }
            for k in destIn[d] ?? [] { touch(k.node) }
        }
        // Rate-limited copies: their table 6 flows and meters, once every other unit is in
        // (their flows copy through no meter, so this changes no meter's use).
        for n in nodesTouched where nodes[n].present {
            for meter in nodes[n].store.metersTouched {
                let (flows, meters) = compileMetered(n, meter)
                unitsCompiled += 1
                nodes[n].store.replace(.metered(meter), with: flows)
                nodes[n].store.setMeter(meter, meters.first { $0.meterID == meter })
                nodes[n].store.setMeter(meter | MeterIDs.packets, meters.first { $0.meterID == meter | MeterIDs.packets })
            }
        }
        // Load-balanced copies: table 8, once the metered units are in (they may copy to them).
        for n in nodesTouched where nodes[n].present {
            for selector in nodes[n].store.balancesTouched {
                unitsCompiled += 1
                nodes[n].store.replace(.balanced(selector), with: compileBalanced(n, selector))
            }
        }
        for n in nodesTouched where nodes[n].present {
            for gid in nodes[n].store.groupsTouched {
                let used = (nodes[n].store.groupUses[gid] ?? 0) > 0
                nodes[n].store.setGroup(gid, used ? groupContent(n, gid) : nil)
            }
            let delta = nodes[n].store.takeDelta()
            if !delta.isEmpty { output.changes[nodes[n].id] = delta }
        }
        release(candidates)
        return output
    }

    // MARK: Facts

    /// Works out a touched port's facts again and carries the difference into the indexes,
    /// marking the units it alters.
    mutating func applyFacts(_ p: PortRef) {
        let old = facts(p)
        let new = PortFacts(topo: ports[p].topo, rules: ports[p].rules)
        guard old != new else { return }
        portFacts[p] = new.isEmpty ? nil : new

        // OUT copies on the port's node.
        if let n = old.outNode {
            mark(n, .out(p))
            nodes[n].outSources.remove(p)
            for d in old.outDests {
                destOut[d]?[n]?.remove(p)
                if destOut[d]?[n]?.isEmpty == true { destOut[d]?[n] = nil }
                if destOut[d]?.isEmpty == true { destOut[d] = nil }
            }
        }
        if let n = new.outNode {
            mark(n, .out(p))
            nodes[n].outSources.insert(p)
            for d in new.outDests { destOut[d, default: [:]][n, default: []].insert(p) }
        }

        // IN copies in the port's network.
        if old.receiver == new.receiver, let k = new.receiver {
            changeReceiver(k, p, old: old, new: new)
        } else {
            if let k = old.receiver { changeReceiver(k, p, old: old, new: nil) }
            if let k = new.receiver { changeReceiver(k, p, old: nil, new: new) }
        }

        // Its frames' labels, wherever its network has IN copies into its OUT destinations.
        let oldKeys = old.senderKeys, newKeys = new.senderKeys
        for k in oldKeys {
            outSources[k]?.remove(p)
            if outSources[k]?.isEmpty == true { outSources[k] = nil }
        }
        for k in newKeys { outSources[k, default: []].insert(p) }
        for k in Set(oldKeys).union(newKeys) {
            for n in networksWithIn[k] ?? [] { mark(n, .sender(k.vlan, p)) }
        }
    }

    /// One port's part in a network changes (nil: not a receiver there).
    mutating func changeReceiver(_ k: NetKey, _ p: PortRef, old: PortFacts?, new: PortFacts?) {
        let n = k.node, v = k.vlan
        mark(n, .receiver(v, p))
        let e = nodes[n].networks[v, default: NetworkState()].replace(p, old: old, new: new)
        guard let net = nodes[n].networks[v] else { return }
        let dests = Set((old?.mine ?? [:]).keys).union((new?.mine ?? [:]).keys)
        for d in dests { for l in net.labelsByDest[d] ?? [] { mark(n, .labelReceiver(v, l, p)) } }
        let everyReceiver = !e.gained.isEmpty || !e.lost.isEmpty || (e.rulesChanged && (e.filteredBefore || e.filteredAfter))
        if everyReceiver {
            mark(n, .multicast(v))
            for x in net.receivers { mark(n, .receiver(v, x)) }
            for l in net.labels.keys { mark(n, .labelMulticast(v, l)) }
        } else if e.rulesChanged {
            for x in net.partitioned { mark(n, .receiver(v, x)) }
        }
        for d in e.gained {
            let key = SenderKey(dest: d, vlan: v)
            networksWithIn[key, default: []].insert(n)
            destIn[d, default: []].insert(k)
            for s in outSources[key] ?? [] { mark(n, .sender(v, s)) }
        }
        for d in e.lost {
            let key = SenderKey(dest: d, vlan: v)
            networksWithIn[key]?.remove(n)
            if networksWithIn[key]?.isEmpty == true { networksWithIn[key] = nil }
            destIn[d]?.remove(k)
            if destIn[d]?.isEmpty == true { destIn[d] = nil }
            for s in outSources[key] ?? [] { mark(n, .sender(v, s)) }
        }
        // Receivers whose broadcasts skip a destination only while they are its sole contributor.
        for (d, a, b) in e.recounted {
            for m in [a, b] { for x in net.into[d]?[m] ?? [] { mark(n, .receiver(v, x)) } }
        }
        if net.isEmpty { nodes[n].networks[v] = nil }
    }

    // MARK: Marks beyond one port

    /// Where copies to `d` go changed: every unit that copies there.
    mutating func markDelivery(_ d: DestRef) {
        for (n, sources) in destOut[d] ?? [:] { for s in sources { mark(n, .out(s)) } }
        for k in destIn[d] ?? [] {
            guard let net = nodes[k.node].networks[k.vlan] else { continue }
            mark(k.node, .multicast(k.vlan))
            for x in net.receivers { mark(k.node, .receiver(k.vlan, x)) }
            for (l, xs) in net.labelReceivers {
                mark(k.node, .labelMulticast(k.vlan, l))
                for x in xs { mark(k.node, .labelReceiver(k.vlan, l, x)) }
            }
            for l in net.labels.keys { mark(k.node, .labelMulticast(k.vlan, l)) }
        }
    }

    /// Every unit the node has or should have.
    mutating func markAll(_ n: NodeRef) {
        guard nodes[n].present else { return }
        var units = Set(nodes[n].store.unitKeys.filter { $0.kind != .metered && $0.kind != .balanced })
        units.insert(.base)
        for d in nodes[n].services { units.insert(.service(d)) }
        for ofport in nodes[n].portTags.keys { units.insert(.classify(ofport)) }
        for p in nodes[n].outSources { units.insert(.out(p)) }
        for (v, net) in nodes[n].networks {
            units.insert(.multicast(v))
            for x in net.receivers { units.insert(.receiver(v, x)) }
            for d in net.counts.keys { for s in outSources[SenderKey(dest: d, vlan: v)] ?? [] { units.insert(.sender(v, s)) } }
            for s in net.senderLabels.keys { units.insert(.sender(v, s)) }
            for l in net.labels.keys {
                units.insert(.labelMulticast(v, l))
                for d in labels[l].dests { for x in net.receivers(into: d) { units.insert(.labelReceiver(v, l, x)) } }
            }
        }
        dirty[n, default: []].formUnion(units)
        for gid in nodes[n].store.groups.keys { nodes[n].store.touchGroup(gid) }
        for gid in nodes[n].store.groupUses.keys { nodes[n].store.touchGroup(gid) }
        for id in nodes[n].store.meters.keys { nodes[n].store.touchMeter(id & ~MeterIDs.packets) }
        for id in nodes[n].store.meterUses.keys { nodes[n].store.touchMeter(id) }
        for u in nodes[n].store.unitKeys where u.kind == .balanced { nodes[n].store.touchBalance(UInt32(bitPattern: u.a)) }
        for selector in nodes[n].store.balanceUses.keys { nodes[n].store.touchBalance(selector) }
    }

    // MARK: Labels

    mutating func recompileSender(_ n: NodeRef, _ u: UnitKey) {
        guard nodes[n].present else { return }
        let (flows, used) = compileSender(n, u.vlan, u.a)
        unitsCompiled += 1
        nodes[n].store.replace(u, with: flows)
        let v = u.vlan
        guard nodes[n].networks[v] != nil || !used.isEmpty else { return }
        let labelDests = labels
        let (appeared, gone) = nodes[n].networks[v, default: NetworkState()].setLabels(of: u.a, used) { labelDests[$0].dests }
        guard let net = nodes[n].networks[v] else { return }
        for l in appeared {
            labels[l].uses += 1
            mark(n, .labelMulticast(v, l))
            for d in labels[l].dests { for x in net.receivers(into: d) { mark(n, .labelReceiver(v, l, x)) } }
        }
        for l in gone {
            labels[l].uses -= 1
            releaseLabels.insert(l)
            mark(n, .labelMulticast(v, l))
            for x in net.labelReceivers[l] ?? [] { mark(n, .labelReceiver(v, l, x)) }
        }
        if net.isEmpty { nodes[n].networks[v] = nil }
    }

    mutating func noteLabelReceiver(_ n: NodeRef, _ u: UnitKey, present: Bool) {
        let v = u.vlan
        if present {
            nodes[n].networks[v, default: NetworkState()].labelReceivers[u.a, default: []].insert(u.b)
        } else if nodes[n].networks[v]?.labelReceivers[u.a] != nil {
            nodes[n].networks[v]?.labelReceivers[u.a]?.remove(u.b)
            if nodes[n].networks[v]?.labelReceivers[u.a]?.isEmpty == true { nodes[n].networks[v]?.labelReceivers[u.a] = nil }
            if nodes[n].networks[v]?.isEmpty == true { nodes[n].networks[v] = nil }
        }
    }

    /// Forgets what the units of a network of a node that left had made (labels, label receivers).
    mutating func clearUnits(_ n: NodeRef, _ v: VLANCode) {
        guard var net = nodes[n].networks[v] else { return }
        for l in net.labels.keys {
            labels[l].uses -= 1
            releaseLabels.insert(l)
        }
        net.labels = [:]
        net.labelsByDest = [:]
        net.senderLabels = [:]
        net.labelReceivers = [:]
        nodes[n].networks[v] = net.isEmpty ? nil : net
    }

    // MARK: Groups

    /// The group that tunnels copies from node `n` to a remote tap service's node.
    func groupContent(_ n: NodeRef, _ gid: UInt32) -> GroupDescription? {
        guard let d = groupService[gid], let tool = dests[d].tools.first(where: { GroupIDs.service(key: $0.key) == gid }),
              let t = ports[tool.port].topo, nodes[t.node].present, let ip = nodes[t.node].encap, let tunnel = nodes[n].tunnel else { return nil }
        return GroupDescription(type: .all, groupID: gid, buckets: [Bucket(actions: [
            .setField(.tunnelIPv4Dst(ip)), .setField(.tunnelID(UInt64(tool.key))), .output(PortNumber(tunnel)),
        ])])
    }

    // MARK: Releasing

    /// Frees the handles nothing uses any more, once a change is through (never during one,
    /// so a handle is never reused while a mark still names it).
    mutating func release(_ candidates: Set<PortRef>) {
        for p in candidates where ports.key(p) != nil && ports[p].isUnused { ports.release(p) }
        for d in releaseDests where dests.key(d) != nil && dests[d].uses <= 0 { dests.release(d) }
        for l in releaseLabels where labels.key(l) != nil && labels[l].uses <= 0 { labels.release(l) }
        for n in releaseNodes where nodes.key(n) != nil {
            let s = nodes[n]
            if !s.present && s.ports == 0 && s.networks.isEmpty && s.services.isEmpty { nodes.release(n) }
        }
        releaseDests = []
        releaseLabels = []
        releaseNodes = []
    }
}
