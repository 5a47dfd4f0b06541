import OpenFlow
import OpenFlowText

/// How one bridge's program changed: each flow key and group with what it held before and
/// what it should hold now (nil: nothing). What the reconciler sends, and all it sends, once
/// a bridge is in step.
public struct ProgramDelta: Hashable, Sendable {
    public struct Step<Value: Hashable & Sendable>: Hashable, Sendable {
        public var old: Value?
        public var new: Value?
        public init(old: Value?, new: Value?) {
            self.old = old
            self.new = new
        }
    }

    public var flows: [FlowKey: Step<FlowEntry>] = [:]
    public var groups: [UInt32: Step<GroupDescription>] = [:]
    public var meters: [UInt32: Step<MeterConfig>] = [:]

    public init() {}

    public var isEmpty: Bool { flows.isEmpty && groups.isEmpty && meters.isEmpty }

    /// The difference between two programs.
    public init(from old: BridgeProgram, to new: BridgeProgram) {
        for (k, f) in new.flows where old.flows[k] != f { flows[k] = Step(old: old.flows[k], new: f) }
        for (k, f) in old.flows where new.flows[k] == nil { flows[k] = Step(old: f, new: nil) }
        for (id, g) in new.groups where old.groups[id] != g { groups[id] = Step(old: old.groups[id], new: g) }
        for (id, g) in old.groups where new.groups[id] == nil { groups[id] = Step(old: g, new: nil) }
        for (id, m) in new.meters where old.meters[id] != m { meters[id] = Step(old: old.meters[id], new: m) }
        for (id, m) in old.meters where new.meters[id] == nil { meters[id] = Step(old: m, new: nil) }
    }

    /// This delta followed by `next`, as one.
    public mutating func formSequence(_ next: ProgramDelta) {
        for (k, s) in next.flows {
            let old = flows[k].map(\.old) ?? s.old
            if old == s.new { flows[k] = nil } else { flows[k] = Step(old: old, new: s.new) }
        }
        for (id, s) in next.groups {
            let old = groups[id].map(\.old) ?? s.old
            if old == s.new { groups[id] = nil } else { groups[id] = Step(old: old, new: s.new) }
        }
        for (id, s) in next.meters {
            let old = meters[id].map(\.old) ?? s.old
            if old == s.new { meters[id] = nil } else { meters[id] = Step(old: old, new: s.new) }
        }
    }

    /// Applies the delta to a program.
    public func applied(to p: BridgeProgram) -> BridgeProgram {
        var p = p
        for (k, s) in flows { p.flows[k] = s.new }
        for (id, s) in groups { p.groups[id] = s.new }
        for (id, s) in meters { p.meters[id] = s.new }
        return p
    }

    /// Flow changes and group changes, counted.
    public var flowCount: Int { flows.count }
}

/// A program delta as the engine makes it: packed flows (see `PackedKey`), made into
/// `FlowEntry`s only when it is sent (`programDelta`). Deltas for a bridge that is not in step
/// are dropped unconverted; a bulk change's deltas cost a fraction of their `FlowEntry` form.
public struct PackedDelta: Sendable {
    var flows: [PackedKey: ProgramDelta.Step<PackedValue>] = [:]
    var groups: [UInt32: ProgramDelta.Step<GroupDescription>] = [:]
    var meters: [UInt32: ProgramDelta.Step<MeterConfig>] = [:]

    public init() {}

    public var isEmpty: Bool { flows.isEmpty && groups.isEmpty && meters.isEmpty }

    /// Flow and group steps: the messages of its bundle.
    public var bundleCount: Int { flows.count + groups.count }
    /// Whether it changes meters (sent outside the bundle, each set with a barrier of its own).
    public var changesMeters: Bool { !meters.isEmpty }

    /// This delta followed by `next`, as one.
    public mutating func formSequence(_ next: PackedDelta) {
        guard !isEmpty else {
            self = next
            return
        }
        for (k, s) in next.flows {
            let old = flows[k].map(\.old) ?? s.old
            if old == s.new { flows[k] = nil } else { flows[k] = .init(old: old, new: s.new) }
        }
        for (id, s) in next.groups {
            let old = groups[id].map(\.old) ?? s.old
            if old == s.new { groups[id] = nil } else { groups[id] = .init(old: old, new: s.new) }
        }
        for (id, s) in next.meters {
            let old = meters[id].map(\.old) ?? s.old
            if old == s.new { meters[id] = nil } else { meters[id] = .init(old: old, new: s.new) }
        }
    }

    /// The delta in `FlowEntry`s, as it is sent.
    public var programDelta: ProgramDelta {
        var d = ProgramDelta()
        d.flows.reserveCapacity(flows.count)
        for (k, s) in flows { d.flows[k.flowKey] = .init(old: s.old?.entry(k), new: s.new?.entry(k)) }
        d.groups = groups
        d.meters = meters
        return d
    }
}

/// A node's program, packed (tests compare these).
struct PackedProgram: Equatable {
    var flows: [PackedKey: PackedValue]
    var groups: [UInt32: GroupDescription]
    var meters: [UInt32: MeterConfig] = [:]

    /// The delta from `old` to this.
    func delta(from old: PackedProgram?) -> PackedDelta {
        var d = PackedDelta()
        for (k, v) in flows where old?.flows[k] != v { d.flows[k] = .init(old: old?.flows[k], new: v) }
        for (k, v) in old?.flows ?? [:] where flows[k] == nil { d.flows[k] = .init(old: v, new: nil) }
        for (id, g) in groups where old?.groups[id] != g { d.groups[id] = .init(old: old?.groups[id], new: g) }
        for (id, g) in old?.groups ?? [:] where groups[id] == nil { d.groups[id] = .init(old: g, new: nil) }
        for (id, m) in meters where old?.meters[id] != m { d.meters[id] = .init(old: old?.meters[id], new: m) }
        for (id, m) in old?.meters ?? [:] where meters[id] == nil { d.meters[id] = .init(old: m, new: nil) }
        return d
    }
}

extension PackedDelta: Equatable {
    public static func == (a: PackedDelta, b: PackedDelta) -> Bool { a.flows == b.flows && a.groups == b.groups && a.meters == b.meters }
}
