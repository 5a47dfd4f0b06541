import NIOCore
import OpenFlow
import TaaSTestSupport
import Testing

/// Hand-made malformed messages and the OFPT_ERROR each must be answered with.
@Suite struct MalformedInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let expected: ErrorCode
        var testDescription: String { name }
    }

    /// Replaces bytes of a valid sample at an offset.
    static func patched(_ sample: String, at offset: Int, _ replacement: [UInt8], truncateTo: Int? = nil, fixLength: Bool = true) -> [UInt8] {
        var bytes = Array(Samples.allMessages.first { $0.0 == sample }!.1.encoded().readableBytesView)
        bytes.replaceSubrange(offset..<offset + replacement.count, with: replacement)
        if let t = truncateTo { bytes = Array(bytes.prefix(t)) }
        if fixLength {
            bytes[2] = UInt8(bytes.count >> 8)
            bytes[3] = UInt8(bytes.count & 0xff)
        }
        return bytes
    }

    static let cases: [Case] = [
        Case(name: "unknown message type", bytes: [4, 99, 0, 8, 0, 0, 0, 1], expected: .badRequestBadType),
        Case(name: "wrong version", bytes: [1, 14, 0, 8, 0, 0, 0, 1], expected: .badRequestBadVersion),
        Case(name: "features reply too short", bytes: [4, 6, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0], expected: .badRequestBadLen),
        Case(name: "barrier with a body", bytes: [4, 20, 0, 9, 0, 0, 0, 1, 0], expected: .badRequestBadLen),
        Case(name: "flow mod truncated in fixed part", bytes: patched("flow-mod-mirror", at: 0, [], truncateTo: 30), expected: .badRequestBadLen),
        Case(name: "match type not OXM", bytes: patched("flow-mod-mirror", at: 48, [0, 0]), expected: .badMatchBadType),
        Case(name: "match length beyond message", bytes: patched("flow-mod-mirror", at: 50, [0x0f, 0xff]), expected: .badMatchBadLen),
        Case(name: "match length below 4", bytes: patched("flow-mod-mirror", at: 50, [0, 2]), expected: .badMatchBadLen),
        Case(name: "OXM length wrong for field", bytes: patched("flow-mod-mirror", at: 55, [0x05]), expected: .badMatchBadLen),
        Case(name: "OXM masked odd length", bytes: patched("flow-mod-mirror", at: 62, [0x07, 0x07]), expected: .badMatchBadLen),
        Case(name: "instruction length not multiple of 8", bytes: patched("flow-mod-mirror", at: 74, [0, 0x37]), expected: .badInstructionBadLen),
        Case(name: "instruction length beyond message", bytes: patched("flow-mod-mirror", at: 74, [0, 0x40]), expected: .badInstructionBadLen),
        Case(name: "instruction length zero", bytes: patched("flow-mod-mirror", at: 74, [0, 0]), expected: .badInstructionBadLen),
        Case(name: "goto table with wrong length", bytes: patched("flow-mod-mirror", at: 72, [0, 1, 0, 0x38]), expected: .badInstructionBadLen),
        Case(name: "action length zero", bytes: patched("flow-mod-mirror", at: 82, [0, 0]), expected: .badActionBadLen),
        Case(name: "output action with wrong length", bytes: patched("flow-mod-mirror", at: 82, [0, 8]), expected: .badActionBadLen),
        Case(name: "action length beyond instruction", bytes: patched("flow-mod-mirror", at: 82, [0, 0x48]), expected: .badActionBadLen),
        Case(name: "set_field OXM overruns action", bytes: patched("flow-mod-mirror", at: 103, [0x10]), expected: .badActionBadSetLen),
        Case(name: "trailing bytes after flow mod", bytes: Array(Samples.mirrorFlowMod.encodedBody()) + [0, 0, 0, 0, 0, 0, 0, 0],
             expected: .badInstructionBadLen),
        Case(name: "unknown multipart type", bytes: [4, 18, 0, 16, 0, 0, 0, 1, 0, 99, 0, 0, 0, 0, 0, 0], expected: .badRequestBadMultipart),
        Case(name: "multipart flow request truncated", bytes: [4, 18, 0, 20, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0], expected: .badRequestBadLen),
        Case(name: "bucket length below 16", bytes: patched("group-mod", at: 16, [0, 8]), expected: .groupModFailedBadBucket),
        Case(name: "meter band length below 16", bytes: patched("meter-mod", at: 18, [0, 8]), expected: .meterModFailedBadBand),
        Case(name: "hello element length below 4", bytes: [4, 0, 0, 12, 0, 0, 0, 1, 0, 1, 0, 2], expected: .badRequestBadLen),
        Case(name: "bundle add inner xid differs", bytes: patched("bundle-add", at: 28, [0, 0, 0, 9]), expected: .bundleMsgBadXID),
        Case(name: "bundle add inner type not bundleable", bytes: patched("bundle-add", at: 25, [20]), expected: .bundleMsgUnsup),
        Case(name: "bundle add inner length beyond message", bytes: patched("bundle-add", at: 26, [0x0f, 0xff]), expected: .bundleMsgBadLen),
        Case(name: "table features length below 64", bytes: patched("mpr-table-features", at: 16, [0, 8]), expected: .tableFeaturesFailedBadLen),
        Case(name: "flow stats length below 56", bytes: patched("mpr-flow", at: 16, [0, 8]), expected: .badRequestBadLen),
    ]

    @Test(arguments: cases)
    func answeredWithTheRightError(c: Case) throws {
        var buffer = ByteBuffer(bytes: c.bytes)
        do {
            let m = try buffer.readOpenFlowMessage()
            Issue.record("decoded \(String(describing: m)) instead of failing")
        } catch {
            #expect(error.code == c.expected, "got \(error.code), reason \(error.reason)")
            #expect(!error.framingLost)
            // The whole message is consumed so the stream stays in sync.
            #expect(buffer.readableBytes == 0)
            // The reply echoes at most 64 bytes of the request with its xid.
            let reply = error.errorReply
            #expect(reply.xid == UInt32(c.bytes[4]) << 24 | UInt32(c.bytes[5]) << 16 | UInt32(c.bytes[6]) << 8 | UInt32(c.bytes[7]))
            guard case .error(let e) = reply.payload else { Issue.record("not an error"); return }
            #expect(e.data == Array(c.bytes.prefix(64)))
        }
    }

    @Test func headerLengthBelowEightLosesFraming() {
        var buffer = ByteBuffer(bytes: [4, 0, 0, 4, 0, 0, 0, 1])
        #expect(throws: DecodingError.self) { try buffer.readOpenFlowMessage() }
        do { _ = try buffer.readOpenFlowMessage() } catch {
            #expect(error.framingLost)
            #expect(error.code == .badRequestBadLen)
        }
    }

    @Test func errorCodesPrintSpecNames() {
        #expect(ErrorCode.badMatchBadPrereq.description == "OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ")
        #expect(ErrorCode.badRequestBadLen.description == "OFPET_BAD_REQUEST/OFPBRC_BAD_LEN")
        #expect(ErrorCode.tableFeaturesFailedEperm.description == "OFPET_TABLE_FEATURES_FAILED/OFPTFFC_EPERM")
    }

    /// Every truncation of every sample, and every single-byte corruption of the mirror flow,
    /// decodes to a message, nil, or a typed error: never a crash.
    @Test func truncationsAndCorruptionsNeverCrash() {
        for (_, m) in Samples.allMessages {
            let bytes = Array(m.encoded().readableBytesView)
            for n in 0..<bytes.count {
                var prefix = bytes.prefix(n).map { $0 }
                prefix[safe: 2] = UInt8(n >> 8)
                prefix[safe: 3] = UInt8(n & 0xff)
                var b = ByteBuffer(bytes: prefix)
                _ = try? b.readOpenFlowMessage()
            }
        }
        let mirror = Array(OpenFlowMessage(xid: 1, .flowMod(Samples.mirrorFlowMod)).encoded().readableBytesView)
        for i in 8..<mirror.count {
            for v: UInt8 in [0, 1, 0x7f, 0x80, 0xff] {
                var bytes = mirror
                bytes[i] = v
                var b = ByteBuffer(bytes: bytes)
                _ = try? b.readOpenFlowMessage()
            }
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? {
        get { indices.contains(i) ? self[i] : nil }
        set { if let v = newValue, indices.contains(i) { self[i] = v } }
    }
}

extension FlowMod {
    /// A FLOW_MOD message whose header length covers `extra` trailing bytes.
    func encodedBody() -> [UInt8] {
        var bytes = Array(OpenFlowMessage(xid: 1, .flowMod(self)).encoded().readableBytesView)
        let n = bytes.count + 8
        bytes[2] = UInt8(n >> 8)
        bytes[3] = UInt8(n & 0xff)
        return bytes
    }
}
