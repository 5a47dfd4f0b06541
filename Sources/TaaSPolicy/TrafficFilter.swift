/// A tap flow's traffic filter: which frames it copies, by L3/L4 header, with the attribute
/// names OpenStack already uses for traffic classification (networking-sfc's flow classifier,
/// security group rules). A frame is copied when it matches every given field; a tap flow
/// without a filter copies every frame.
public struct TrafficFilter: Hashable, Sendable, Codable {
    public enum EtherType: String, Hashable, Sendable, Codable, CaseIterable {
        case ipv4 = "IPv4"
        case ipv6 = "IPv6"
    }

    /// Inclusive, within 0–65535.
    public struct PortRange: Hashable, Sendable, Codable {
        public var min: UInt16
        public var max: UInt16
        public init(min: UInt16, max: UInt16) { self.min = min; self.max = max }
        /// Every port: no match needed.
        public var isEverything: Bool { min == 0 && max == 65535 }
    }

    /// nil: IPv4 and IPv6 (set from a prefix's family when one is given).
    public var ethertype: EtherType?
    /// As stored and shown: a lower-case name or a decimal number (nil: any protocol).
    public var `protocol`: String?
    public var sourceIPPrefix: IPPrefix?
    public var destinationIPPrefix: IPPrefix?
    public var sourcePorts: PortRange?
    public var destinationPorts: PortRange?

    public init(ethertype: EtherType? = nil, protocol: String? = nil, sourceIPPrefix: IPPrefix? = nil, destinationIPPrefix: IPPrefix? = nil,
                sourcePorts: PortRange? = nil, destinationPorts: PortRange? = nil) {
        self.ethertype = ethertype; self.protocol = `protocol`; self.sourceIPPrefix = sourceIPPrefix
        self.destinationIPPrefix = destinationIPPrefix; self.sourcePorts = sourcePorts; self.destinationPorts = destinationPorts
    }

    /// The IP protocol number (nil: any).
    public var protocolNumber: UInt8? { `protocol`.flatMap(Self.number) }

    /// One line naming every given field: the filter's identity in flows and labels.
    public var text: String {
        var parts: [String] = []
        if let ethertype { parts.append(ethertype.rawValue) }
        if let p = `protocol` { parts.append(p) }
        if let s = sourceIPPrefix { parts.append("src=\(s.text)") }
        if let d = destinationIPPrefix { parts.append("dst=\(d.text)") }
        if let r = sourcePorts { parts.append("sport=\(r.min)-\(r.max)") }
        if let r = destinationPorts { parts.append("dport=\(r.min)-\(r.max)") }
        return parts.joined(separator: ",")
    }

    /// The attributes as an API request gives them (nil: not given).
    public struct Request: Sendable {
        public var ethertype, `protocol`, sourceIPPrefix, destinationIPPrefix: String?
        public var sourcePortMin, sourcePortMax, destinationPortMin, destinationPortMax: Int?
        public init(ethertype: String? = nil, protocol: String? = nil, sourceIPPrefix: String? = nil, destinationIPPrefix: String? = nil,
                    sourcePortMin: Int? = nil, sourcePortMax: Int? = nil, destinationPortMin: Int? = nil, destinationPortMax: Int? = nil) {
            self.ethertype = ethertype; self.protocol = `protocol`; self.sourceIPPrefix = sourceIPPrefix
            self.destinationIPPrefix = destinationIPPrefix; self.sourcePortMin = sourcePortMin; self.sourcePortMax = sourcePortMax
            self.destinationPortMin = destinationPortMin; self.destinationPortMax = destinationPortMax
        }
    }

    /// Checks a request the way Neutron checks security group rules and flow classifiers, with
    /// a 400 naming the field; nil when no field is given (copy everything).
    public static func make(_ r: Request) throws(PolicyError) -> TrafficFilter? {
        func bad(_ field: String, _ reason: String) -> PolicyError {
            PolicyError(.badRequest, "InvalidInput", "Invalid input for \(field). Reason: \(reason).")
        }
        var f = TrafficFilter()
        if let e = r.ethertype {
            guard let t = EtherType.allCases.first(where: { $0.rawValue.lowercased() == e.lowercased() }) else {
                throw bad("ethertype", "'\(e)' is not IPv4 or IPv6")
            }
            f.ethertype = t
        }
        for (field, text) in [("source_ip_prefix", r.sourceIPPrefix), ("destination_ip_prefix", r.destinationIPPrefix)] {
            guard let text else { continue }
            guard let prefix = IPPrefix(text) else { throw bad(field, "'\(text)' is not an IPv4 or IPv6 address or CIDR prefix") }
            let family: EtherType = prefix.isIPv6 ? .ipv6 : .ipv4
            if let t = f.ethertype, t != family {
                throw bad(field, "\(family.rawValue) prefix '\(text)' conflicts with ethertype \(t.rawValue)")
            }
            f.ethertype = family
            if field == "source_ip_prefix" { f.sourceIPPrefix = prefix } else { f.destinationIPPrefix = prefix }
        }
        if let p = r.protocol, p.lowercased() != "any" {
            let name = p.lowercased()
            guard let n = number(name) else { throw bad("protocol", "'\(p)' is not a protocol name or a number from 0 to 255") }
            // As Neutron does: ICMP with IPv6 means ICMPv6; IPv6-only protocols need IPv6.
            if f.ethertype == .ipv6 && (n == 1 || name == "icmpv6") {
                f.protocol = "ipv6-icmp"
            } else if f.ethertype == .ipv4 && ipv6Only.contains(n) {
                throw bad("protocol", "'\(p)' is an IPv6 protocol and ethertype is IPv4")
            } else {
                f.protocol = UInt8(name) != nil ? String(n) : name
            }
        }
        func range(_ field: String, _ low: Int?, _ high: Int?) throws(PolicyError) -> PortRange? {
            guard low != nil || high != nil else { return nil }
            for (name, v) in [(field + "_min", low), (field + "_max", high)] {
                guard let v else { continue }
                guard (0...65535).contains(v) else { throw bad(name, "\(v) is not a port from 0 to 65535") }
                guard let n = f.protocolNumber, withPorts.contains(n) else {
                    throw bad(name, "ports need protocol tcp, udp or sctp")
                }
            }
            let a = low ?? 0, b = high ?? 65535
            guard a <= b else { throw bad(field + "_max", "\(b) is below \(field)_min \(a)") }
            return PortRange(min: UInt16(a), max: UInt16(b))
        }
        f.sourcePorts = try range("source_port_range", r.sourcePortMin, r.sourcePortMax)
        f.destinationPorts = try range("destination_port_range", r.destinationPortMin, r.destinationPortMax)
        return f == TrafficFilter() ? nil : f
    }

    /// Protocols whose ports a switch can match.
    public static let withPorts: Set<UInt8> = [6, 17, 132]
    static let ipv6Only: Set<UInt8> = [41, 43, 44, 58, 59, 60]

    /// Neutron's protocol names (neutron-lib's IP_PROTOCOL_MAP) and their numbers.
    static let names: [String: UInt8] = [
        "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2, "ip": 0, "ipip": 4,
        "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43,
        "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
    ]

    static func number(_ text: String) -> UInt8? {
        if let n = names[text] { return n }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(text), (0...255).contains(v) else { return nil }
        return UInt8(v)
    }
}

/// An IPv4 or IPv6 prefix (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a whole-length
/// prefix). Host bits are kept as given, as Neutron keeps them; `network` clears them.
public struct IPPrefix: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The address as given, then `/length`.
    public let text: String
    public let isIPv6: Bool
    public let length: Int
    /// The address: IPv4 in the low 32 bits of `lo`; IPv6 as two 64-bit halves.
    public let hi: UInt64, lo: UInt64

    public init?(_ given: String) {
        let parts = given.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return nil }
        let address = String(parts[0])
        if IPAddressText.isIPv4(address), let v = IPAddressText.ipv4Value(address) {
            isIPv6 = false; hi = 0; lo = UInt64(v)
        } else if IPAddressText.isIPv6(address), let (h, l) = IPAddressText.ipv6Value(address) {
            isIPv6 = true; hi = h; lo = l
        } else {
            return nil
        }
        let bits = isIPv6 ? 128 : 32
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(parts[1]), n <= bits else { return nil }
            length = n
        } else {
            length = bits
        }
        text = "\(address.lowercased())/\(length)"
    }

    public var description: String { text }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let p = IPPrefix(s) else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad prefix \(s)")) }
        self = p
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }

    /// The prefix's mask as (hi, lo) words, in the address's width.
    public var mask: (hi: UInt64, lo: UInt64) {
        if !isIPv6 { return (0, length == 0 ? 0 : (0xffff_ffff << UInt64(32 - length)) & 0xffff_ffff) }
        func word(_ n: Int) -> UInt64 { n <= 0 ? 0 : n >= 64 ? .max : ~(UInt64.max >> UInt64(n)) }
        return (word(length), word(length - 64))
    }

    /// The address with its host bits cleared (what a switch can match).
    public var network: (hi: UInt64, lo: UInt64) { (hi & mask.hi, lo & mask.lo) }
}
