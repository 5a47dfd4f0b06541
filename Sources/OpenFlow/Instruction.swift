import NIOCore

/// `ofp_instruction_type`, an open set.
public struct InstructionType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let gotoTable = InstructionType(rawValue: 1)
    public static let writeMetadata = InstructionType(rawValue: 2)
    public static let writeActions = InstructionType(rawValue: 3)
    public static let applyActions = InstructionType(rawValue: 4)
    public static let clearActions = InstructionType(rawValue: 5)
    public static let meter = InstructionType(rawValue: 6)
    public static let experimenter = InstructionType(rawValue: 0xffff)
}

/// An OpenFlow 1.3 instruction (§7.2.4). Unknown ones keep their bytes.
public enum Instruction: Hashable, Sendable {
    case gotoTable(UInt8)
    case writeMetadata(UInt64, mask: UInt64)
    case writeActions([Action])
    case applyActions([Action])
    case clearActions
    case meter(UInt32)
    /// `body` is every byte after the experimenter id.
    case experimenter(id: UInt32, body: [UInt8])
    /// `body` is every byte after type and length.
    case unknown(type: UInt16, body: [UInt8])

    @inlinable public var wireLength: Int {
        switch self {
        case .gotoTable, .clearActions, .meter: 8
        case .writeMetadata: 24
        case .writeActions(let a), .applyActions(let a): 8 + a.reduce(0) { $0 + $1.wireLength }
        case .experimenter(_, let body): 8 + body.count
        case .unknown(_, let body): 4 + body.count
        }
    }
}

extension RawReader {
    @inlinable
    mutating func instructions(length: Int) throws(ParseError) -> [Instruction] {
        var body = try sub(length, or: .badInstructionBadLen)
        var list: [Instruction] = []
        list.reserveCapacity(2)
        while body.remaining > 0 {
            list.append(try body.instruction())
        }
        return list
    }

    @inlinable
    mutating func instruction() throws(ParseError) -> Instruction {
        let e = ErrorCode.badInstructionBadLen
        let type = try read(UInt16.self, or: e)
        let length = Int(try read(UInt16.self, or: e))
        guard length >= 8, length % 8 == 0 else { throw ParseError(e, "instruction length not a positive multiple of 8") }
        var b = try sub(length - 4, or: e)
        func fixed(_ expected: Int) throws(ParseError) {
            guard length == expected else { throw ParseError(e, "wrong instruction length") }
        }
        switch InstructionType(rawValue: type) {
        case .gotoTable:
            try fixed(8)
            return .gotoTable(try b.read(or: e))
        case .writeMetadata:
            try fixed(24)
            try b.skip(4, or: e)
            let v: UInt64 = try b.read(or: e)
            return .writeMetadata(v, mask: try b.read(or: e))
        case .writeActions:
            try b.skip(4, or: e)
            return .writeActions(try b.actions(length: b.remaining))
        case .applyActions:
            try b.skip(4, or: e)
            return .applyActions(try b.actions(length: b.remaining))
        case .clearActions:
            try fixed(8)
            return .clearActions
        case .meter:
            try fixed(8)
            return .meter(try b.read(or: e))
        case .experimenter:
            let exp: UInt32 = try b.read(or: e)
            return .experimenter(id: exp, body: b.rest())
        default:
            return .unknown(type: type, body: b.rest())
        }
    }
}

extension RawWriter {
    @inlinable
    mutating func instructions(_ list: [Instruction]) {
        for i in list { instruction(i) }
    }

    @inlinable
    mutating func instruction(_ i: Instruction) {
        let len = UInt16(truncatingIfNeeded: i.wireLength)
        switch i {
        case .gotoTable(let t): instructionHeader(.gotoTable, len); write(t); zeros(3)
        case .writeMetadata(let v, let m): instructionHeader(.writeMetadata, len); zeros(4); write(v); write(m)
        case .writeActions(let a): instructionHeader(.writeActions, len); zeros(4); actions(a)
        case .applyActions(let a): instructionHeader(.applyActions, len); zeros(4); actions(a)
        case .clearActions: instructionHeader(.clearActions, len); zeros(4)
        case .meter(let m): instructionHeader(.meter, len); write(m)
        case .experimenter(let id, let body): instructionHeader(.experimenter, len); write(id); bytes(body)
        case .unknown(let type, let body): write(type); write(len); bytes(body)
        }
    }

    @inlinable mutating func instructionHeader(_ t: InstructionType, _ len: UInt16) {
        write(t.rawValue)
        write(len)
    }
}

extension ByteBuffer {
    @inlinable
    mutating func readInstructions(length: Int) throws(ParseError) -> [Instruction] {
        try readRaw { (r) throws(ParseError) in try r.instructions(length: length) }
    }

    @inlinable
    @discardableResult
    mutating func writeInstructions(_ list: [Instruction]) -> Int {
        writeRaw(list.reduce(0) { $0 + $1.wireLength }) { $0.instructions(list) }
    }
}
