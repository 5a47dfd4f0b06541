import NIOCore
import NIOEmbedded
import OpenFlow
@testable import OpenFlowServer
import SwitchSession
import Testing

/// Sessions on one event loop share its timer, tick once per period each, in turns.
@Suite struct SessionTickersTests {
    @Test func sessionsOnALoopShareOneTimerAndTakeTurns() throws {
        let loop = EmbeddedEventLoop()
        let config = SessionStateMachine.Configuration(idleInterval: .seconds(5), echoTimeout: .seconds(3))
        let tickers = SessionTickers(config)
        #expect(tickers.period == .milliseconds(750) && tickers.slots == 16)
        let sessions = try (0..<32).map { i in
            let h = try HandlerTests.Harness(loop: loop, tickers: tickers)
            try h.handshake(datapathID: 0x100 + UInt64(i))
            _ = try h.written()
            return h
        }
        #expect(tickers.loopsTicking == 1)

        // Idle for 5 s: each sends its echo at its own turn within the next period.
        var echoed: [Int: Int64] = [:]
        var elapsed: Int64 = 0
        while elapsed < 6000 {
            loop.advanceTime(by: .milliseconds(10))
            elapsed += 10
            for (i, h) in sessions.enumerated() where try h.written().contains(where: { $0.type == .echoRequest }) {
                #expect(echoed[i] == nil, "one echo per idle interval")
                echoed[i] = elapsed
            }
        }
        #expect(echoed.count == 32, "every session ticked")
        #expect(echoed.values.allSatisfy { (5000...5760).contains($0) }, "\(echoed.values.sorted())")
        #expect(Set(echoed.values).count >= 12, "turns spread over the period: \(Set(echoed.values).sorted())")

        // Ten leave; the others are still ticked: unanswered, their echoes time out.
        for h in sessions.prefix(10) { try h.channel.close().wait() }
        #expect(tickers.loopsTicking == 1)
        loop.advanceTime(by: .seconds(4))
        loop.run()
        #expect(sessions.allSatisfy { !$0.channel.isActive }, "every remaining session timed out on its tick")
        #expect(tickers.loopsTicking == 0, "a loop with no session stops its timer")
    }

    @Test func newSessionsTakeTheTurnsLeftEmpty() throws {
        let loop = EmbeddedEventLoop()
        let tickers = SessionTickers(SessionStateMachine.Configuration(idleInterval: .seconds(5), echoTimeout: .seconds(3)))
        let first = try (0..<32).map { _ in try HandlerTests.Harness(loop: loop, tickers: tickers) }
        #expect(tickers.turns(on: loop) == Array(repeating: 2, count: 16))
        // Those of the first eight turns leave; the sixteen that come fill them again.
        for (i, h) in first.enumerated() where i % 16 < 8 { try h.channel.close().wait() }
        #expect(tickers.turns(on: loop) == Array(repeating: 0, count: 8) + Array(repeating: 2, count: 8))
        let more = try (0..<16).map { _ in try HandlerTests.Harness(loop: loop, tickers: tickers) }
        #expect(tickers.turns(on: loop) == Array(repeating: 2, count: 16), "\(tickers.turns(on: loop))")
        for h in first + more where h.channel.isActive { try h.channel.close().wait() }
        #expect(tickers.loopsTicking == 0)
    }
}
