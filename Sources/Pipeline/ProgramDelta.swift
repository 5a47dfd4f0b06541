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

    public init() {}

    public var isEmpty: Bool { flows.isEmpty && groups.isEmpty }

    /// The difference between two programs.
    public init(from old: BridgeProgram, to new: BridgeProgram) {
        for (k, f) in new.flows where old.flows[k] != f { flows[k] = Step(old: old.flows[k], new: f) }
        for (k, f) in old.flows where new.flows[k] == nil { flows[k] = Step(old: f, new: nil) }
        for (id, g) in new.groups where old.groups[id] != g { groups[id] = Step(old: old.groups[id], new: g) }
        for (id, g) in old.groups where new.groups[id] == nil { groups[id] = Step(old: g, new: nil) }
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
    }

    /// Applies the delta to a program.
    public func applied(to p: BridgeProgram) -> BridgeProgram {
        var p = p
        for (k, s) in flows { p.flows[k] = s.new }
        for (id, s) in groups { p.groups[id] = s.new }
        return p
    }

    /// Flow changes and group changes, counted.
    public var flowCount: Int { flows.count }
}
