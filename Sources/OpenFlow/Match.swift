import NIOCore

/// `ofp_match` of type `OFPMT_OXM` (§7.2.3): a list of OXM TLVs, padded to 8 bytes.
public struct Match: Hashable, Sendable, ExpressibleByArrayLiteral {
    public var fields: [OXMField]

    @inlinable public init(_ fields: [OXMField] = []) { self.fields = fields }
    @inlinable public init(arrayLiteral elements: OXMField...) { fields = elements }

    public static let all = Match()

    public subscript(id: OXMFieldID) -> OXMField? { fields.first { $0.id == id } }

    /// Bytes on the wire including the trailing padding.
    @inlinable public var wireLength: Int { paddedTo8(unpaddedLength) }
    @inlinable var unpaddedLength: Int {
        var n = 4
        for f in fields { n += f.wireLength }
        return n
    }

    /// Checks what a switch checks before accepting the match: duplicate fields,
    /// masks on unmaskable fields, value bits outside the mask, and prerequisites.
    public func validate() throws(ParseError) {
        for (i, f) in fields.enumerated() {
            if fields[..<i].contains(where: { $0.id == f.id }) {
                throw ParseError(.badMatchDupField, "duplicate field")
            }
            guard let info = f.id.info else { continue }
            if let mask = f.mask {
                if f.value.and(mask) != f.value { throw ParseError(.badMatchBadWildcards, "value has bits outside mask") }
                // An all-ones mask is an exact match, which Open vSwitch accepts on any field.
                guard info.maskable || mask.isAllOnes else { throw ParseError(.badMatchBadMask, "field is not maskable") }
            }
            try checkPrerequisite(info.prerequisite)
        }
    }

    private func exact(_ id: OXMFieldID) -> UInt64? {
        guard let f = self[id], f.mask == nil || f.mask?.isAllOnes == true else { return nil }
        return f.value.integer
    }

    private func checkPrerequisite(_ p: OXMPrerequisite) throws(ParseError) {
        let ok: Bool
        switch p {
        case .none: ok = true
        case .inPort: ok = self[.inPort] != nil
        case .vlanPresent:
            // VLAN_VID must be present and not OFPVID_NONE: the PRESENT bit set in value and mask.
            if let f = self[.vlanVID] { ok = f.value.integer & 0x1000 != 0 } else { ok = false }
        case .ethType(let types):
            ok = exact(.ethType).map { types.contains(UInt16(truncatingIfNeeded: $0)) } ?? false
        case .ipProto(let proto):
            // ICMPv4 lives in IPv4 only and ICMPv6 in IPv6 only; TCP, UDP and SCTP in either.
            let types: [UInt64] = proto == 58 ? [0x86dd] : proto == 1 ? [0x0800] : [0x0800, 0x86dd]
            ok = exact(.ipProto) == UInt64(proto) && exact(.ethType).map(types.contains) == true
        case .icmpv6Type(let types):
            ok = exact(.icmpv6Type).map { types.contains(UInt8(truncatingIfNeeded: $0)) } == true
                && exact(.ipProto) == 58 && exact(.ethType) == 0x86dd
        }
        if !ok { throw ParseError(.badMatchBadPrereq, "missing prerequisite") }
    }
}

extension RawReader {
    /// Reads an `ofp_match` and its padding. Structural checks only; see `Match.validate()`.
    @inlinable
    mutating func match() throws(ParseError) -> Match {
        let type = try read(UInt16.self, or: .badMatchBadLen)
        let length = Int(try read(UInt16.self, or: .badMatchBadLen))
        guard type == 1 else { throw ParseError(.badMatchBadType, "match type is not OXM") }
        guard length >= 4 else { throw ParseError(.badMatchBadLen, "match length below 4") }
        var body = try sub(length - 4, or: .badMatchBadLen)
        try skip(paddedTo8(length) - length, or: .badMatchBadLen)
        var fields: [OXMField] = []
        fields.reserveCapacity(4)
        while body.remaining > 0 {
            fields.append(try body.oxmField(lengthError: .badMatchBadLen))
        }
        return Match(fields)
    }
}

extension RawWriter {
    @inlinable
    mutating func match(_ m: Match) {
        let length = m.unpaddedLength
        write(UInt16(1))
        write(UInt16(truncatingIfNeeded: length))
        for f in m.fields { oxmField(f) }
        zeros(paddedTo8(length) - length)
    }
}

extension ByteBuffer {
    @inlinable
    mutating func readMatch() throws(ParseError) -> Match {
        try readRaw { (r) throws(ParseError) in try r.match() }
    }

    @inlinable
    @discardableResult
    mutating func writeMatch(_ m: Match) -> Int {
        writeRaw(m.wireLength) { $0.match(m) }
    }
}

extension Match {
    /// Fields in one order, so that matches compare equal however they were built or read back.
    public var normalized: Match {
        var m = self
        Self.normalize(&m.fields)
        return m
    }

    /// Puts fields in the normalized order in place: by header, then value. Insertion sort,
    /// since matches hold a handful of fields.
    public static func normalize(_ fields: inout [OXMField]) {
        guard fields.count > 1 else { return }
        for i in 1..<fields.count {
            var j = i
            while j > 0 && precedes(fields[j], fields[j - 1]) {
                fields.swapAt(j, j - 1)
                j -= 1
            }
        }
    }

    static func precedes(_ a: OXMField, _ b: OXMField) -> Bool {
        let ha = a.header, hb = b.header
        return ha != hb ? ha < hb : a.value.precedes(b.value)
    }
}
