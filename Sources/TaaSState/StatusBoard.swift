import Synchronization
import TaaSPolicy

/// A resource's runtime state: its status and, for ERROR, why.
public struct ResourceState: Hashable, Sendable {
    public var status: ResourceStatus
    public var reason: String?

    public init(_ status: ResourceStatus, reason: String? = nil) {
        self.status = status
        self.reason = status == .error ? (reason ?? "rejected by a switch") : nil
    }

    public static let down = ResourceState(.down)
}

/// Which kind of resource a status is about.
public enum ResourceKind: String, Hashable, Sendable, CaseIterable {
    case tapService = "tap_service"
    case tapFlow = "tap_flow"
    case tapMirror = "tap_mirror"
}

/// One resource whose status is kept (statuses waiting to be stated or shared are keyed by it).
public struct StatusKey: Hashable, Sendable {
    public var kind: ResourceKind
    public var id: ResourceID
    public init(kind: ResourceKind, id: ResourceID) {
        self.kind = kind
        self.id = id
    }
}

/// Statuses as the controller last worked them out: written by the controller, read by the
/// API. Runtime state, not policy: never stored, never a reason to compile. A resource not
/// on the board is DOWN.
public final class StatusBoard: Sendable {
    private struct State {
        var entries: [ResourceKind: [ResourceID: ResourceState]] = [:]
        /// Resources on the board by kind and status (DOWN ones are not kept).
        var counts: [ResourceKind: [ResourceStatus: Int]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func state(_ kind: ResourceKind, _ id: ResourceID) -> ResourceState {
        state.withLock { $0.entries[kind]?[id] } ?? .down
    }

    /// Looks up many at once (a list), under one lock.
    public func states(_ kind: ResourceKind, _ ids: [ResourceID]) -> [ResourceState] {
        state.withLock { s in
            let entries = s.entries[kind] ?? [:]
            return ids.map { entries[$0] ?? .down }
        }
    }

    /// Sets statuses; DOWN (the default) removes an entry.
    public func set(_ changes: [(ResourceKind, ResourceID, ResourceState)]) {
        guard !changes.isEmpty else { return }
        state.withLock { s in
            for (kind, id, new) in changes {
                if let old = s.entries[kind]?[id] { s.counts[kind, default: [:]][old.status, default: 0] -= 1 }
                if new == .down {
                    s.entries[kind]?[id] = nil
                } else {
                    s.entries[kind, default: [:]][id] = new
                    s.counts[kind, default: [:]][new.status, default: 0] += 1
                }
            }
        }
    }

    /// Resources of a kind that are ACTIVE and in ERROR (the rest of a kind's total is DOWN).
    public func counts(_ kind: ResourceKind) -> (active: Int, error: Int) {
        state.withLock { s in (s.counts[kind]?[.active] ?? 0, s.counts[kind]?[.error] ?? 0) }
    }
}
