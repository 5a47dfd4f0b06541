import OpenFlow

/// The flow, group and meter tables of a simulated switch, kept as a controller's messages change
/// them: FLOW_MOD, GROUP_MOD, METER_MOD and bundles (applied all or nothing at commit), read back
/// with the flow, group and meter dumps. It models what a controller relies on, not a datapath: flows are identified
/// by table, priority and match (fields in any order), a non-strict delete removes the flows
/// whose match includes every field of the request's, and counters stay zero.
public struct SimulatedTables: Sendable {
    struct Key: Hashable {
        var table: UInt8
        var priority: UInt16
        /// The match's fields in the normalized order: equal for matches that list them
        /// differently, and cheaper to hash than a set.
        var fields: [OXMField]
    }

    private(set) var flows: [Key: FlowStats] = [:]
    public private(set) var groups: [UInt32: GroupDescription] = [:]
    public private(set) var meters: [UInt32: MeterConfig] = [:]
    /// Open bundles: id → messages added, each with its xid (the error for a failed message carries it).
    private var bundles: [UInt32: [(xid: UInt32, message: OpenFlowMessage.Payload)]] = [:]
    /// While a bundle commits: what each change replaced, to undo them all if one fails. (A copy
    /// of the tables per commit would cost the whole table for every change.)
    private var undoFlows: [(Key, FlowStats?)]?
    private var undoGroups: [(UInt32, GroupDescription?)]?

    public init() {}

    public var flowCount: Int { flows.count }
    public var allFlows: [FlowStats] { Array(flows.values) }

    /// The flows a FLOW stats request selects.
    public func flows(matching r: FlowStatsRequest) -> [FlowStats] {
        flows.values.filter(r.selects)
    }

    /// A failure to apply a message, as the switch reports it.
    public struct Failure: Error, Sendable {
        public var xid: UInt32
        public var code: ErrorCode
    }

    /// Applies one message that changes the tables. Returns whether it changed anything.
    @discardableResult
    public mutating func apply(_ payload: OpenFlowMessage.Payload, xid: UInt32) throws(Failure) -> Bool {
        switch payload {
        case .flowMod(let f):
            // A flow naming a meter the switch lacks is refused (Open vSwitch: at commit in a bundle).
            for case .meter(let id) in f.instructions where f.command != .delete && f.command != .deleteStrict && meters[id] == nil {
                throw Failure(xid: xid, code: .meterModFailedInvalidMeter)
            }
            return apply(f)
        case .groupMod(let g): return try apply(g, xid: xid)
        case .meterMod(let m): return try apply(m, xid: xid)
        default: return false
        }
    }

    /// Highest meter id a controller may use (`OFPM13_MAX`).
    static let maxMeter: UInt32 = 0xffff_0000

    /// A METER_MOD as Open vSwitch takes it: its checks and error codes; only drop bands; deleting
    /// a meter deletes the flows that use it.
    mutating func apply(_ m: MeterMod, xid: UInt32) throws(Failure) -> Bool {
        guard m.meterID != 0, m.meterID <= Self.maxMeter else { throw Failure(xid: xid, code: .meterModFailedInvalidMeter) }
        switch m.command {
        case .delete:
            guard meters[m.meterID] != nil else { return false }
            meters[m.meterID] = nil
            let users = flows.filter { $0.value.instructions.contains(.meter(m.meterID)) }.map(\.key)
            for k in users { setFlow(k, nil) }
            return true
        case .add, .modify:
            if m.command == .add, meters[m.meterID] != nil { throw Failure(xid: xid, code: .meterModFailedMeterExists) }
            if m.command == .modify, meters[m.meterID] == nil { throw Failure(xid: xid, code: .meterModFailedUnknownMeter) }
            if m.flags.contains(.kbps) && m.flags.contains(.pktps) { throw Failure(xid: xid, code: .meterModFailedBadFlags) }
            guard m.bands.count <= 8 else { throw Failure(xid: xid, code: .meterModFailedOutOfBands) }
            for b in m.bands { guard case .drop = b else { throw Failure(xid: xid, code: .meterModFailedBadBand) } }
            meters[m.meterID] = MeterConfig(flags: m.flags, meterID: m.meterID, bands: m.bands)
            return true
        default:
            throw Failure(xid: xid, code: .meterModFailedBadCommand)
        }
    }

    mutating func apply(_ f: FlowMod) -> Bool {
        let key = Key(table: f.tableID, priority: f.priority, fields: f.match.normalized.fields)
        func cookieMatches(_ s: FlowStats) -> Bool { (s.cookie & f.cookieMask) == (f.cookie & f.cookieMask) }
        switch f.command {
        case .add:
            setFlow(key, FlowStats(tableID: f.tableID, priority: f.priority, idleTimeout: f.idleTimeout, hardTimeout: f.hardTimeout,
                                   flags: f.flags, cookie: f.cookie, match: f.match, instructions: f.instructions))
            return true
        case .modifyStrict:
            // OpenFlow 1.3: modifying a flow that is not there changes nothing.
            guard var s = flows[key], cookieMatches(s) else { return false }
            s.instructions = f.instructions
            setFlow(key, s)
            return true
        case .modify:
            var changed = false
            for (k, var s) in flows where covers(f, k) && cookieMatches(s) {
                s.instructions = f.instructions
                setFlow(k, s)
                changed = true
            }
            return changed
        case .deleteStrict:
            guard let s = flows[key], cookieMatches(s) else { return false }
            setFlow(key, nil)
            return true
        case .delete:
            let doomed = flows.filter { covers(f, $0.key) && cookieMatches($0.value) }.map(\.key)
            for k in doomed { setFlow(k, nil) }
            return !doomed.isEmpty
        default:
            return false
        }
    }

    private mutating func setFlow(_ key: Key, _ value: FlowStats?) {
        let old = if let value { flows.updateValue(value, forKey: key) } else { flows.removeValue(forKey: key) }
        undoFlows?.append((key, old))
    }

    private mutating func setGroup(_ id: UInt32, _ value: GroupDescription?) {
        undoGroups?.append((id, groups[id]))
        groups[id] = value
    }

    /// Whether a non-strict request selects a flow: same table (or all) and every request field in the flow's match.
    private func covers(_ f: FlowMod, _ k: Key) -> Bool {
        (f.tableID == Reserved.tableAll || f.tableID == k.table) && f.match.fields.allSatisfy { k.fields.contains($0) }
    }

    mutating func apply(_ g: GroupMod, xid: UInt32) throws(Failure) -> Bool {
        switch g.command {
        case .add:
            guard groups[g.groupID] == nil else { throw Failure(xid: xid, code: .groupModFailedGroupExists) }
            setGroup(g.groupID, GroupDescription(type: g.type, groupID: g.groupID, buckets: g.buckets))
        case .modify:
            guard groups[g.groupID] != nil else { throw Failure(xid: xid, code: .groupModFailedUnknownGroup) }
            setGroup(g.groupID, GroupDescription(type: g.type, groupID: g.groupID, buckets: g.buckets))
        case .delete:
            if g.groupID == Reserved.groupAll {
                for id in Array(groups.keys) { setGroup(id, nil) }
            } else {
                setGroup(g.groupID, nil)
            }
        default:
            throw Failure(xid: xid, code: .groupModFailedBadCommand)
        }
        return true
    }

    /// Handles a bundle control or add message: the reply to send (nil for adds), or the errors.
    /// A commit applies every added message to a copy and keeps it only if all succeed.
    public mutating func bundle(_ payload: OpenFlowMessage.Payload, xid: UInt32) -> (reply: BundleControl?, errors: [(UInt32, ErrorCode)], changed: Bool) {
        switch payload {
        case .bundleAdd(let a):
            guard bundles[a.bundleID] != nil else { return (nil, [(xid, .bundleBadID)], false) }
            // Open vSwitch bundles port, flow and group mods (and packet-outs), not meter mods.
            if case .meterMod = a.message { return (nil, [(xid, .bundleMsgUnsup)], false) }
            bundles[a.bundleID]?.append((xid, a.message))
            return (nil, [], false)
        case .bundleControl(let c):
            let reply = BundleControl(bundleID: c.bundleID, type: c.type.reply, flags: [])
            switch c.type {
            case .openRequest:
                guard bundles[c.bundleID] == nil else { return (nil, [(xid, .bundleExists)], false) }
                bundles[c.bundleID] = []
                return (reply, [], false)
            case .commitRequest:
                guard let messages = bundles.removeValue(forKey: c.bundleID) else { return (nil, [(xid, .bundleBadID)], false) }
                undoFlows = []
                undoGroups = []
                undoFlows?.reserveCapacity(messages.count)
                let adds = messages.count { if case .flowMod(let f) = $0.message { f.command == .add } else { false } }
                flows.reserveCapacity(flows.count + adds)
                defer { undoFlows = nil; undoGroups = nil }
                var changed = false
                for m in messages {
                    do throws(Failure) {
                        changed = try apply(m.message, xid: m.xid) || changed
                    } catch {
                        // All or nothing: put back what the earlier messages changed, latest first.
                        for (k, old) in (undoFlows ?? []).reversed() { flows[k] = old }
                        for (id, old) in (undoGroups ?? []).reversed() { groups[id] = old }
                        return (nil, [(error.xid, error.code), (xid, .bundleMsgFailed)], false)
                    }
                }
                return (reply, [], changed)
            case .discardRequest, .closeRequest:
                if c.type == .discardRequest { bundles[c.bundleID] = nil }
                return (reply, [], false)
            default:
                return (nil, [(xid, .bundleBadType)], false)
            }
        default:
            return (nil, [], false)
        }
    }
}

extension FlowStatsRequest {
    /// Whether the request selects a flow: its table (or all), its cookie under the mask, and,
    /// when the request names them, an output to its port and to its group (OpenFlow 1.3 §7.3.5.2).
    func selects(_ f: FlowStats) -> Bool {
        guard (tableID == Reserved.tableAll || f.tableID == tableID) && (f.cookie & cookieMask) == (cookie & cookieMask) else { return false }
        if outPort == .any && outGroup == Reserved.groupAny { return true }
        var port = outPort == .any, group = outGroup == Reserved.groupAny
        for i in f.instructions {
            let actions: [Action]
            switch i {
            case .applyActions(let a), .writeActions(let a): actions = a
            default: continue
            }
            for a in actions {
                switch a {
                case .output(let p, _) where p == outPort: port = true
                case .group(let g) where g == outGroup: group = true
                default: break
                }
            }
        }
        return port && group
    }
}
