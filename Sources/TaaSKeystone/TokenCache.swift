import Foundation
import TaaSAPI

/// Verdicts on tokens, each kept until a time, at most `capacity` of them: a flood of distinct
/// tokens costs memory up to the bound, never more.
public struct TokenCache: Sendable {
    struct Entry: Sendable {
        var verdict: TokenVerdict
        var until: Date
    }
    private var entries: [String: Entry] = [:]
    public let capacity: Int

    public init(capacity: Int = 10_000) { self.capacity = max(1, capacity) }

    public var count: Int { entries.count }

    public func lookUp(_ token: String, now: Date) -> TokenVerdict? {
        guard let e = entries[token], e.until > now else { return nil }
        return e.verdict
    }

    public mutating func store(_ token: String, _ verdict: TokenVerdict, until: Date, now: Date) {
        guard until > now else { return }
        if entries[token] == nil, entries.count >= capacity {
            entries = entries.filter { $0.value.until > now }
            // Still full of live entries: the tenth that would expire soonest goes.
            if entries.count >= capacity {
                for key in entries.sorted(by: { $0.value.until < $1.value.until }).prefix(max(1, capacity / 10)).map(\.key) {
                    entries[key] = nil
                }
            }
        }
        entries[token] = Entry(verdict: verdict, until: until)
    }
}
