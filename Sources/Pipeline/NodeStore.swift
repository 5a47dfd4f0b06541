import OpenFlow
import OpenFlowText

/// One node's program as the engine keeps it: the keys each unit produced, and the flows the
/// bridge should hold, merged from them (packed: see `PackedKey`). What a batch of changes did
/// is recorded (`before`) and taken as a `ProgramDelta`.
///
/// Two units claim one key only when the topology gives two ports one MAC in a network or one
/// OpenFlow number, or two labels hash alike: rare. Then every claim is kept and the flow that
/// sorts last is held, whatever order the claims came in, so an incremental result never
/// depends on the order of changes.
struct NodeStore: Sendable {
    struct Held: Sendable {
        var value: PackedValue
        var unit: UnitKey
    }

    /// A unit's keys; one (the common case) without an array.
    enum UnitFlows: Sendable {
        case one(PackedKey)
        case many([PackedKey])

        init?(_ keys: [PackedKey]) {
            switch keys.count {
            case 0: return nil
            case 1: self = .one(keys[0])
            default: self = .many(keys)
            }
        }

        var keys: [PackedKey] {
            switch self {
            case .one(let k): [k]
            case .many(let ks): ks
            }
        }
    }

    private(set) var units: [UnitKey: UnitFlows] = [:]
    private(set) var flows: [PackedKey: Held] = [:]
    /// Every claim on a key that more than one unit claims.
    private var contenders: [PackedKey: [UnitKey: PackedValue]] = [:]
    /// Held flows that output to each group.
    private(set) var groupUses: [UInt32: Int] = [:]
    private(set) var groups: [UInt32: GroupDescription] = [:]
    /// Held flows that copy through each meter (by its bit-rate id), and the meters.
    private(set) var meterUses: [UInt32: Int] = [:]
    private(set) var meters: [UInt32: MeterConfig] = [:]
    /// Held flows that copy to each load-balanced service (by selector).
    private(set) var balanceUses: [UInt32: Int] = [:]

    /// Each key, group and meter touched since the last `takeDelta`, as it was before.
    private var before: [PackedKey: PackedValue?] = [:]
    private var groupsBefore: [UInt32: GroupDescription?] = [:]
    private var metersBefore: [UInt32: MeterConfig?] = [:]
    /// Groups whose use count changed since the last `takeDelta`.
    private(set) var groupsTouched: Set<UInt32> = []
    /// Meters (bit-rate ids) whose use count changed or that were marked to be checked.
    private(set) var metersTouched: Set<UInt32> = []
    /// Load-balanced services (selectors) whose use count changed or that were marked.
    private(set) var balancesTouched: Set<UInt32> = []

    var flowCount: Int { flows.count }

    var unitKeys: Dictionary<UnitKey, UnitFlows>.Keys { units.keys }

    /// What a unit claims under a key now.
    private func value(_ unit: UnitKey, _ key: PackedKey) -> PackedValue? {
        if let c = contenders[key] { return c[unit] }
        if let h = flows[key], h.unit == unit { return h.value }
        return nil
    }

    /// Replaces a unit's flows with `new` (keys distinct).
    mutating func replace(_ unit: UnitKey, with new: [(key: PackedKey, value: PackedValue)]) {
        let old = units[unit]?.keys ?? []
        if old.isEmpty && new.isEmpty { return }
        if old.count == new.count, zip(old, new).allSatisfy({ $0 == $1.key && value(unit, $0) == $1.value }) { return }
        if !old.isEmpty {
            if new.count == 1 {
                for k in old where k != new[0].key { release(unit, k) }
            } else {
                let kept = Set(new.map(\.key))
                for k in old where !kept.contains(k) { release(unit, k) }
            }
        }
        units[unit] = UnitFlows(new.map(\.key))
        for f in new { claim(unit, f.key, f.value) }
    }

    private mutating func claim(_ unit: UnitKey, _ key: PackedKey, _ value: PackedValue) {
        guard let held = flows[key] else {
            hold(key, Held(value: value, unit: unit), was: nil)
            return
        }
        if held.unit == unit && contenders[key] == nil {
            if held.value != value { hold(key, Held(value: value, unit: unit), was: held) }
            return
        }
        var claims = contenders[key] ?? [held.unit: held.value]
        claims[unit] = value
        contenders[key] = claims
        settle(key, claims)
    }

    private mutating func release(_ unit: UnitKey, _ key: PackedKey) {
        if var claims = contenders[key] {
            claims[unit] = nil
            contenders[key] = claims.count > 1 ? claims : nil
            settle(key, claims)
        } else if flows[key]?.unit == unit {
            hold(key, nil)
        }
    }

    /// Holds the winning claim: the flow that sorts last (by cookie, then by its text).
    private mutating func settle(_ key: PackedKey, _ claims: [UnitKey: PackedValue]) {
        var best: Held?
        for (u, v) in claims {
            if let b = best, !Self.sortsAfter(key, v, b.value) { continue }
            best = Held(value: v, unit: u)
        }
        if flows[key]?.unit != best?.unit || flows[key]?.value != best?.value { hold(key, best) }
    }

    static func sortsAfter(_ key: PackedKey, _ a: PackedValue, _ b: PackedValue) -> Bool {
        if a.cookie != b.cookie { return a.cookie > b.cookie }
        return FlowText.render(a.entry(key)) > FlowText.render(b.entry(key))
    }

    /// Sets what the bridge should hold under `key`, recording the change and group uses.
    private mutating func hold(_ key: PackedKey, _ held: Held?) {
        hold(key, held, was: flows[key])
    }

    /// The same when the caller has just looked up what was held (`old`): one lookup less per
    /// flow, which counts when a node's first receiver brings a flow for each of its ports.
    private mutating func hold(_ key: PackedKey, _ held: Held?, was old: Held?) {
        // Records the value before this batch, only on the key's first change in it.
        Self.keep(&before[key, default: old?.value])
        old?.value.forEachGroup { count($0, -1) }
        old?.value.forEachMeteredCopy { countMeter($0, -1) }
        old?.value.forEachBalancedCopy { Self.count(&balanceUses, &balancesTouched, $0, -1) }
        flows[key] = held
        held?.value.forEachGroup { count($0, 1) }
        held?.value.forEachMeteredCopy { countMeter($0, 1) }
        held?.value.forEachBalancedCopy { Self.count(&balanceUses, &balancesTouched, $0, 1) }
    }

    /// Marks a load-balanced service to be checked again (its tools' deliveries may have changed).
    mutating func touchBalance(_ selector: UInt32) { balancesTouched.insert(selector) }

    private mutating func countMeter(_ id: UInt32, _ n: Int) { Self.count(&meterUses, &metersTouched, id, n) }

    /// Sets a meter (nil: none), recording the change.
    mutating func setMeter(_ id: UInt32, _ m: MeterConfig?) { Self.set(&meters, &metersBefore, id, m) }

    /// Counts a use of a group or meter, and marks it to be checked.
    private static func count(_ uses: inout [UInt32: Int], _ touched: inout Set<UInt32>, _ id: UInt32, _ n: Int) {
        uses[id, default: 0] += n
        if uses[id] == 0 { uses[id] = nil }
        touched.insert(id)
    }

    /// Sets a group or meter (nil: none), keeping what it was before this batch.
    private static func set<V: Equatable>(_ values: inout [UInt32: V], _ before: inout [UInt32: V?], _ id: UInt32, _ v: V?) {
        guard values[id] != v else { return }
        if before.index(forKey: id) == nil { before[id] = .some(values[id]) }
        values[id] = v
    }

    /// Marks a meter to be checked again (its rate or its copies' delivery may have changed).
    mutating func touchMeter(_ id: UInt32) { metersTouched.insert(id) }

    /// An access that inserts a dictionary's default value, and nothing else.
    private static func keep<T>(_ value: inout T) {}

    private mutating func count(_ group: UInt32, _ n: Int) { Self.count(&groupUses, &groupsTouched, group, n) }

    /// Sets a group's buckets (nil: no group), recording the change.
    mutating func setGroup(_ id: UInt32, _ g: GroupDescription?) { Self.set(&groups, &groupsBefore, id, g) }

    /// Marks a group to be checked again (its buckets may have changed).
    mutating func touchGroup(_ id: UInt32) { groupsTouched.insert(id) }

    /// Takes what changed since the last call.
    mutating func takeDelta() -> PackedDelta {
        var d = PackedDelta()
        d.flows.reserveCapacity(before.count)
        for (key, old) in before {
            let now = flows[key]?.value
            guard old != now else { continue }
            d.flows[key] = .init(old: old, new: now)
        }
        for (id, old) in groupsBefore where old != groups[id] { d.groups[id] = .init(old: old, new: groups[id]) }
        for (id, old) in metersBefore where old != meters[id] { d.meters[id] = .init(old: old, new: meters[id]) }
        before = [:]
        groupsBefore = [:]
        groupsTouched = []
        metersBefore = [:]
        metersTouched = []
        balancesTouched = []
        return d
    }

    /// The program held now.
    var program: BridgeProgram {
        var p = BridgeProgram()
        p.flows.reserveCapacity(flows.count)
        for (k, h) in flows {
            let e = h.value.entry(k)
            p.flows[FlowKey(table: e.tableID, priority: e.priority, normalized: e.match)] = e
        }
        p.groups = groups
        p.meters = meters
        return p
    }
}
