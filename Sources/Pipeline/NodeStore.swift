import OpenFlow
import OpenFlowText

/// One node's program as the engine keeps it: the flows of each unit, and the flows the
/// bridge should hold, merged from them. Two units may claim one flow key (two ports with one
/// MAC in a network, say); one rule picks the flow held, whichever order they came in, so an
/// incremental result never depends on the order of changes. What a batch of changes did is
/// recorded (`before`) and taken as a `ProgramDelta`.
///
/// Two units claim one key only when the topology gives two ports one MAC in a network or one
/// OpenFlow number, or two labels hash alike: rare, and then the flow that sorts last is held.
struct NodeStore: Sendable {
    struct Claim: Sendable {
        var unit: UnitKey
        var entry: FlowEntry
    }

    private(set) var units: [UnitKey: [(key: FlowKey, entry: FlowEntry)]] = [:]
    private(set) var flows: [FlowKey: Claim] = [:]
    /// Every unit claiming a key that more than one claims.
    private var contenders: [FlowKey: [UnitKey]] = [:]
    /// Held flows that output to each group.
    private(set) var groupUses: [UInt32: Int] = [:]
    private(set) var groups: [UInt32: GroupDescription] = [:]

    /// Each key and group touched since the last `takeDelta`, as it was before.
    private var before: [FlowKey: FlowEntry?] = [:]
    private var groupsBefore: [UInt32: GroupDescription?] = [:]
    /// Groups whose use count changed since the last `takeDelta`.
    private(set) var groupsTouched: Set<UInt32> = []

    var flowCount: Int { flows.count }

    /// Replaces a unit's flows with `new` (keys distinct).
    mutating func replace(_ unit: UnitKey, with new: [(key: FlowKey, entry: FlowEntry)]) {
        let old = units[unit] ?? []
        if old.isEmpty && new.isEmpty { return }
        if old.count == new.count, zip(old, new).allSatisfy({ $0.key == $1.key && $0.entry == $1.entry }) { return }
        if !old.isEmpty {
            var kept: Set<FlowKey> = []
            kept.reserveCapacity(new.count)
            for f in new { kept.insert(f.key) }
            for f in old where !kept.contains(f.key) { release(unit, f.key) }
        }
        units[unit] = new.isEmpty ? nil : new
        for f in new { claim(unit, f.key, f.entry) }
    }

    var unitKeys: Dictionary<UnitKey, [(key: FlowKey, entry: FlowEntry)]>.Keys { units.keys }

    private mutating func claim(_ unit: UnitKey, _ key: FlowKey, _ entry: FlowEntry) {
        guard let held = flows[key] else {
            hold(key, Claim(unit: unit, entry: entry))
            return
        }
        if held.unit == unit && contenders[key] == nil {
            if held.entry != entry { hold(key, Claim(unit: unit, entry: entry)) }
            return
        }
        var list = contenders[key] ?? [held.unit]
        if !list.contains(unit) { list.append(unit) }
        contenders[key] = list
        settle(key, list)
    }

    private mutating func release(_ unit: UnitKey, _ key: FlowKey) {
        guard let held = flows[key] else { return }
        if var list = contenders[key] {
            list.removeAll { $0 == unit }
            contenders[key] = list.count > 1 ? list : nil
            settle(key, list)
        } else if held.unit == unit {
            hold(key, nil)
        }
    }

    /// Holds the winning claim of those on `key`: the flow that sorts last (by cookie, then by
    /// its text), so that the outcome depends on the claims alone.
    private mutating func settle(_ key: FlowKey, _ claimants: [UnitKey]) {
        var best: Claim?
        for u in claimants {
            guard let entry = units[u]?.first(where: { $0.key == key })?.entry else { continue }
            if let b = best, !Self.sortsAfter(entry, b.entry) { continue }
            best = Claim(unit: u, entry: entry)
        }
        if flows[key]?.unit != best?.unit || flows[key]?.entry != best?.entry { hold(key, best) }
    }

    static func sortsAfter(_ a: FlowEntry, _ b: FlowEntry) -> Bool {
        if a.cookie != b.cookie { return a.cookie > b.cookie }
        return FlowText.render(a) > FlowText.render(b)
    }

    /// Sets what the bridge should hold under `key`, recording the change and group uses.
    private mutating func hold(_ key: FlowKey, _ claim: Claim?) {
        let old = flows[key]
        if before.index(forKey: key) == nil { before[key] = .some(old?.entry) }
        if let old { count(old.entry, -1) }
        flows[key] = claim
        if let claim { count(claim.entry, 1) }
    }

    private mutating func count(_ e: FlowEntry, _ n: Int) {
        for i in e.instructions {
            guard case .applyActions(let actions) = i else { continue }
            for case .group(let g) in actions {
                groupUses[g, default: 0] += n
                if groupUses[g] == 0 { groupUses[g] = nil }
                groupsTouched.insert(g)
            }
        }
    }

    /// Sets a group's buckets (nil: no group), recording the change.
    mutating func setGroup(_ id: UInt32, _ g: GroupDescription?) {
        guard groups[id] != g else { return }
        if groupsBefore.index(forKey: id) == nil { groupsBefore[id] = .some(groups[id]) }
        groups[id] = g
    }

    /// Marks a group to be checked again (its buckets may have changed).
    mutating func touchGroup(_ id: UInt32) { groupsTouched.insert(id) }

    /// Takes what changed since the last call.
    mutating func takeDelta() -> ProgramDelta {
        var d = ProgramDelta()
        for (key, old) in before {
            let now = flows[key]?.entry
            if old != now { d.flows[key] = .init(old: old, new: now) }
        }
        for (id, old) in groupsBefore where old != groups[id] { d.groups[id] = .init(old: old, new: groups[id]) }
        before = [:]
        groupsBefore = [:]
        groupsTouched = []
        return d
    }

    /// The program held now.
    var program: BridgeProgram {
        var p = BridgeProgram()
        p.flows.reserveCapacity(flows.count)
        for (k, c) in flows { p.flows[k] = c.entry }
        p.groups = groups
        return p
    }
}
