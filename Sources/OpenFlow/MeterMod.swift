import NIOCore

/// A meter band (§7.3.4.4). Unknown band types keep their bytes.
public enum MeterBand: Hashable, Sendable {
    case drop(rate: UInt32, burstSize: UInt32)
    case dscpRemark(rate: UInt32, burstSize: UInt32, precedenceLevel: UInt8)
    /// `body` is every byte after the experimenter id.
    case experimenter(rate: UInt32, burstSize: UInt32, experimenter: UInt32, body: [UInt8])
    /// `body` is every byte after rate and burst size.
    case unknown(type: UInt16, rate: UInt32, burstSize: UInt32, body: [UInt8])

    var wireLength: Int {
        switch self {
        case .drop, .dscpRemark: 16
        case .experimenter(_, _, _, let body): 16 + body.count
        case .unknown(_, _, _, let body): 12 + body.count
        }
    }
}

extension ByteBuffer {
    mutating func readMeterBands(length: Int, error e: ErrorCode = .meterModFailedBadBand) throws(ParseError) -> [MeterBand] {
        var body = try slice(length, or: e)
        var bands: [MeterBand] = []
        while body.readableBytes > 0 {
            let type: UInt16 = try body.read(or: e)
            let len = Int(try body.read(UInt16.self, or: e))
            guard len >= 16, len % 8 == 0 else { throw ParseError(e, "meter band length") }
            var b = try body.slice(len - 4, or: e)
            let rate: UInt32 = try b.read(or: e)
            let burst: UInt32 = try b.read(or: e)
            switch type {
            case 1 where len == 16:
                bands.append(.drop(rate: rate, burstSize: burst))
            case 2 where len == 16:
                let prec: UInt8 = try b.read(or: e)
                bands.append(.dscpRemark(rate: rate, burstSize: burst, precedenceLevel: prec))
            case 0xffff:
                let exp: UInt32 = try b.read(or: e)
                bands.append(.experimenter(rate: rate, burstSize: burst, experimenter: exp, body: b.readBytes(length: b.readableBytes) ?? []))
            default:
                bands.append(.unknown(type: type, rate: rate, burstSize: burst, body: b.readBytes(length: b.readableBytes) ?? []))
            }
        }
        return bands
    }

    mutating func writeMeterBands(_ bands: [MeterBand]) -> Int {
        var n = 0
        for band in bands {
            let len = UInt16(truncatingIfNeeded: band.wireLength)
            switch band {
            case .drop(let rate, let burst):
                n += writeInteger(UInt16(1)) + writeInteger(len) + writeInteger(rate) + writeInteger(burst) + writeZeros(4)
            case .dscpRemark(let rate, let burst, let prec):
                n += writeInteger(UInt16(2)) + writeInteger(len) + writeInteger(rate) + writeInteger(burst)
                    + writeInteger(prec) + writeZeros(3)
            case .experimenter(let rate, let burst, let exp, let body):
                n += writeInteger(UInt16(0xffff)) + writeInteger(len) + writeInteger(rate) + writeInteger(burst)
                    + writeInteger(exp) + writeBytes(body)
            case .unknown(let type, let rate, let burst, let body):
                n += writeInteger(type) + writeInteger(len) + writeInteger(rate) + writeInteger(burst) + writeBytes(body)
            }
        }
        return n
    }
}

/// `OFPT_METER_MOD` (§7.3.4.4).
public struct MeterMod: Hashable, Sendable {
    public struct Command: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let add = Command(rawValue: 0)
        public static let modify = Command(rawValue: 1)
        public static let delete = Command(rawValue: 2)
    }

    /// `ofp_meter_flags`.
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let kbps = Flags(rawValue: 1)
        public static let pktps = Flags(rawValue: 2)
        public static let burst = Flags(rawValue: 4)
        public static let stats = Flags(rawValue: 8)
    }

    public var command: Command
    public var flags: Flags
    public var meterID: UInt32
    public var bands: [MeterBand]

    public init(command: Command, flags: Flags, meterID: UInt32, bands: [MeterBand] = []) {
        self.command = command
        self.flags = flags
        self.meterID = meterID
        self.bands = bands
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> MeterMod {
        let cmd: UInt16 = try b.read(or: .badRequestBadLen)
        let flags: UInt16 = try b.read(or: .badRequestBadLen)
        let id: UInt32 = try b.read(or: .badRequestBadLen)
        return MeterMod(command: Command(rawValue: cmd), flags: Flags(rawValue: flags), meterID: id,
                        bands: try b.readMeterBands(length: b.readableBytes))
    }

    func write(to b: inout ByteBuffer) -> Int {
        b.writeInteger(command.rawValue) + b.writeInteger(flags.rawValue) + b.writeInteger(meterID) + b.writeMeterBands(bands)
    }
}
