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

extension ByteBuffer {
    @inlinable
    mutating func readInstructions(length: Int) throws(ParseError) -> [Instruction] {
        var body = try slice(length, or: .badInstructionBadLen)
        var list: [Instruction] = []
        list.reserveCapacity(2)
        while body.readableBytes > 0 {
            list.append(try body.readInstruction())
        }
        return list
    }

    @inlinable
    mutating func readInstruction() throws(ParseError) -> Instruction {
        let type = try read(UInt16.self, or: .badInstructionBadLen)
        let length = Int(try read(UInt16.self, or: .badInstructionBadLen))
        guard length >= 8, length % 8 == 0 else {
            throw ParseError(.badInstructionBadLen, "instruction length not a positive multiple of 8")
        }
        var b = try slice(length - 4, or: .badInstructionBadLen)
        func fixed(_ expected: Int) throws(ParseError) {
            guard length == expected else { throw ParseError(.badInstructionBadLen, "wrong instruction length") }
        }
        switch InstructionType(rawValue: type) {
        case .gotoTable:
            try fixed(8)
            let t: UInt8 = try b.read(or: .badInstructionBadLen)
            return .gotoTable(t)
        case .writeMetadata:
            try fixed(24)
            try b.skip(4, or: .badInstructionBadLen)
            let v: UInt64 = try b.read(or: .badInstructionBadLen)
            let m: UInt64 = try b.read(or: .badInstructionBadLen)
            return .writeMetadata(v, mask: m)
        case .writeActions, .applyActions:
            try b.skip(4, or: .badInstructionBadLen)
            let actions = try b.readActions(length: b.readableBytes)
            return type == InstructionType.writeActions.rawValue ? .writeActions(actions) : .applyActions(actions)
        case .clearActions:
            try fixed(8)
            return .clearActions
        case .meter:
            try fixed(8)
            return .meter(try b.read(or: .badInstructionBadLen))
        case .experimenter:
            let exp: UInt32 = try b.read(or: .badInstructionBadLen)
            return .experimenter(id: exp, body: b.readBytes(length: b.readableBytes) ?? [])
        default:
            return .unknown(type: type, body: b.readBytes(length: b.readableBytes) ?? [])
        }
    }

    @inlinable
    @discardableResult
    mutating func writeInstructions(_ list: [Instruction]) -> Int {
        var n = 0
        for i in list { n += writeInstruction(i) }
        return n
    }

    @inlinable
    @discardableResult
    mutating func writeInstruction(_ i: Instruction) -> Int {
        let len = UInt16(truncatingIfNeeded: i.wireLength)
        func head(_ t: InstructionType) -> Int { writeInteger(t.rawValue) + writeInteger(len) }
        switch i {
        case .gotoTable(let t): return head(.gotoTable) + writeInteger(t) + writeZeros(3)
        case .writeMetadata(let v, let m): return head(.writeMetadata) + writeZeros(4) + writeInteger(v) + writeInteger(m)
        case .writeActions(let a): return head(.writeActions) + writeZeros(4) + writeActions(a)
        case .applyActions(let a): return head(.applyActions) + writeZeros(4) + writeActions(a)
        case .clearActions: return head(.clearActions) + writeZeros(4)
        case .meter(let m): return head(.meter) + writeInteger(m)
        case .experimenter(let id, let body): return head(.experimenter) + writeInteger(id) + writeBytes(body)
        case .unknown(let type, let body): return writeInteger(type) + writeInteger(len) + writeBytes(body)
        }
    }
}
