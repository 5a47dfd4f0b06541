import Pipeline
import TaaSController
import TaaSPolicy
import Testing

@Suite struct CounterBoardTests {
    static let a = ResourceID("00000000-0000-4000-8000-00000000000a")!
    static let b = ResourceID("00000000-0000-4000-8000-00000000000b")!
    static let entries = [a, b].enumerated().map { i, id in
        TapFlowCounters.Entry(tapFlow: id, cookie: UInt64(i), out: true, in: true, delivery: .port(9))
    }

    static func read(_ version: Int, _ a: UInt64, _ b: UInt64 = 0, entries: [TapFlowCounters.Entry] = entries) -> CounterBoard.BridgeRead {
        .init(node: "n1", version: version, entries: entries,
              counts: [a, b].prefix(entries.count).map { CopyCounts(packets: $0, bytes: $0 * 10) })
    }

    @Test func totalsFollowTheSwitchAndNeverGoBack() {
        let board = CounterBoard()
        board.record([Self.read(1, 5, 0)])
        #expect(board.counts(Self.a) == CopyCounts(packets: 5, bytes: 50))
        #expect(board.counts(Self.b) == CopyCounts(), "a tap flow with nothing counted has its series")
        board.record([Self.read(1, 8, 0)])
        // The switch replaced a's flows: its counter restarted at 2; the total grows by 2.
        board.record([Self.read(1, 2, 0)])
        #expect(board.counts(Self.a) == CopyCounts(packets: 2, bytes: 20))
        #expect(board.exposition.contains("taas_tap_flow_packets_total{tap_flow=\"\(Self.a.rawValue)\"} 10\n"))
        #expect(board.exposition.contains("taas_tap_flow_bytes_total{tap_flow=\"\(Self.b.rawValue)\"} 0\n"))
        #expect(board.reads == 3)
    }

    @Test func aNewPlanIsReadWhole() {
        let board = CounterBoard()
        board.record([Self.read(1, 5, 7)])
        // Version 2 has b first: index by index the counts did not move, but they belong to
        // other tap flows now.
        let swapped = [Self.entries[1], Self.entries[0]]
        board.record([Self.read(2, 5, 7, entries: swapped)])
        #expect(board.counts(Self.a) == CopyCounts(packets: 7, bytes: 70))
        #expect(board.counts(Self.b) == CopyCounts(packets: 5, bytes: 50))
    }

    @Test func aDeletedTapFlowDoesNotComeBackFromAnOlderRead() {
        let board = CounterBoard()
        board.record([Self.read(1, 5, 7)])
        board.forget([Self.a], before: 2)
        #expect(board.counts(Self.a) == nil)
        #expect(!board.exposition.contains(Self.a.rawValue))
        board.record([Self.read(1, 6, 8)])  // planned before the deletion
        #expect(board.counts(Self.a) == nil)
        #expect(board.counts(Self.b) == CopyCounts(packets: 7, bytes: 70))
        board.record([Self.read(2, 9, entries: [Self.entries[1]])])
        #expect(board.counts(Self.b) == CopyCounts(packets: 9, bytes: 90))
    }
}
