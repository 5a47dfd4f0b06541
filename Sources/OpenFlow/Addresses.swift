/// A 48-bit MAC address, stored in the low bits of a `UInt64` so it costs no allocation.
public struct EthernetAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt64

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue & 0xffff_ffff_ffff }

    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        self.init(rawValue: [b0, b1, b2, b3, b4, b5].reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (also `-` separated); nil if malformed.
    /// Six groups of one or two hex digits. Read byte by byte: the compiler parses a MAC for
    /// every port it programs.
    public init?(_ text: some StringProtocol) {
        self.init(utf8: text.utf8)
    }

    /// The same for a `String`, without going through `StringProtocol`'s witnesses.
    public init?(_ text: String) {
        self.init(utf8: text.utf8)
    }

    @inline(__always)
    init?(utf8: some Sequence<UInt8>) {
        var v: UInt64 = 0, group: UInt64 = 0, digits = 0, groups = 0
        for c in utf8 {
            switch c {
            case UInt8(ascii: ":"), UInt8(ascii: "-"):
                guard digits > 0, groups < 5 else { return nil }
                v = v << 8 | group
                groups += 1; group = 0; digits = 0
            default:
                let d: UInt64
                switch c {
                case 0x30...0x39: d = UInt64(c - 0x30)
                case 0x61...0x66: d = UInt64(c - 0x61 + 10)
                case 0x41...0x46: d = UInt64(c - 0x41 + 10)
                default: return nil
                }
                guard digits < 2 else { return nil }
                group = group << 4 | d
                digits += 1
            }
        }
        guard digits > 0, groups == 5 else { return nil }
        self.init(rawValue: v << 8 | group)
    }

    public static let broadcast = EthernetAddress(rawValue: 0xffff_ffff_ffff)
    public static let zero = EthernetAddress(rawValue: 0)

    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> (40 - 8 * $0)) } }
    public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }

    public var description: String {
        bytes.map { b in
            let s = String(b, radix: 16)
            return b < 16 ? "0" + s : s
        }.joined(separator: ":")
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// An IPv4 address in host order.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text; nil if malformed.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let b = UInt8(p) else { return nil }
            v = v << 8 | UInt32(b)
        }
        rawValue = v
    }

    public var description: String {
        "\(rawValue >> 24).\(rawValue >> 16 & 0xff).\(rawValue >> 8 & 0xff).\(rawValue & 0xff)"
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// `ofp_port_no`: a 32-bit port number with the spec's reserved ports (§7.2.1).
public struct PortNumber: RawRepresentable, Hashable, Sendable, Comparable, ExpressibleByIntegerLiteral {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt32) { self.rawValue = value }
    @inlinable public init(integerLiteral value: UInt32) { self.rawValue = value }

    /// Maximum number of physical and logical switch ports.
    public static let max = PortNumber(0xffff_ff00)
    public static let inPort = PortNumber(0xffff_fff8)
    public static let table = PortNumber(0xffff_fff9)
    public static let normal = PortNumber(0xffff_fffa)
    public static let flood = PortNumber(0xffff_fffb)
    public static let all = PortNumber(0xffff_fffc)
    public static let controller = PortNumber(0xffff_fffd)
    public static let local = PortNumber(0xffff_fffe)
    /// `OFPP_ANY`: "no port" in requests and wildcards.
    public static let any = PortNumber(0xffff_ffff)

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Reserved identifiers used across messages.
public enum Reserved {
    /// `OFPG_ALL`: all groups, in group delete and stats requests.
    public static let groupAll: UInt32 = 0xffff_fffc
    /// `OFPG_ANY`: wildcard group in flow requests.
    public static let groupAny: UInt32 = 0xffff_ffff
    /// `OFPG_MAX`: last usable group number.
    public static let groupMax: UInt32 = 0xffff_ff00
    /// `OFPM_ALL`: all meters.
    public static let meterAll: UInt32 = 0xffff_ffff
    /// `OFPM_MAX`: last usable meter number.
    public static let meterMax: UInt32 = 0xffff_0000
    /// `OFPM_SLOWPATH` and `OFPM_CONTROLLER`: virtual meters.
    public static let meterSlowpath: UInt32 = 0xffff_fffd
    public static let meterController: UInt32 = 0xffff_fffe
    /// `OFPTT_ALL`: every table, in flow deletes and stats requests.
    public static let tableAll: UInt8 = 0xff
    /// `OFPTT_MAX`: last usable table number.
    public static let tableMax: UInt8 = 0xfe
    /// `OFP_NO_BUFFER`: the packet is not buffered in the switch.
    public static let noBuffer: UInt32 = 0xffff_ffff
    /// `OFPQ_ALL`: every queue.
    public static let queueAll: UInt32 = 0xffff_ffff
    /// `OFPCML_NO_BUFFER`: send the whole packet to the controller.
    public static let controllerMaxLenNoBuffer: UInt16 = 0xffff
}
