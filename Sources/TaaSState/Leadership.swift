import Synchronization

/// Which replica programs the switches. One replica on its own store is `sole`; replicas on a
/// shared store hold a lease in it, and the one holding it is `leader` with the lease's epoch
/// (which grows on every takeover, and is what the switches are claimed with).
public enum Role: Hashable, Sendable {
    case sole
    case leader(epoch: UInt64)
    case follower(epoch: UInt64)

    /// Whether this replica may program switches at all.
    public var programs: Bool {
        switch self {
        case .sole, .leader: true
        case .follower: false
        }
    }

    public var epoch: UInt64? {
        switch self {
        case .sole: nil
        case .leader(let e), .follower(let e): e
        }
    }

    public var name: String {
        switch self {
        case .sole: "sole"
        case .leader: "leader"
        case .follower: "follower"
        }
    }
}

/// A replica as the shared store last heard of it.
public struct ReplicaInfo: Hashable, Sendable {
    public var id: String
    public var name: String
    /// Where its API listens, as it announced it.
    public var api: String
    public var leader: Bool
    /// Milliseconds since it last renewed (or tried to take) the lease, by the database's clock.
    public var lastSeenMilliseconds: Int64

    public init(id: String, name: String, api: String, leader: Bool, lastSeenMilliseconds: Int64) {
        self.id = id
        self.name = name
        self.api = api
        self.leader = leader
        self.lastSeenMilliseconds = lastSeenMilliseconds
    }
}

/// This replica's standing, shared by the lease loop that keeps it, the controller that obeys it
/// and the API that shows it. A leader's lease is good until a deadline on the local monotonic
/// clock, counted from before its last renewal was sent: past it, the replica sends nothing to a
/// switch even before the lease loop has noticed (a process stopped and resumed finds its
/// deadline gone); the switches' role check fences what was already on its way.
public final class Leadership: Sendable {
    public struct Standing: Hashable, Sendable {
        public var role: Role
        /// This replica's id in the shared store (nil: alone).
        public var replica: String?
        /// The lease holder's id, when someone holds it.
        public var leaderID: String?
        public var replicas: [ReplicaInfo]
        /// Times this replica took the lease.
        public var takeovers: Int

        public init(role: Role, replica: String? = nil, leaderID: String? = nil, replicas: [ReplicaInfo] = [], takeovers: Int = 0) {
            self.role = role
            self.replica = replica
            self.leaderID = leaderID
            self.replicas = replicas
            self.takeovers = takeovers
        }
    }

    private struct State {
        var standing: Standing
        var validUntil: ContinuousClock.Instant?
    }

    private let state: Mutex<State>

    public init(_ standing: Standing = Standing(role: .sole)) {
        state = Mutex(State(standing: standing, validUntil: nil))
    }

    public var standing: Standing { state.withLock { $0.standing } }

    /// The role now: a leader whose lease ran out is a follower already.
    public var role: Role {
        state.withLock { s in
            if case .leader(let e) = s.standing.role, let until = s.validUntil, ContinuousClock.now >= until { return .follower(epoch: e) }
            return s.standing.role
        }
    }

    /// How long a leader's term has to run (nil when not leading).
    public var termLeft: Duration? {
        state.withLock { s in
            guard s.standing.role.programs, let until = s.validUntil else { return nil }
            return until - ContinuousClock.now
        }
    }

    /// What a leader-only write must be fenced with (nil: alone, no fence needed).
    public var fence: WriteFence? {
        state.withLock { s in
            guard let replica = s.standing.replica, case .leader(let e) = s.standing.role else { return nil }
            return WriteFence(replica: replica, epoch: e)
        }
    }

    /// Whether a message to a switch may go now.
    public var mayProgram: Bool { role.programs }

    /// What the lease loop found; `validUntil` bounds a leader's term.
    public func update(_ standing: Standing, validUntil: ContinuousClock.Instant?) {
        state.withLock { s in
            s.standing = standing
            s.validUntil = validUntil
        }
    }
}
