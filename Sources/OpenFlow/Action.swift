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
    public static let multipath: UInt16 = 10
    public static let resubmitTable: UInt16 = 14
    public static let outputTrunc: UInt16 = 39
    public static let clone: UInt16 = 42
}

/// An OpenFlow 1.3 action (§7.2.5), plus the Nicira actions a mirroring pipeline uses.
/// Unknown actions and experimenter bodies keep their bytes and re-encode unchanged.
public indirect enum Action: Hashable, Sendable {
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
    /// `NXAST_CLONE`: runs the actions on a copy of the packet, so that what they change (tunnel
    /// destination and key, say) never reaches the actions after it.
    case clone([Action])
    /// `NXAST_MULTIPATH`: picks one of several links by a hash of the packet's fields and stores
    /// its number in bits of a register (typed when the register is one of reg0–reg15).
    case multipath(Multipath)
    /// Any other experimenter action: `body` is every byte after the experimenter id.
    case experimenter(id: UInt32, body: [UInt8])
    /// An action type this codec does not know: `body` is every byte after type and length.
    case unknown(type: UInt16, body: [UInt8])

    @inlinable public static func output(_ port: PortNumber) -> Action {
        .output(port: port, maxLength: port == .controller ? Reserved.controllerMaxLenNoBuffer : 0)
    }

    /// The OpenFlow 1.0 port number Nicira actions use for `OFPP_IN_PORT`.
    public static let niciraInPort: UInt16 = 0xfff8

    /// Clones within clones decoded as such; deeper ones keep their bytes (`experimenter`).
    public static let maxNesting = 4

    /// Bytes on the wire.
    @inlinable public var wireLength: Int {
        switch self {
        case .output, .resubmit, .outputTruncated: 16
        case .multipath: 32
        case .clone(let inner): 16 + inner.reduce(0) { $0 + $1.wireLength }
        case .setField(let f): paddedTo8(4 + f.wireLength)
        case .experimenter(_, let body): 8 + body.count
        case .unknown(_, let body): 4 + body.count
        default: 8
        }
    }
}

extension RawReader {
    @inlinable
    mutating func actions(length: Int, depth: Int = 0) throws(ParseError) -> [Action] {
        var body = try sub(length, or: .badActionBadLen)
        var list: [Action] = []
        list.reserveCapacity(4)
        while body.remaining > 0 {
            list.append(try body.action(depth: depth))
        }
        return list
    }

    @inlinable
    mutating func action(depth: Int = 0) throws(ParseError) -> Action {
        let e = ErrorCode.badActionBadLen
        let type = try read(UInt16.self, or: e)
        let length = Int(try read(UInt16.self, or: e))
        guard length >= 8, length % 8 == 0 else { throw ParseError(e, "action length not a positive multiple of 8") }
        var b = try sub(length - 4, or: e)
        func fixed(_ expected: Int) throws(ParseError) {
            guard length == expected else { throw ParseError(e, "wrong action length") }
        }
        switch ActionType(rawValue: type) {
        case .output:
            try fixed(16)
            let port = try b.read(UInt32.self, or: e)
            return .output(port: PortNumber(port), maxLength: try b.read(UInt16.self, or: e))
        case .copyTTLOut: try fixed(8); return .copyTTLOut
        case .copyTTLIn: try fixed(8); return .copyTTLIn
        case .decMPLSTTL: try fixed(8); return .decMPLSTTL
        case .popVLAN: try fixed(8); return .popVLAN
        case .decNWTTL: try fixed(8); return .decNWTTL
        case .popPBB: try fixed(8); return .popPBB
        case .setMPLSTTL: try fixed(8); return .setMPLSTTL(try b.read(or: e))
        case .setNWTTL: try fixed(8); return .setNWTTL(try b.read(or: e))
        case .pushVLAN: try fixed(8); return .pushVLAN(ethertype: try b.read(or: e))
        case .pushMPLS: try fixed(8); return .pushMPLS(ethertype: try b.read(or: e))
        case .popMPLS: try fixed(8); return .popMPLS(ethertype: try b.read(or: e))
        case .pushPBB: try fixed(8); return .pushPBB(ethertype: try b.read(or: e))
        case .setQueue: try fixed(8); return .setQueue(try b.read(or: e))
        case .group: try fixed(8); return .group(try b.read(or: e))
        case .setField:
            let field = try b.oxmField(lengthError: .badActionBadSetLen)
            // What follows is padding to 8, and must be exactly that.
            guard b.remaining == paddedTo8(4 + field.wireLength) - (4 + field.wireLength) else {
                throw ParseError(.badActionBadSetLen, "set_field padding")
            }
            return .setField(field)
        case .experimenter:
            let exp = try b.read(UInt32.self, or: e)
            return b.experimenterAction(exp, depth: depth)
        default:
            return .unknown(type: type, body: b.rest())
        }
    }

    /// `self` holds everything after the experimenter id.
    @inlinable
    mutating func experimenterAction(_ exp: UInt32, depth: Int = 0) -> Action {
        // A clone: subtype, six zero bytes, then actions. Typed only when all of it decodes (and
        // the padding is zero), so that anything else re-encodes byte for byte.
        if exp == ExperimenterID.nicira, remaining >= 8, depth < Action.maxNesting, peek(UInt16.self) == NiciraActionSubtype.clone,
           peek(UInt16.self, at: 2) == 0, peek(UInt32.self, at: 4) == 0 {
            var inner = self
            if (try? inner.skip(8, or: .badActionBadLen)) != nil,
               let list = try? inner.actions(length: inner.remaining, depth: depth + 1) {
                return .clone(list)
            }
        }
        if exp == ExperimenterID.nicira, remaining == 24, peek(UInt16.self) == NiciraActionSubtype.multipath, let m = Multipath(peeking: self) {
            return .multipath(m)
        }
        if exp == ExperimenterID.nicira, remaining == 8, let subtype = peek(UInt16.self) {
            switch subtype {
            case NiciraActionSubtype.resubmit:
                if let port = peek(UInt16.self, at: 2) { return .resubmit(inPort: port, table: nil) }
            case NiciraActionSubtype.resubmitTable:
                // Typed only when the padding is zero, so the bytes re-encode unchanged.
                if let port = peek(UInt16.self, at: 2), let word = peek(UInt32.self, at: 4), word & 0x00ff_ffff == 0 {
                    return .resubmit(inPort: port, table: UInt8(word >> 24))
                }
            case NiciraActionSubtype.multipath:
                break
            case NiciraActionSubtype.outputTrunc:
                if let port = peek(UInt16.self, at: 2), let maxLen = peek(UInt32.self, at: 4) {
                    return .outputTruncated(port: port, maxLength: maxLen)
                }
            default:
                break
            }
        }
        return .experimenter(id: exp, body: rest())
    }
}

extension RawWriter {
    @inlinable
    mutating func actions(_ list: [Action]) {
        for a in list { action(a) }
    }

    @inlinable
    mutating func action(_ a: Action) {
        let len = UInt16(truncatingIfNeeded: a.wireLength)
        switch a {
        case .output(let port, let maxLen):
            write(ActionType.output.rawValue); write(len); write(port.rawValue); write(maxLen); zeros(6)
        case .copyTTLOut: actionHeader(.copyTTLOut, len); zeros(4)
        case .copyTTLIn: actionHeader(.copyTTLIn, len); zeros(4)
        case .decMPLSTTL: actionHeader(.decMPLSTTL, len); zeros(4)
        case .popVLAN: actionHeader(.popVLAN, len); zeros(4)
        case .decNWTTL: actionHeader(.decNWTTL, len); zeros(4)
        case .popPBB: actionHeader(.popPBB, len); zeros(4)
        case .setMPLSTTL(let t): actionHeader(.setMPLSTTL, len); write(t); zeros(3)
        case .setNWTTL(let t): actionHeader(.setNWTTL, len); write(t); zeros(3)
        case .pushVLAN(let e): actionHeader(.pushVLAN, len); write(e); zeros(2)
        case .pushMPLS(let e): actionHeader(.pushMPLS, len); write(e); zeros(2)
        case .popMPLS(let e): actionHeader(.popMPLS, len); write(e); zeros(2)
        case .pushPBB(let e): actionHeader(.pushPBB, len); write(e); zeros(2)
        case .setQueue(let q): actionHeader(.setQueue, len); write(q)
        case .group(let g): actionHeader(.group, len); write(g)
        case .setField(let f):
            actionHeader(.setField, len)
            oxmField(f)
            zeros(a.wireLength - 4 - f.wireLength)
        case .resubmit(let port, nil):
            nicira(NiciraActionSubtype.resubmit, len); write(port); zeros(4)
        case .resubmit(let port, let table?):
            nicira(NiciraActionSubtype.resubmitTable, len); write(port); write(table); zeros(3)
        case .outputTruncated(let port, let maxLen):
            nicira(NiciraActionSubtype.outputTrunc, len); write(port); write(maxLen)
        case .clone(let inner):
            nicira(NiciraActionSubtype.clone, len); zeros(6)
            actions(inner)
        case .multipath(let m):
            nicira(NiciraActionSubtype.multipath, len)
            write(m.fields.rawValue); write(m.basis); zeros(2)
            write(m.algorithm.rawValue); write(UInt16(truncatingIfNeeded: max(m.links, 1) - 1)); write(m.argument); zeros(2)
            write(UInt16(m.offset) << 6 | UInt16((m.bits &- 1) & 0x3f)); write(Multipath.registerHeader(m.register))
        case .experimenter(let id, let body):
            actionHeader(.experimenter, len); write(id); bytes(body)
        case .unknown(let type, let body):
            write(type); write(len); bytes(body)
        }
    }

    @inlinable mutating func actionHeader(_ t: ActionType, _ len: UInt16) {
        write(t.rawValue)
        write(len)
    }

    @inlinable mutating func nicira(_ subtype: UInt16, _ len: UInt16) {
        actionHeader(.experimenter, len)
        write(ExperimenterID.nicira)
        write(subtype)
    }
}

extension ByteBuffer {
    @inlinable
    mutating func readActions(length: Int) throws(ParseError) -> [Action] {
        try readRaw { (r) throws(ParseError) in try r.actions(length: length) }
    }

    @inlinable
    @discardableResult
    mutating func writeActions(_ actions: [Action]) -> Int {
        writeRaw(actions.reduce(0) { $0 + $1.wireLength }) { $0.actions(actions) }
    }
}
