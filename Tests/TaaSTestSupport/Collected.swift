import Foundation
import LabKit

/// Collects what a stream yields, with the time each item arrived, for tests to wait on.
public actor Collected<T: Sendable> {
    public private(set) var items: [(Date, T)] = []
    public init() {}
    public func add(_ item: T) { items.append((Date(), item)) }

    /// Waits until an item after index `from` matches; returns it with its arrival time.
    public func wait(from: Int = 0, seconds: Double = 30, _ match: @Sendable (T) -> Bool) async throws -> (Date, T) {
        let deadline = Date().addingTimeInterval(seconds)
        // Looks once more after the deadline, so a waiter resumed late still sees what arrived.
        while true {
            if let hit = items.dropFirst(from).first(where: { match($0.1) }) { return hit }
            if Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Command.Failure(description: "nothing matching arrived within \(seconds) s; got \(items.map { "\($0.1)" })")
    }
}

