import TaaSPolicy
import TaaSState

/// Where the statuses the core works out go, by role. Alone or leading: to this replica's board
/// and to the other replicas (`share`). Following: nowhere (the leader's reach the board
/// through the store). A new leader holds them back until it has read back every bridge (or
/// `hold` has passed): its core starts from "nothing confirmed", and what the switches already
/// hold must not show as DOWN meanwhile; then it states the last of each, all of them (its own
/// board, read from the store while it followed, may lag the store).
struct StatusPublisher {
    typealias Change = (ResourceKind, ResourceID, ResourceState)
    let board: StatusBoard
    let share: (@Sendable ([Change]) -> Void)?
    private var held: [StatusKey: ResourceState]?
    static let hold = Duration.seconds(5)

    init(board: StatusBoard, share: (@Sendable ([Change]) -> Void)?) {
        self.board = board
        self.share = share
    }

    /// A new leader waiting for its read-backs.
    var holding: Bool { held != nil }

    mutating func roleChanged(to role: Role) {
        // Leading again (a new epoch) keeps what was held; a follower states nothing.
        held = role.programs ? (held ?? [:]) : nil
    }

    mutating func take(_ changes: [Change], role: Role) {
        guard role.programs else { return }
        if held != nil {
            for (kind, id, state) in changes { held?[StatusKey(kind: kind, id: id)] = state }
            return
        }
        publish(changes)
    }

    /// Ends the hold once no connected bridge is left to read back.
    mutating func release(unread: Int) {
        guard let h = held, unread == 0 else { return }
        held = nil
        publish(h.map { ($0.key.kind, $0.key.id, $0.value) })
    }

    private func publish(_ changes: [Change]) {
        guard !changes.isEmpty else { return }
        board.set(changes)
        share?(changes)
    }
}
