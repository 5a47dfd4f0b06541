import NIOCore
import OpenFlow
import TaaSTestSupport
import Testing

@Suite struct RoundTripTests {
    static let names = Samples.allMessages.map(\.0)

    static func sample(_ name: String) -> OpenFlowMessage {
        Samples.allMessages.first { $0.0 == name }!.1
    }

    @Test(arguments: names)
    func encodesAndDecodesUnchanged(name: String) throws {
        let message = Self.sample(name)
        var buffer = message.encoded()
        let bytes = Array(buffer.readableBytesView)
        // The header's length is the number of bytes written.
        #expect(Int(buffer.getInteger(at: 2, as: UInt16.self) ?? 0) == bytes.count)
        let decoded = try #require(try buffer.readOpenFlowMessage())
        #expect(decoded == message)
        #expect(buffer.readableBytes == 0)
        #expect(Array(decoded.encoded().readableBytesView) == bytes)
    }

    @Test(arguments: names)
    func partialReadsWaitForTheWholeMessage(name: String) throws {
        let bytes = Array(Self.sample(name).encoded().readableBytesView)
        var buffer = ByteBuffer()
        for (i, byte) in bytes.enumerated() {
            buffer.writeInteger(byte)
            let before = buffer.readerIndex
            let result = try buffer.readOpenFlowMessage()
            if i < bytes.count - 1 {
                #expect(result == nil, "decoded early at byte \(i)")
                #expect(buffer.readerIndex == before, "consumed bytes of an incomplete message")
            } else {
                #expect(result == Self.sample(name))
            }
        }
    }

    @Test func backToBackMessagesDecodeInOrder() throws {
        var buffer = ByteBuffer()
        for (_, m) in Samples.allMessages { buffer.writeOpenFlowMessage(m) }
        var out: [OpenFlowMessage] = []
        while let m = try buffer.readOpenFlowMessage() { out.append(m) }
        #expect(out == Samples.allMessages.map(\.1))
        #expect(buffer.readableBytes == 0)
    }

    /// The mirror FLOW_MOD the benchmarks use, byte for byte (128 bytes).
    @Test func mirrorFlowModBytes() {
        let bytes = Array(OpenFlowMessage(xid: 7, .flowMod(Samples.mirrorFlowMod)).encoded().readableBytesView)
        let expected: [UInt8] = [
            0x04, 0x0e, 0x00, 0x80, 0x00, 0x00, 0x00, 0x07,  // header: v1.3 FLOW_MOD len 128 xid 7
            0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0,  // cookie, cookie mask
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,  // table 0, ADD, idle 0, hard 0, priority 100
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // buffer id, out_port ANY
            0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,  // out_group ANY, flags, pad
            0x00, 0x01, 0x00, 0x16,  // match OXM, length 22
            0x80, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,  // in_port=1
            0x80, 0x00, 0x06, 0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,  // eth_dst
            0x00, 0x00,  // match padding
            0x00, 0x04, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00,  // apply-actions, length 56
            0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0, 0, 0, 0, 0, 0,  // output:3
            0x00, 0x19, 0x00, 0x10, 0x80, 0x00, 0x4c, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x64,  // set_field tun_id
            0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0, 0, 0, 0, 0, 0,  // output:100
        ]
        #expect(bytes == expected)
    }

    /// LAB.md: `set_field:198.51.100.12->tun_dst` uses the Nicira OXM 0x00014004, NORMAL is 0xfffffffa.
    @Test func tunnelDestinationAndNormalEncoding() {
        var b = ByteBuffer()
        b.writeOpenFlowMessage(OpenFlowMessage(xid: 1, .packetOut(PacketOut(actions: [
            .setField(.tunnelIPv4Dst(IPv4Address(198, 51, 100, 12))), .output(.normal),
        ], data: []))))
        let bytes = Array(b.readableBytesView)
        #expect(bytes[24..<40] == [0x00, 0x19, 0x00, 0x10, 0x00, 0x01, 0x40, 0x04, 198, 51, 100, 12, 0, 0, 0, 0])
        #expect(bytes[40..<48] == [0x00, 0x00, 0x00, 0x10, 0xff, 0xff, 0xff, 0xfa])
    }

    @Test func helloVersionBitmap() {
        #expect(Hello.supporting([4]).advertisedVersions == [4])
        #expect(Hello.supporting([1, 4, 6]).advertisedVersions == [1, 4, 6])
        #expect(Hello().advertisedVersions == nil)
        let bytes = Array(OpenFlowMessage(xid: 0, .hello(.supporting([4]))).encoded().readableBytesView)
        // As Open vSwitch sends it with protocols=OpenFlow13 (LAB.md): bitmap element 0x10.
        #expect(bytes == [4, 0, 0, 16, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0x10])
    }

    @Test func bundleAddCarriesTheOuterXID() throws {
        var b = OpenFlowMessage(xid: 77, .bundleAdd(BundleAdd(bundleID: 3, message: .flowMod(Samples.mirrorFlowMod)))).encoded()
        // Inner message starts after 16-byte experimenter header and 8-byte bundle body.
        #expect(b.getInteger(at: 24 + 4, as: UInt32.self) == 77)
        #expect(b.getInteger(at: 2, as: UInt16.self) == UInt16(24 + 128))
        let m = try #require(try b.readOpenFlowMessage())
        #expect(m.xid == 77)
    }
}
