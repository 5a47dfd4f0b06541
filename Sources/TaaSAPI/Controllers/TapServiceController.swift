import TaaSPolicy
import TaaSState
import TaaSWire

/// Tap services: where mirrored traffic goes (one tool port, or several to balance over).
struct TapServiceController: ResourceController {
    let service: PolicyService
    let statuses: StatusBoard

    func list(_ t: PolicyTable, _ caller: Caller) -> [TapServiceInfo] {
        let all = t.tapServices(by: caller)
        // Statuses looked up under one lock.
        return zip(all, statuses.states(.tapService, all.map(\.id))).map { TapServiceInfo($0, $1) }
    }

    func show(_ t: PolicyTable, _ id: ResourceID, _ caller: Caller) throws -> TapServiceInfo {
        TapServiceInfo(try t.tapService(id, by: caller), statuses.state(.tapService, id))
    }

    func create(_ t: inout PolicyTable, _ r: TapServiceCreate, id: ResourceID, _ caller: Caller) throws -> TapServiceInfo {
        guard let first = r.portIDs.first else { throw APIError.badRequest("Failed to parse request. Required attribute 'port_id' not specified") }
        let s = try t.createTapService(.init(projectID: r.projectID, name: r.name ?? "", description: r.description ?? "", portID: first,
                                             snaplen: r.snaplen, rateLimit: r.rateLimit.change, morePortIDs: Array(r.portIDs.dropFirst())),
                                       id: id, by: caller)
        return TapServiceInfo(s, .down)
    }

    func update(_ t: inout PolicyTable, _ id: ResourceID, _ change: PolicyTable.Update, _ caller: Caller) throws -> TapServiceInfo {
        TapServiceInfo(try t.updateTapService(id, change, by: caller), statuses.state(.tapService, id))
    }

    func delete(_ t: inout PolicyTable, _ id: ResourceID, _ caller: Caller) throws { try t.deleteTapService(id, by: caller) }
}
