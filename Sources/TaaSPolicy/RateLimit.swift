/// A cap on the copies toward a tap service or tap mirror, with Neutron QoS's names: bits per
/// second (with a burst) and packets per second. Enforced on the node that makes each copy, so
/// that the underlay and the tool are protected; the original traffic is never policed.
public struct RateLimit: Hashable, Sendable, Codable {
    /// kbit/s (nil: no bit rate limit).
    public var maxKbps: UInt32?
    /// kbit the bucket holds (nil: 80 % of `maxKbps`, Neutron's default).
    public var maxBurstKbps: UInt32?
    /// Thousands of packets per second (nil: no packet rate limit).
    public var maxKpps: UInt32?

    public init(maxKbps: UInt32? = nil, maxBurstKbps: UInt32? = nil, maxKpps: UInt32? = nil) {
        self.maxKbps = maxKbps; self.maxBurstKbps = maxBurstKbps; self.maxKpps = maxKpps
    }

    /// The burst the switch is given: as set, or 80 % of the rate (at least 1).
    public var burstKbits: UInt32? { maxKbps.map { maxBurstKbps ?? max(1, UInt32((UInt64($0) * 8) / 10)) } }

    /// Neutron QoS limits rates to a signed 32-bit integer.
    public static let range: ClosedRange<Int> = 1...2_147_483_647

    /// The attributes as a request gives them: nil not given, `.some(nil)` null (cleared).
    public struct Change: Sendable {
        public var maxKbps: Int??
        public var maxBurstKbps: Int??
        public var maxKpps: Int??
        public init(maxKbps: Int?? = nil, maxBurstKbps: Int?? = nil, maxKpps: Int?? = nil) {
            self.maxKbps = maxKbps; self.maxBurstKbps = maxBurstKbps; self.maxKpps = maxKpps
        }
        public var isEmpty: Bool { maxKbps == nil && maxBurstKbps == nil && maxKpps == nil }
    }

    /// `current` with `change` applied, checked (400 naming the field); nil: no limit at all.
    public static func applying(_ change: Change, to current: RateLimit?) throws(PolicyError) -> RateLimit? {
        func value(_ field: String, _ c: Int??, _ now: UInt32?, zero: Bool = false) throws(PolicyError) -> UInt32? {
            guard let c else { return now }
            guard let n = c else { return nil }
            guard (zero ? 0 : 1)...range.upperBound ~= n else {
                throw PolicyError(.badRequest, "InvalidInput",
                                  "Invalid input for \(field). Reason: \(n) is not from \(zero ? 0 : 1) to \(range.upperBound) (null: no limit).")
            }
            return UInt32(n)
        }
        var r = RateLimit(maxKbps: try value("max_kbps", change.maxKbps, current?.maxKbps),
                          maxBurstKbps: try value("max_burst_kbps", change.maxBurstKbps, current?.maxBurstKbps, zero: true),
                          maxKpps: try value("max_kpps", change.maxKpps, current?.maxKpps))
        if r.maxBurstKbps != nil && r.maxKbps == nil {
            guard change.maxBurstKbps != nil else { r.maxBurstKbps = nil; return r == RateLimit() ? nil : r }
            throw PolicyError(.badRequest, "InvalidInput", "Invalid input for max_burst_kbps. Reason: a burst needs max_kbps.")
        }
        return r == RateLimit() ? nil : r
    }
}
