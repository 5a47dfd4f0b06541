import Dispatch
import Synchronization

/// The pushes running on event loops (`BridgePush.start`), counted, so that the controller's
/// shutdown waits for their outcomes as the task group waits for its children: a bundle on its
/// way is answered, or its session ends, before the services started ahead of the controller
/// (the OpenFlow server, the lease) stop.
public final class LoopPushes: Sendable {
    private struct State {
        var running = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public var running: Int { state.withLock { $0.running } }

    public func started() { state.withLock { $0.running += 1 } }

    public func ended() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.running -= 1
            guard s.running == 0 else { return nil }
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Returns once none is running, or after `limit` (a switch that never answers a barrier
    /// must not hold the process up for ever). Not cut short by cancellation: it is what a
    /// cancelled controller does last. One caller at a time.
    public func drained(limit: Duration = .seconds(10)) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.running == 0 { return true }
                s.waiter = c
                return false
            }
            if now { return c.resume() }
            let (seconds, attoseconds) = limit.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
                let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                    defer { s.waiter = nil }
                    return s.waiter
                }
                waiter?.resume()
            }
        }
    }
}
