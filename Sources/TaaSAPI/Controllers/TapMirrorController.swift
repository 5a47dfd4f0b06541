import TaaSPolicy
import TaaSState
import TaaSWire

/// Tap mirrors: a port's traffic to a remote analyzer over GRE or ERSPAN v1.
struct TapMirrorController: ResourceController {
    let service: PolicyService
    let statuses: StatusBoard

    func list(_ t: PolicyTable, _ caller: Caller) -> [TapMirrorInfo] {
        let all = t.tapMirrors(by: caller)
        return zip(all, statuses.states(.tapMirror, all.map(\.id))).map { TapMirrorInfo($0, $1) }
    }

    func show(_ t: PolicyTable, _ id: ResourceID, _ caller: Caller) throws -> TapMirrorInfo {
        TapMirrorInfo(try t.tapMirror(id, by: caller), statuses.state(.tapMirror, id))
    }

    func create(_ t: inout PolicyTable, _ r: TapMirrorCreate, id: ResourceID, _ caller: Caller) throws -> TapMirrorInfo {
        guard let type = TapMirror.MirrorType(rawValue: r.mirrorType) else {
            throw APIError.badRequest("Invalid input for mirror_type. Reason: '\(r.mirrorType)' is not in ['erspanv1', 'gre'].")
        }
        var keys: [Direction: UInt32] = [:]
        for (name, key) in r.directions {
            // Checked when the request was read; a bad value here is refused all the same, never trapped on.
            guard let d = Direction(rawValue: name), let k = UInt32(exactly: key) else {
                throw APIError.badRequest("Invalid input for directions. Reason: '\(name)': \(key) is not a direction and a key from 0 to 4294967295.")
            }
            keys[d] = k
        }
        let m = try t.createTapMirror(.init(projectID: r.projectID, name: r.name ?? "", description: r.description ?? "", portID: r.portID,
                                            directions: keys, remoteIP: r.remoteIP, mirrorType: type, snaplen: r.snaplen,
                                            rateLimit: r.rateLimit.change),
                                      id: id, by: caller)
        return TapMirrorInfo(m, .down)
    }

    func update(_ t: inout PolicyTable, _ id: ResourceID, _ change: PolicyTable.Update, _ caller: Caller) throws -> TapMirrorInfo {
        TapMirrorInfo(try t.updateTapMirror(id, change, by: caller), statuses.state(.tapMirror, id))
    }

    func delete(_ t: inout PolicyTable, _ id: ResourceID, _ caller: Caller) throws { try t.deleteTapMirror(id, by: caller) }
}
