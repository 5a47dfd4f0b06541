/// A body that cannot be decoded, with the OFPT_ERROR type and code a switch or
/// controller answers it with (OpenFlow 1.3.5 §7.4.4).
public struct ParseError: Error, Hashable, Sendable {
    public var code: ErrorCode
    /// A short static reason for logs; never built from peer bytes.
    public var reason: String

    public init(_ code: ErrorCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// The result of failing to decode one framed message.
///
/// `offendingBytes` holds at most the first 64 bytes of the message, which is what
/// the spec asks an OFPT_ERROR to echo back. `framingLost` is true when the header's
/// length field itself is unusable, so the stream cannot be resynchronised and the
/// connection must close after the error is sent.
public struct DecodingError: Error, Hashable, Sendable {
    public var code: ErrorCode
    public var reason: String
    public var xid: UInt32
    public var messageType: UInt8
    public var offendingBytes: [UInt8]
    public var framingLost: Bool

    public init(code: ErrorCode, reason: String, xid: UInt32, messageType: UInt8, offendingBytes: [UInt8], framingLost: Bool) {
        self.code = code
        self.reason = reason
        self.xid = xid
        self.messageType = messageType
        self.offendingBytes = offendingBytes
        self.framingLost = framingLost
    }

    /// The OFPT_ERROR that answers the offending message.
    public var errorReply: OpenFlowMessage {
        // The only experimenter errors this codec raises are the ONF bundle errors.
        OpenFlowMessage(xid: xid, .error(ErrorMessage(code: code, experimenter: code.type == .experimenter ? ExperimenterID.onf : nil,
                                                      data: offendingBytes)))
    }
}
