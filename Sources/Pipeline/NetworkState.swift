/// One network of one node (its ports on one access VLAN, or the untagged ones) as the IN
/// copies see it: the receivers, their IN rules counted, and the senders' labels. Kept as
/// receivers come, go and change, so that a change names the units it alters.
struct NetworkState: Sendable {
    var receivers: Set<PortRef> = []
    /// Every receiver's IN rules, counted by (destination, filter).
    var inRules: [InKey: Int] = [:]
    /// IN rules per destination; a destination with a count is in the network's IN set.
    var counts: [DestRef: Int] = [:]
    /// IN rules with a VLAN filter (only the untagged network keeps any) or a traffic filter:
    /// while there are some, a receiver's broadcast flow depends on every rule, not on counts.
    var filteredIn = 0
    /// Receivers by destination and by how many IN rules into it they have.
    var into: [DestRef: [Int: Set<PortRef>]] = [:]
    /// Receivers whose OUT rules carry a filter (their broadcast flow depends on every rule).
    var partitioned: Set<PortRef> = []
    /// Labels of the senders' units here, counted, by destination, and each sender's.
    var labels: [LabelRef: Int] = [:]
    var labelsByDest: [DestRef: Set<LabelRef>] = [:]
    var senderLabels: [PortRef: [LabelRef]] = [:]
    /// Receivers that have a unit of each label.
    var labelReceivers: [LabelRef: Set<PortRef>] = [:]

    var isEmpty: Bool { receivers.isEmpty && labels.isEmpty && senderLabels.isEmpty && labelReceivers.isEmpty }

    /// Every receiver with IN rules into `d`.
    func receivers(into d: DestRef) -> Set<PortRef> {
        var out: Set<PortRef> = []
        for (_, set) in into[d] ?? [:] { out.formUnion(set) }
        return out
    }

    /// What a change of one receiver's rules did to the network as a whole.
    struct Effects {
        var gained: [DestRef] = []
        var lost: [DestRef] = []
        /// Destinations still in the IN set whose count changed: (destination, before, after).
        var recounted: [(DestRef, Int, Int)] = []
        var rulesChanged = false
        var filteredBefore = false
        var filteredAfter = false
    }

    /// Replaces one port's part: its IN rules `old` (as a receiver when `wasIn`) by `new`.
    mutating func replace(_ p: PortRef, old: PortFacts?, new: PortFacts?) -> Effects {
        var e = Effects()
        e.filteredBefore = filteredIn > 0
        if old != nil && new == nil { receivers.remove(p) }
        if old == nil && new != nil { receivers.insert(p) }
        if old?.filteredOut == true { partitioned.remove(p) }
        if new?.filteredOut == true { partitioned.insert(p) }
        let oldIns = old?.ins ?? .none, newIns = new?.ins ?? .none
        if oldIns != newIns {
            e.rulesChanged = true
            for c in oldIns {
                let n = Int(c.count)
                inRules[c.key, default: 0] -= n
                if inRules[c.key] == 0 { inRules[c.key] = nil }
                if c.key.filter != nil || c.key.traffic != nil { filteredIn -= n }
            }
            for c in newIns {
                let n = Int(c.count)
                inRules[c.key, default: 0] += n
                if c.key.filter != nil || c.key.traffic != nil { filteredIn += n }
            }
            let oldMine = old?.mine ?? [:], newMine = new?.mine ?? [:]
            for d in Set(oldMine.keys).union(newMine.keys) {
                let a = oldMine[d] ?? 0, b = newMine[d] ?? 0
                guard a != b else { continue }
                if a > 0 {
                    into[d]?[a]?.remove(p)
                    if into[d]?[a]?.isEmpty == true { into[d]?[a] = nil }
                }
                if b > 0 { into[d, default: [:]][b, default: []].insert(p) }
                if into[d]?.isEmpty == true { into[d] = nil }
                let before = counts[d] ?? 0, after = before - a + b
                counts[d] = after > 0 ? after : nil
                if before == 0 && after > 0 {
                    e.gained.append(d)
                } else if before > 0 && after == 0 {
                    e.lost.append(d)
                } else {
                    e.recounted.append((d, before, after))
                }
            }
        }
        e.filteredAfter = filteredIn > 0
        return e
    }

    /// Counts a sender unit's labels (what it used before out, what it uses now in); returns
    /// the labels that appeared here and those gone.
    mutating func setLabels(of sender: PortRef, _ now: [LabelRef], dests: (LabelRef) -> [DestRef]) -> (appeared: [LabelRef], gone: [LabelRef]) {
        let before = senderLabels[sender] ?? []
        guard before != now else { return ([], []) }
        senderLabels[sender] = now.isEmpty ? nil : now
        var appeared: [LabelRef] = [], gone: [LabelRef] = []
        for l in before {
            labels[l, default: 0] -= 1
            if labels[l] == 0 {
                labels[l] = nil
                gone.append(l)
                for d in dests(l) {
                    labelsByDest[d]?.remove(l)
                    if labelsByDest[d]?.isEmpty == true { labelsByDest[d] = nil }
                }
            }
        }
        for l in now {
            labels[l, default: 0] += 1
            if labels[l] == 1 {
                appeared.append(l)
                for d in dests(l) { labelsByDest[d, default: []].insert(l) }
            }
        }
        // A label both gone and back within this call did not change.
        let back = Set(appeared).intersection(gone)
        return (appeared.filter { !back.contains($0) }, gone.filter { !back.contains($0) })
    }
}
