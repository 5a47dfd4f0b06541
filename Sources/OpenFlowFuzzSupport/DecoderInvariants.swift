import NIOCore
import OpenFlow

/// What must hold for any byte string fed to the decoder, checked by the libFuzzer target
/// and by the regression tests that replay its findings.
public enum DecoderInvariants {
    public struct Violation: Error, CustomStringConvertible {
        public var description: String
    }

    /// Decodes `bytes` as a stream of messages. Each decoded message must re-encode to bytes
    /// that decode to the same message; each failure must consume the message and carry an
    /// error reply of at most its first 64 bytes. A counters-only read of the same bytes must
    /// consume as much and, where the full read succeeds, succeed with the same counters.
    /// Returns the number of messages decoded.
    @discardableResult
    public static func check(_ bytes: UnsafeRawBufferPointer) throws(Violation) -> Int {
        var buffer = ByteBuffer(bytes: bytes)
        var decoded = 0
        while buffer.readableBytes > 0 {
            let before = buffer.readableBytes
            var lean = buffer
            let leanResult: Result<OpenFlowMessage?, DecodingError>
            do throws(DecodingError) { leanResult = .success(try lean.readOpenFlowMessage(flowStats: .countersOnly)) } catch { leanResult = .failure(error) }
            let result: Result<OpenFlowMessage?, DecodingError>
            do throws(DecodingError) { result = .success(try buffer.readOpenFlowMessage()) } catch { result = .failure(error) }
            try checkCountersOnly(leanResult, lean, against: result, buffer)
            switch result {
            case .success(nil):
                return decoded
            case .success(let message?):
                decoded += 1
                try checkReencoding(message)
            case .failure(let error):
                guard error.offendingBytes.count <= OpenFlow.errorDataLength else { throw Violation(description: "error data too long") }
                if error.framingLost { return decoded }
                guard buffer.readableBytes < before else { throw Violation(description: "decoder made no progress") }
            }
        }
        return decoded
    }

    /// The same check over an array.
    @discardableResult
    public static func check(_ bytes: [UInt8]) throws(Violation) -> Int {
        let result = bytes.withUnsafeBytes { raw -> Result<Int, Violation> in
            do throws(Violation) { return .success(try check(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    static func checkCountersOnly(_ lean: Result<OpenFlowMessage?, DecodingError>, _ leanBuffer: ByteBuffer,
                                  against full: Result<OpenFlowMessage?, DecodingError>, _ fullBuffer: ByteBuffer) throws(Violation) {
        guard leanBuffer.readableBytes == fullBuffer.readableBytes else {
            throw Violation(description: "a counters-only read consumed a different length")
        }
        guard case .success(let message?) = full else { return }
        guard case .success(let counted?) = lean else { throw Violation(description: "a counters-only read failed where a full read did not") }
        func counters(_ m: OpenFlowMessage) -> [[UInt64]]? {
            guard case .multipartReply(let r) = m.payload, case .flow(let entries) = r.body else { return nil }
            return entries.map { [UInt64($0.tableID), UInt64($0.priority), $0.cookie, $0.packetCount, $0.byteCount] }
        }
        guard counters(message) == counters(counted) else { throw Violation(description: "a counters-only read counted differently") }
    }

    static func checkReencoding(_ message: OpenFlowMessage) throws(Violation) {
        var again = message.encoded()
        guard again.readableBytes <= Int(UInt16.max) else { throw Violation(description: "re-encoding exceeds 65535 bytes") }
        let reread: OpenFlowMessage?
        do throws(DecodingError) { reread = try again.readOpenFlowMessage() } catch {
            throw Violation(description: "re-encoded message does not decode: \(error.code) \(error.reason)")
        }
        guard reread == message else { throw Violation(description: "re-encoded message decodes differently") }
    }
}
