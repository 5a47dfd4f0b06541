import NIOCore

/// Open vSwitch's bundle extension for OpenFlow 1.3: the OpenFlow 1.4 bundle messages
/// carried as ONF experimenter messages (`ONFT13_BUNDLE_CONTROL` 2300,
/// `ONFT13_BUNDLE_ADD_MESSAGE` 2301) with `ofp14_bundle_ctrl_msg` bodies.
public enum BundleExtension {
    public static let controlExpType: UInt32 = 2300
    public static let addExpType: UInt32 = 2301
}

/// `ofp14_bundle_ctrl_msg`.
public struct BundleControl: Hashable, Sendable {
    public struct ControlType: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let openRequest = ControlType(rawValue: 0)
        public static let openReply = ControlType(rawValue: 1)
        public static let closeRequest = ControlType(rawValue: 2)
        public static let closeReply = ControlType(rawValue: 3)
        public static let commitRequest = ControlType(rawValue: 4)
        public static let commitReply = ControlType(rawValue: 5)
        public static let discardRequest = ControlType(rawValue: 6)
        public static let discardReply = ControlType(rawValue: 7)

        /// The reply a switch sends to this request.
        public var reply: ControlType { ControlType(rawValue: rawValue | 1) }
    }

    /// `OFPBF_*`.
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let atomic = Flags(rawValue: 1)
        public static let ordered = Flags(rawValue: 2)
    }

    public var bundleID: UInt32
    public var type: ControlType
    public var flags: Flags
    /// Bundle properties (`ofp14_bundle_prop_header` TLVs), kept as bytes.
    public var properties: [UInt8]

    public init(bundleID: UInt32, type: ControlType, flags: Flags = [.atomic, .ordered], properties: [UInt8] = []) {
        self.bundleID = bundleID
        self.type = type
        self.flags = flags
        self.properties = properties
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> BundleControl {
        let id: UInt32 = try b.read(or: .bundleMsgBadLen)
        let type: UInt16 = try b.read(or: .bundleMsgBadLen)
        let flags: UInt16 = try b.read(or: .bundleMsgBadLen)
        return BundleControl(bundleID: id, type: ControlType(rawValue: type), flags: Flags(rawValue: flags),
                             properties: b.readBytes(length: b.readableBytes) ?? [])
    }

    func write(to b: inout ByteBuffer) -> Int {
        b.writeInteger(bundleID) + b.writeInteger(type.rawValue) + b.writeInteger(flags.rawValue) + b.writeBytes(properties)
    }
}

/// `ofp14_bundle_add_msg`: one message to apply when the bundle commits. The inner
/// message's xid must equal the outer one (the encoder takes it from the outer message).
public struct BundleAdd: Hashable, Sendable {
    public var bundleID: UInt32
    public var flags: BundleControl.Flags
    public var message: OpenFlowMessage.Payload
    /// Bytes after the inner message (padding and properties), kept so a peer's message re-encodes unchanged.
    public var trailer: [UInt8]

    public init(bundleID: UInt32, flags: BundleControl.Flags = [.atomic, .ordered], message: OpenFlowMessage.Payload,
                trailer: [UInt8] = []) {
        self.bundleID = bundleID
        self.flags = flags
        self.message = message
        self.trailer = trailer
    }

    static func read(from b: inout ByteBuffer, xid: UInt32, version: UInt8) throws(ParseError) -> BundleAdd {
        let id: UInt32 = try b.read(or: .bundleMsgBadLen)
        try b.skip(2, or: .bundleMsgBadLen)
        let flags: UInt16 = try b.read(or: .bundleMsgBadLen)
        guard let innerLength = b.getInteger(at: b.readerIndex + 2, as: UInt16.self), innerLength >= 8,
              Int(innerLength) <= b.readableBytes else {
            throw ParseError(.bundleMsgBadLen, "inner message length")
        }
        var inner = try b.slice(Int(innerLength), or: .bundleMsgBadLen)
        let innerVersion: UInt8 = try inner.read(or: .bundleMsgBadLen)
        let innerType: UInt8 = try inner.read(or: .bundleMsgBadLen)
        try inner.skip(2, or: .bundleMsgBadLen)
        let innerXID: UInt32 = try inner.read(or: .bundleMsgBadLen)
        guard innerVersion == version else { throw ParseError(.badRequestBadVersion, "inner message version") }
        guard innerXID == xid else { throw ParseError(.bundleMsgBadXID, "inner xid differs from outer xid") }
        // Only what Open vSwitch can bundle (ofputil_is_bundlable); this also bounds recursion.
        let allowed: [MessageType] = [.flowMod, .groupMod, .portMod, .packetOut]
        guard allowed.contains(MessageType(rawValue: innerType)) else { throw ParseError(.bundleMsgUnsup, "message not bundleable") }
        let payload = try OpenFlowMessage.Payload.read(type: MessageType(rawValue: innerType), version: innerVersion, xid: xid, body: &inner)
        return BundleAdd(bundleID: id, flags: BundleControl.Flags(rawValue: flags), message: payload,
                         trailer: b.readBytes(length: b.readableBytes) ?? [])
    }

    func write(to b: inout ByteBuffer, xid: UInt32) -> Int {
        let n = b.writeInteger(bundleID) + b.writeZeros(2) + b.writeInteger(flags.rawValue)
        return n + b.writeOpenFlowMessage(OpenFlowMessage(xid: xid, message)) + b.writeBytes(trailer)
    }
}

extension ErrorCode {
    // Bundle failures on OpenFlow 1.3 are ONF experimenter errors (exp_type 2300 + OFPBFC_* code).
    public static let bundleUnknown = ErrorCode(.experimenter, 2300)
    public static let bundleEperm = ErrorCode(.experimenter, 2301)
    public static let bundleBadID = ErrorCode(.experimenter, 2302)
    public static let bundleExists = ErrorCode(.experimenter, 2303)
    public static let bundleClosed = ErrorCode(.experimenter, 2304)
    public static let bundleOutOfBundles = ErrorCode(.experimenter, 2305)
    public static let bundleBadType = ErrorCode(.experimenter, 2306)
    public static let bundleBadFlags = ErrorCode(.experimenter, 2307)
    public static let bundleMsgBadLen = ErrorCode(.experimenter, 2308)
    public static let bundleMsgBadXID = ErrorCode(.experimenter, 2309)
    public static let bundleMsgUnsup = ErrorCode(.experimenter, 2310)
    public static let bundleMsgConflict = ErrorCode(.experimenter, 2311)
    public static let bundleMsgTooMany = ErrorCode(.experimenter, 2312)
    public static let bundleMsgFailed = ErrorCode(.experimenter, 2313)
    public static let bundleTimeout = ErrorCode(.experimenter, 2314)
    public static let bundleInProgress = ErrorCode(.experimenter, 2315)
}
