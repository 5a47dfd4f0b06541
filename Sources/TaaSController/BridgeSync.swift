import OpenFlow
import OpenFlowServer
import OpenFlowText
import Pipeline
import SwitchSession

/// Reads what a bridge holds of taasd's and applies a plan to it as one atomic bundle.
public enum BridgeSync {
    /// taasd's flows (by cookie), and the groups and meters now on the switch.
    public static func installed(_ c: SwitchConnection) async throws -> (flows: [FlowEntry], groups: [GroupDescription], meters: [MeterConfig]) {
        let flows = try await c.flowStats(FlowStatsRequest(cookie: Cookie.mark, cookieMask: Cookie.markMask)).map(FlowEntry.init)
        var groups: [GroupDescription] = []
        for m in try await c.request(.multipartRequest(MultipartRequest(.groupDesc))) {
            if case .multipartReply(let r) = m.payload, case .groupDesc(let g) = r.body { groups += g }
        }
        var meters: [MeterConfig] = []
        for m in try await c.request(.multipartRequest(MultipartRequest(.meterConfig(meterID: 0xffff_ffff)))) {
            if case .multipartReply(let r) = m.payload, case .meterConfig(let list) = r.body { meters += list }
        }
        return (flows, groups, meters)
    }

    /// Why a bundle was refused, as a person reads it.
    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sends the plan as one bundle (all or nothing) and waits for the commit. The plan's first
    /// pieces are sent while the rest are still being made. The commit goes only once a barrier
    /// shows every message was added: Open vSwitch refuses a bad message when it is added and
    /// would commit the rest. Either way the switch's error for the message that failed (at
    /// adding, or when the commit fails) is matched to it, not lost.
    public static func apply(_ plan: ReconcilePlan, to c: SwitchConnection, bundleID: UInt32) async throws {
        guard !plan.isEmpty else { return }
        // Meters the flows will name exist before the bundle; those no flow names go after it.
        try await meters(plan.metersFirst, c)
        if plan.count > 0 { try await bundle(plan, to: c, bundleID: bundleID) }
        try await meters(plan.metersLast, c)
    }

    /// Meter changes, outside any bundle (Open vSwitch takes none in one), then a barrier.
    static func meters(_ mods: [OpenFlowMessage.Payload], _ c: SwitchConnection) async throws {
        guard !mods.isEmpty else { return }
        let errors = try await c.transaction(mods)
        if let (index, error) = errors.min(by: { $0.key < $1.key }) {
            throw Refused(description: "\(error.code) for \(describe(mods[index]))")
        }
    }

    static func bundle(_ plan: ReconcilePlan, to c: SwitchConnection, bundleID: UInt32) async throws {
        let open = BundleControl(bundleID: bundleID, type: .openRequest)
        let discard = { _ = try? await c.request(.bundleControl(BundleControl(bundleID: bundleID, type: .discardRequest))) }
        let errors: [Int: ErrorMessage]
        do {
            // The open goes with the first messages, not a round trip ahead of them: the switch
            // handles them in order, and if the open fails, so does every add, before the barrier.
            errors = try await c.transaction(count: 1 + plan.count, then: .bundleControl(BundleControl(bundleID: bundleID, type: .commitRequest))) { send in
                send([.bundleControl(open)])
                plan.pieces { piece in send(piece.map { .bundleAdd(BundleAdd(bundleID: bundleID, message: $0)) }) }
            }
        } catch {
            // Never leave a bundle open behind a failed transaction.
            await discard()
            throw error
        }
        guard !errors.isEmpty else { return }
        // Not committed (a message was refused), or the commit failed: nothing was applied.
        await discard()
        if let error = errors[0] {
            throw Refused(description: "bundle open refused: \(error.code)")
        }
        // Position i + 1 is the plan's message i; 1 + count is the commit.
        if let (index, error) = errors.filter({ (1...plan.count).contains($0.key) }).min(by: { $0.key < $1.key }) {
            throw Refused(description: "\(error.code) for \(plan.message(at: index - 1).map(describe) ?? "message \(index - 1)")")
        }
        let commit = errors.values.first.map { "\($0.code)" } ?? "unknown error"
        throw Refused(description: "bundle commit refused: \(commit)")
    }

    static func describe(_ p: OpenFlowMessage.Payload) -> String {
        switch p {
        case .flowMod(let f): "flow \(FlowText.render(FlowEntry(f)))"
        case .groupMod(let g): "group \(g.groupID)"
        case .meterMod(let m): "meter \(m.meterID)"
        default: "\(p)"
        }
    }
}
