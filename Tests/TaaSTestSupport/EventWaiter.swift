import OpenFlowServer
import SwitchSession

/// Reads a registry's event stream in a test, waiting (with a deadline) for an event that matches.
public final class EventWaiter: @unchecked Sendable {
    private var iterator: AsyncStream<SwitchEvent>.AsyncIterator
    public private(set) var seen: [SwitchEvent] = []

    public init(_ registry: SwitchRegistry) {
        iterator = registry.events().makeAsyncIterator()
    }

    /// The next event that `match` accepts, skipping others; fails after `seconds`.
    public func next(within seconds: Double = 20, _ what: String, where match: @escaping @Sendable (SwitchEvent) -> Bool) async throws -> SwitchEvent {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            let event = try await withThrowingTaskGroup(of: SwitchEvent?.self) { group in
                var it = iterator
                group.addTask { await it.next() }
                group.addTask {
                    try await Task.sleep(until: deadline)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let event else { throw Command.Failure(description: "no \(what) within \(seconds)s; saw \(seen)") }
            seen.append(event)
            if match(event) { return event }
        }
    }
}
