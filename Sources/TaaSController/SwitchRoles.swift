import Logging
import OpenFlow
import OpenFlowServer
import SwitchSession
import TaaSState

/// OpenFlow controller roles (OpenFlow 1.3 §6.3.7), the fence between replicas: the leader
/// claims each switch as MASTER with its lease's epoch as `generation_id`, which makes every
/// other controller of the switch a SLAVE; a switch refuses a claim with an older epoch
/// (`OFPRRFC_STALE`) and a slave's flow, group and meter mods (`OFPBRC_IS_SLAVE`).
enum SwitchRoles {
    struct Stale: Error, CustomStringConvertible {
        var description: String
    }

    /// Claims the switch as MASTER; throws `Stale` when the switch knows a newer epoch or the
    /// lease ran out first.
    static func claim(_ connection: SwitchConnection, epoch: UInt64, leadership: Leadership) async throws {
        guard leadership.mayProgram else { throw Stale(description: "the lease ran out before the claim") }
        do {
            let reply = try await connection.request(.roleRequest(RoleMessage(role: .master, generationID: epoch)))
            guard case .roleReply(let r)? = reply.first?.payload, r.role == .master else {
                throw Stale(description: "the switch answered the MASTER claim with something else")
            }
            connection.noteRole(.master)
        } catch SessionStateMachine.RequestError.switchError(let e) {
            throw Stale(description: "the switch refused the MASTER claim with epoch \(epoch): \(e.code)")
        }
    }

    /// Tells the switch this replica is a SLAVE (a follower must not be an EQUAL, which may
    /// write). A switch that knows a newer epoch refuses, which leaves this replica a slave or
    /// an equal that never writes; either way it is logged, not retried.
    static func yield(_ connection: SwitchConnection, epoch: UInt64, logger: Logger) async {
        do {
            let reply = try await connection.request(.roleRequest(RoleMessage(role: .slave, generationID: epoch)))
            if case .roleReply(let r)? = reply.first?.payload { connection.noteRole(r.role) }
        } catch {
            logger.debug("switch did not take the SLAVE role", metadata: ["switch": "\(connection)", "error": "\(error)"])
        }
    }
}
