import TaaSPolicy
import TaaSState
import TaaSWire

/// Tap flows: a source port's traffic (one direction or both, filtered or not) into a tap service.
struct TapFlowController: ResourceController {
    let service: PolicyService
    let statuses: StatusBoard

    func list(_ t: PolicyTable, _ caller: Caller) -> [TapFlowInfo] {
        let all = t.tapFlows(by: caller)
        return zip(all, statuses.states(.tapFlow, all.map(\.id))).map { TapFlowInfo($0, $1) }
    }

    func show(_ t: PolicyTable, _ id: ResourceID, _ caller: Caller) throws -> TapFlowInfo {
        TapFlowInfo(try t.tapFlow(id, by: caller), statuses.state(.tapFlow, id))
    }

    func create(_ t: inout PolicyTable, _ r: TapFlowCreate, id: ResourceID, _ caller: Caller) throws -> TapFlowInfo {
        let f = try t.createTapFlow(try Self.draft(r), id: id, by: caller)
        return TapFlowInfo(f, .down)
    }

    /// The request's values as the policy takes them, refused with Neutron's messages.
    static func draft(_ r: TapFlowCreate) throws -> PolicyTable.NewTapFlow {
        guard let service = ResourceID(r.tapServiceID) else {
            throw APIError.badRequest("Invalid input for tap_service_id. Reason: '\(r.tapServiceID)' is not a valid UUID.")
        }
        guard let direction = Direction(rawValue: r.direction) else {
            throw APIError.badRequest("Invalid input for direction. Reason: '\(r.direction)' is not in ['IN', 'OUT', 'BOTH'].")
        }
        var vlans: VLANFilter?
        if let text = r.vlanFilter {
            do { vlans = try VLANFilter(parsing: text) } catch {
                throw APIError.badRequest("Invalid input for vlan_filter. Reason: \(error.description).")
            }
        }
        let x = r.traffic
        let traffic = try TrafficFilter.make(.init(
            ethertype: x.ethertype, protocol: x.protocol, sourceIPPrefix: x.sourceIPPrefix, destinationIPPrefix: x.destinationIPPrefix,
            sourcePortMin: x.sourcePortRangeMin, sourcePortMax: x.sourcePortRangeMax, destinationPortMin: x.destinationPortRangeMin,
            destinationPortMax: x.destinationPortRangeMax))
        return .init(projectID: r.projectID, name: r.name ?? "", description: r.description ?? "", tapServiceID: service,
                     sourcePort: r.sourcePort, direction: direction, vlanFilter: vlans, trafficFilter: traffic)
    }

    func update(_ t: inout PolicyTable, _ id: ResourceID, _ change: PolicyTable.Update, _ caller: Caller) throws -> TapFlowInfo {
        TapFlowInfo(try t.updateTapFlow(id, change, by: caller), statuses.state(.tapFlow, id))
    }

    func delete(_ t: inout PolicyTable, _ id: ResourceID, _ caller: Caller) throws { try t.deleteTapFlow(id, by: caller) }
}
