import NIOCore
import OpenFlow
import TaaSTestSupport
import Testing

/// Counters-only reads of flow statistics replies: the same counters as a full read, nothing
/// else decoded, and malformed entries still refused.
@Suite struct FlowStatsDetailTests {
    static func sample(_ name: String) throws -> OpenFlowMessage {
        try #require(Samples.allMessages.first { $0.0 == name }?.1)
    }

    static func read(_ m: OpenFlowMessage, _ detail: FlowStatsDetail) throws -> OpenFlowMessage? {
        var b = m.encoded()
        defer { #expect(b.readableBytes == 0, "the whole message is consumed") }
        return try b.readOpenFlowMessage(flowStats: detail)
    }

    @Test func countersMatchAFullRead() throws {
        let m = try Self.sample("mpr-flow")
        guard case .multipartReply(let full)? = try Self.read(m, .full)?.payload, case .flow(let entries) = full.body,
              case .multipartReply(let lean)? = try Self.read(m, .countersOnly)?.payload, case .flow(let counted) = lean.body else {
            Issue.record("not a flow statistics reply"); return
        }
        #expect(lean.flags == full.flags && lean.hasMore)
        #expect(!entries.isEmpty && counted.count == entries.count)
        for (f, c) in zip(entries, counted) {
            #expect(c.tableID == f.tableID && c.priority == f.priority && c.cookie == f.cookie)
            #expect(c.packetCount == f.packetCount && c.byteCount == f.byteCount && c.flags == f.flags)
            #expect(c.match == .all && c.instructions.isEmpty)
        }
        #expect(entries.contains { !$0.match.fields.isEmpty && !$0.instructions.isEmpty }, "the sample has something to skip")
    }

    @Test(arguments: ["mpr-aggregate", "mpr-meter", "flow-mod-mirror"])
    func otherMessagesAreReadWhole(name: String) throws {
        let m = try Self.sample(name)
        #expect(try Self.read(m, .countersOnly) == Self.read(m, .full))
    }

    @Test func aShortEntryIsStillRefused() throws {
        var bytes = Array(try Self.sample("mpr-flow").encoded().readableBytesView)
        // The first entry's length (after the 16-byte multipart header) below the fixed part.
        bytes[16] = 0
        bytes[17] = 40
        var b = ByteBuffer(bytes: bytes)
        #expect(throws: DecodingError.self) { try b.readOpenFlowMessage(flowStats: .countersOnly) }
        #expect(b.readableBytes == 0)
    }
}
