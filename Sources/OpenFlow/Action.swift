import NIOCore

/// `ofp_action_type`, an open set.
public struct ActionType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let output = ActionType(rawValue: 0)
    public static let copyTTLOut = ActionType(rawValue: 11)
    public static let copyTTLIn = ActionType(rawValue: 12)
    public static let setMPLSTTL = ActionType(rawValue: 15)
    public static let decMPLSTTL = ActionType(rawValue: 16)
    public static let pushVLAN = ActionType(rawValue: 17)
    public static let popVLAN = ActionType(rawValue: 18)
    public static let pushMPLS = ActionType(rawValue: 19)
    public static let popMPLS = ActionType(rawValue: 20)
    public static let setQueue = ActionType(rawValue: 21)
    public static let group = ActionType(rawValue: 22)
    public static let setNWTTL = ActionType(rawValue: 23)
    public static let decNWTTL = ActionType(rawValue: 24)
    public static let setField = ActionType(rawValue: 25)
    public static let pushPBB = ActionType(rawValue: 26)
    public static let popPBB = ActionType(rawValue: 27)
    public static let experimenter = ActionType(rawValue: 0xffff)
}

/// Experimenter ids this codec knows.
public enum ExperimenterID {
    /// Nicira, whose extensions Open vSwitch implements (`NX_VENDOR_ID`).
    public static let nicira: UInt32 = 0x0000_2320
    /// The Open Networking Foundation (`ONF_VENDOR_ID`), used for the 1.3 bundle extension.
    public static let onf: UInt32 = 0x4f4e_4600
}

/// Nicira action subtypes (`NXAST_*`) the codec decodes into typed cases.
public enum NiciraActionSubtype {
    public static let resubmit: UInt16 = 1
    public static let resubmitTable: UInt16 = 14
    public static let outputTrunc: UInt16 = 39
}

/// An OpenFlow 1.3 action (§7.2.5), plus the Nicira actions a mirroring pipeline uses.
/// Unknown actions and experimenter bodies keep their bytes and re-encode unchanged.
public enum Action: Hashable, Sendable {
    /// `maxLength` only matters for `controller` (bytes sent in PACKET_IN).
    case output(port: PortNumber, maxLength: UInt16)
    case copyTTLOut
    case copyTTLIn
    case setMPLSTTL(UInt8)
    case decMPLSTTL
    case pushVLAN(ethertype: UInt16)
    case popVLAN
    case pushMPLS(ethertype: UInt16)
    case popMPLS(ethertype: UInt16)
    case setQueue(UInt32)
    case group(UInt32)
    case setNWTTL(UInt8)
    case decNWTTL
    case setField(OXMField)
    case pushPBB(ethertype: UInt16)
    case popPBB
    /// `NXAST_RESUBMIT` / `NXAST_RESUBMIT_TABLE`: `resubmit(port,table)`; nil table means the current one,
    /// `PortNumber.inPort` (0xfff8 on the wire) keeps the packet's in_port.
    case resubmit(inPort: UInt16, table: UInt8?)
    /// `NXAST_OUTPUT_TRUNC`: output at most `maxLength` bytes of the packet (a snap length).
    case outputTruncated(port: UInt16, maxLength: UInt32)
    /// Any other experimenter action: `body` is every byte after the experimenter id.
    case experimenter(id: UInt32, body: [UInt8])
    /// An action type this codec does not know: `body` is every byte after type and length.
    case unknown(type: UInt16, body: [UInt8])

    @inlinable public static func output(_ port: PortNumber) -> Action {
        .output(port: port, maxLength: port == .controller ? Reserved.controllerMaxLenNoBuffer : 0)
    }

    /// The OpenFlow 1.0 port number Nicira actions use for `OFPP_IN_PORT`.
    public static let niciraInPort: UInt16 = 0xfff8

    /// Bytes on the wire.
    @inlinable public var wireLength: Int {
        switch self {
        case .output, .resubmit, .outputTruncated: 16
        case .setField(let f): paddedTo8(4 + f.wireLength)
        case .experimenter(_, let body): 8 + body.count
        case .unknown(_, let body): 4 + body.count
        default: 8
        }
    }
}

extension ByteBuffer {
    @inlinable
    mutating func readActions(length: Int) throws(ParseError) -> [Action] {
        var body = try slice(length, or: .badActionBadLen)
        var actions: [Action] = []
        actions.reserveCapacity(4)
        while body.readableBytes > 0 {
            actions.append(try body.readAction())
        }
        return actions
    }

    @inlinable
    mutating func readAction() throws(ParseError) -> Action {
        let type = try read(UInt16.self, or: .badActionBadLen)
        let length = Int(try read(UInt16.self, or: .badActionBadLen))
        guard length >= 8, length % 8 == 0 else { throw ParseError(.badActionBadLen, "action length not a positive multiple of 8") }
        var b = try slice(length - 4, or: .badActionBadLen)
        let action: Action
        func fixed(_ expected: Int) throws(ParseError) {
            guard length == expected else { throw ParseError(.badActionBadLen, "wrong action length") }
        }
        switch ActionType(rawValue: type) {
        case .output:
            try fixed(16)
            let port = try b.read(UInt32.self, or: .badActionBadLen)
            let maxLen = try b.read(UInt16.self, or: .badActionBadLen)
            try b.skip(6, or: .badActionBadLen)
            action = .output(port: PortNumber(port), maxLength: maxLen)
        case .copyTTLOut: try fixed(8); action = .copyTTLOut; b.moveReaderIndex(forwardBy: 4)
        case .copyTTLIn: try fixed(8); action = .copyTTLIn; b.moveReaderIndex(forwardBy: 4)
        case .decMPLSTTL: try fixed(8); action = .decMPLSTTL; b.moveReaderIndex(forwardBy: 4)
        case .popVLAN: try fixed(8); action = .popVLAN; b.moveReaderIndex(forwardBy: 4)
        case .decNWTTL: try fixed(8); action = .decNWTTL; b.moveReaderIndex(forwardBy: 4)
        case .popPBB: try fixed(8); action = .popPBB; b.moveReaderIndex(forwardBy: 4)
        case .setMPLSTTL:
            try fixed(8)
            action = .setMPLSTTL(try b.read(or: .badActionBadLen)); b.moveReaderIndex(forwardBy: 3)
        case .setNWTTL:
            try fixed(8)
            action = .setNWTTL(try b.read(or: .badActionBadLen)); b.moveReaderIndex(forwardBy: 3)
        case .pushVLAN, .pushMPLS, .popMPLS, .pushPBB:
            try fixed(8)
            let e: UInt16 = try b.read(or: .badActionBadLen)
            b.moveReaderIndex(forwardBy: 2)
            switch ActionType(rawValue: type) {
            case .pushVLAN: action = .pushVLAN(ethertype: e)
            case .pushMPLS: action = .pushMPLS(ethertype: e)
            case .popMPLS: action = .popMPLS(ethertype: e)
            default: action = .pushPBB(ethertype: e)
            }
        case .setQueue:
            try fixed(8)
            action = .setQueue(try b.read(or: .badActionBadLen))
        case .group:
            try fixed(8)
            action = .group(try b.read(or: .badActionBadLen))
        case .setField:
            let field = try b.readOXMField(lengthError: .badActionBadSetLen)
            // The rest is padding to 8; it must be exactly that.
            guard b.readableBytes == paddedTo8(4 + field.wireLength) - (4 + field.wireLength) else {
                throw ParseError(.badActionBadSetLen, "set_field padding")
            }
            b.moveReaderIndex(forwardBy: b.readableBytes)
            action = .setField(field)
        case .experimenter:
            let exp = try b.read(UInt32.self, or: .badActionBadLen)
            action = try b.readExperimenterAction(exp)
        default:
            action = .unknown(type: type, body: b.readBytes(length: b.readableBytes) ?? [])
        }
        return action
    }

    /// `b` holds everything after the experimenter id.
    @inlinable
    mutating func readExperimenterAction(_ exp: UInt32) throws(ParseError) -> Action {
        let raw = getBytes(at: readerIndex, length: readableBytes) ?? []
        if exp == ExperimenterID.nicira, readableBytes == 8, let subtype = readInteger(as: UInt16.self) {
            switch subtype {
            case NiciraActionSubtype.resubmit:
                if let port = readInteger(as: UInt16.self) {
                    moveReaderIndex(forwardBy: 4)
                    return .resubmit(inPort: port, table: nil)
                }
            case NiciraActionSubtype.resubmitTable:
                if let port = readInteger(as: UInt16.self), let table = readInteger(as: UInt8.self),
                   getBytes(at: readerIndex, length: 3) == [0, 0, 0] {
                    moveReaderIndex(forwardBy: 3)
                    // Table 255 in NXAST_RESUBMIT_TABLE means "current table", as plain NXAST_RESUBMIT.
                    return .resubmit(inPort: port, table: table)
                }
            case NiciraActionSubtype.outputTrunc:
                if let port = readInteger(as: UInt16.self), let maxLen = readInteger(as: UInt32.self) {
                    return .outputTruncated(port: port, maxLength: maxLen)
                }
            default:
                break
            }
        }
        moveReaderIndex(to: writerIndex)
        return .experimenter(id: exp, body: raw)
    }

    @inlinable
    @discardableResult
    mutating func writeActions(_ actions: [Action]) -> Int {
        var n = 0
        for a in actions { n += writeAction(a) }
        return n
    }

    @inlinable
    @discardableResult
    mutating func writeAction(_ a: Action) -> Int {
        let len = UInt16(truncatingIfNeeded: a.wireLength)
        func head(_ t: ActionType) -> Int { writeInteger(t.rawValue) + writeInteger(len) }
        switch a {
        case .output(let port, let maxLen):
            return head(.output) + writeInteger(port.rawValue) + writeInteger(maxLen) + writeZeros(6)
        case .copyTTLOut: return head(.copyTTLOut) + writeZeros(4)
        case .copyTTLIn: return head(.copyTTLIn) + writeZeros(4)
        case .decMPLSTTL: return head(.decMPLSTTL) + writeZeros(4)
        case .popVLAN: return head(.popVLAN) + writeZeros(4)
        case .decNWTTL: return head(.decNWTTL) + writeZeros(4)
        case .popPBB: return head(.popPBB) + writeZeros(4)
        case .setMPLSTTL(let t): return head(.setMPLSTTL) + writeInteger(t) + writeZeros(3)
        case .setNWTTL(let t): return head(.setNWTTL) + writeInteger(t) + writeZeros(3)
        case .pushVLAN(let e): return head(.pushVLAN) + writeInteger(e) + writeZeros(2)
        case .pushMPLS(let e): return head(.pushMPLS) + writeInteger(e) + writeZeros(2)
        case .popMPLS(let e): return head(.popMPLS) + writeInteger(e) + writeZeros(2)
        case .pushPBB(let e): return head(.pushPBB) + writeInteger(e) + writeZeros(2)
        case .setQueue(let q): return head(.setQueue) + writeInteger(q)
        case .group(let g): return head(.group) + writeInteger(g)
        case .setField(let f):
            let n = head(.setField) + writeOXMField(f)
            return n + writeZeros(Int(len) - n)
        case .resubmit(let port, nil):
            return head(.experimenter) + writeInteger(ExperimenterID.nicira) + writeInteger(NiciraActionSubtype.resubmit)
                + writeInteger(port) + writeZeros(4)
        case .resubmit(let port, let table?):
            return head(.experimenter) + writeInteger(ExperimenterID.nicira) + writeInteger(NiciraActionSubtype.resubmitTable)
                + writeInteger(port) + writeInteger(table) + writeZeros(3)
        case .outputTruncated(let port, let maxLen):
            return head(.experimenter) + writeInteger(ExperimenterID.nicira) + writeInteger(NiciraActionSubtype.outputTrunc)
                + writeInteger(port) + writeInteger(maxLen)
        case .experimenter(let id, let body):
            return head(.experimenter) + writeInteger(id) + writeBytes(body)
        case .unknown(let type, let body):
            return writeInteger(type) + writeInteger(len) + writeBytes(body)
        }
    }
}
