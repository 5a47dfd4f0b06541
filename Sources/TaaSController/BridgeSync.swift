import NIOCore
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

    /// Sends the plan as one bundle (all or nothing) and waits for the commit, with its meters
    /// around it: meters the flows will name exist before the bundle; those no flow names go
    /// after it.
    public static func apply(_ plan: ReconcilePlan, to c: SwitchConnection, bundleID: UInt32) async throws {
        guard !plan.isEmpty else { return }
        try await meters(plan.metersFirst, c)
        if plan.count > 0 { try await bundle(plan, to: c, bundleID: bundleID).get() }
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

    /// The plan's flows and groups (not its meters: `apply` sends them around it) as one
    /// bundle, committed once a barrier shows every message was added: Open vSwitch refuses a
    /// bad message when it is added and would commit the rest. Either way the switch's error
    /// for the message that failed (at adding, or when the commit fails) is matched to it, not
    /// lost. The first pieces go while the rest are still being made. Called on the
    /// connection's event loop (`SwitchConnection.execute`), it is made, sent and committed
    /// there with no task waiting: a bridge's usual small delta (`BridgePush.start`).
    public static func bundle(_ plan: ReconcilePlan, to c: SwitchConnection, bundleID: UInt32) -> EventLoopFuture<Void> {
        c.transactionFuture(count: 1 + plan.count, then: commit(bundleID)) { send in
            send([open(bundleID)])
            plan.pieces { piece in send(piece.map { .bundleAdd(BundleAdd(bundleID: bundleID, message: $0)) }) }
        }.flatMapErrorThrowing { error in
            // Never leave a bundle open behind a failed transaction. (The discard goes ahead
            // of anything sent on the connection later, without waiting for it.)
            _ = c.requestFuture(discard(bundleID))
            throw error
        }.flatMapThrowing { errors in
            guard !errors.isEmpty else { return }
            _ = c.requestFuture(discard(bundleID))
            throw refusal(errors, plan)
        }
    }

    // The open goes with the first messages, not a round trip ahead of them: the switch
    // handles them in order, and if the open fails, so does every add, before the barrier.
    private static func open(_ id: UInt32) -> OpenFlowMessage.Payload { .bundleControl(BundleControl(bundleID: id, type: .openRequest)) }
    private static func commit(_ id: UInt32) -> OpenFlowMessage.Payload { .bundleControl(BundleControl(bundleID: id, type: .commitRequest)) }
    private static func discard(_ id: UInt32) -> OpenFlowMessage.Payload { .bundleControl(BundleControl(bundleID: id, type: .discardRequest)) }

    /// Why a bundle with these errors (by position: 0 the open, i + 1 the plan's message i,
    /// 1 + count the commit) was not applied. Nothing of it was.
    static func refusal(_ errors: [Int: ErrorMessage], _ plan: ReconcilePlan) -> Refused {
        if let error = errors[0] {
            return Refused(description: "bundle open refused: \(error.code)")
        }
        if let (index, error) = errors.filter({ (1...max(1, plan.count)).contains($0.key) }).min(by: { $0.key < $1.key }) {
            return Refused(description: "\(error.code) for \(plan.message(at: index - 1).map(describe) ?? "message \(index - 1)")")
        }
        let commit = errors.values.first.map { "\($0.code)" } ?? "unknown error"
        return Refused(description: "bundle commit refused: \(commit)")
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
