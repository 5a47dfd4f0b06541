import OpenFlow
import OpenFlowText

/// What one bridge should hold: taasd's flows (by key), groups and meters (by id).
public struct BridgeProgram: Hashable, Sendable {
    public var flows: [FlowKey: FlowEntry] = [:]
    public var groups: [UInt32: GroupDescription] = [:]
    public var meters: [UInt32: MeterConfig] = [:]

    public init() {}

    /// A program of these flows and groups (benchmarks and tools; the compiler builds its own).
    public init(flows: [FlowEntry], groups: [GroupDescription] = []) {
        for f in flows { self.flows[FlowKey(table: f.tableID, priority: f.priority, match: f.match)] = f }
        for g in groups { self.groups[g.groupID] = g }
    }

    /// Instruction lists of flows that only go on to a table: shared, so they allocate nothing.
    private static let gotoOnly: [[Instruction]] = (0...Table.forward).map { [.gotoTable($0)] }

    /// A flow of taasd's and its key: through `meter` (nil: none), `actions` applied, then on to
    /// `next` (nil: stop). The match is put in the normalized order.
    static func entry(_ table: UInt8, _ priority: UInt16, _ cookie: UInt64, _ match: [OXMField], _ actions: [Action],
                      goto next: UInt8?, meter: UInt32? = nil) -> (key: FlowKey, entry: FlowEntry) {
        let instructions: [Instruction]
        if actions.isEmpty, meter == nil, let next, Int(next) < Self.gotoOnly.count {
            instructions = Self.gotoOnly[Int(next)]
        } else {
            var list: [Instruction] = []
            list.reserveCapacity(2)
            if let meter { list.append(.meter(meter)) }
            if !actions.isEmpty { list.append(.applyActions(actions)) }
            if let next { list.append(.gotoTable(next)) }
            instructions = list
        }
        var fields = match
        Match.normalize(&fields)
        let m = Match(fields)
        return (FlowKey(table: table, priority: priority, normalized: m),
                FlowEntry(cookie: cookie, tableID: table, priority: priority, match: m, instructions: instructions))
    }

    mutating func add(_ table: UInt8, _ priority: UInt16, _ cookie: UInt64, _ match: [OXMField], _ actions: [Action], goto next: UInt8?) {
        let (key, entry) = Self.entry(table, priority, cookie, match, actions, goto: next)
        flows[key] = entry
    }

    /// The same with one more field, when there is one (a VLAN class's match; nil: every VLAN).
    mutating func add(_ table: UInt8, _ priority: UInt16, _ cookie: UInt64, _ match: [OXMField], and extra: OXMField?, _ actions: [Action],
                      goto next: UInt8?) {
        add(table, priority, cookie, extra.map { match + [$0] } ?? match, actions, goto: next)
    }

    mutating func reserve(flows count: Int) { flows.reserveCapacity(count) }

    /// The flows in `ovs-ofctl dump-flows` form, sorted: what `flows/` golden files hold.
    public var flowText: String { FlowText.renderSorted(Array(flows.values)) }
    public var groupText: String { groups.keys.sorted().compactMap { groups[$0].map(GroupText.render) }.joined(separator: "\n") }
    public var meterText: String { meters.keys.sorted().compactMap { meters[$0].map(MeterText.render) }.joined(separator: "\n") }
}

