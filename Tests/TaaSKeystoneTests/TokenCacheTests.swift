import Foundation
import TaaSAPI
import TaaSKeystone
import TaaSPolicy
import Testing

@Suite struct TokenCacheTests {
    let caller = TokenVerdict.caller(Caller(projectID: "p", isAdmin: false))

    @Test func anEntryLastsUntilItsTime() {
        var cache = TokenCache()
        let now = Date()
        cache.store("t", caller, until: now.addingTimeInterval(10), now: now)
        #expect(cache.lookUp("t", now: now.addingTimeInterval(9)) == caller)
        #expect(cache.lookUp("t", now: now.addingTimeInterval(10)) == nil)
        cache.store("gone", caller, until: now, now: now)
        #expect(cache.count == 1, "an entry already expired is not kept")
    }

    @Test func manyDistinctTokensStayWithinTheBound() {
        var cache = TokenCache(capacity: 100)
        let now = Date()
        for i in 0..<10_000 { cache.store("t\(i)", .invalid("x"), until: now.addingTimeInterval(Double(60 + i % 7)), now: now) }
        #expect(cache.count <= 100)
        #expect(cache.lookUp("t9999", now: now) != nil, "the newest is kept")
        // Expired entries go first, before any live one.
        var c2 = TokenCache(capacity: 3)
        c2.store("old", caller, until: now.addingTimeInterval(1), now: now)
        c2.store("a", caller, until: now.addingTimeInterval(100), now: now)
        c2.store("b", caller, until: now.addingTimeInterval(100), now: now)
        let later = now.addingTimeInterval(2)
        c2.store("c", caller, until: later.addingTimeInterval(100), now: later)
        #expect(c2.count == 3 && c2.lookUp("a", now: later) != nil && c2.lookUp("b", now: later) != nil && c2.lookUp("c", now: later) != nil)
    }
}
