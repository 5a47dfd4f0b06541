import NIOCore

/// `OFPT_HELLO` with its elements (§7.5.1).
public struct Hello: Hashable, Sendable {
    public var elements: [Element]

    public init(elements: [Element] = []) { self.elements = elements }

    /// A HELLO advertising exactly the given versions in a version bitmap.
    public static func supporting(_ versions: [UInt8]) -> Hello {
        var words: [UInt32] = []
        for v in versions {
            let word = Int(v) / 32
            while words.count <= word { words.append(0) }
            words[word] |= 1 << UInt32(v % 32)
        }
        return Hello(elements: [.versionBitmap(words)])
    }

    /// Versions in the first version bitmap element, or nil when there is none.
    public var advertisedVersions: [UInt8]? {
        for case .versionBitmap(let words) in elements {
            var out: [UInt8] = []
            for (i, w) in words.enumerated() where i < 8 {
                for bit in 0..<32 where w & (1 << UInt32(bit)) != 0 { out.append(UInt8(i * 32 + bit)) }
            }
            return out
        }
        return nil
    }

    public enum Element: Hashable, Sendable {
        /// `OFPHET_VERSIONBITMAP`: bit n of word n/32 set means version n is supported.
        case versionBitmap([UInt32])
        /// Any other element: its type and the bytes between the 4-byte header and the padding.
        case unknown(type: UInt16, body: [UInt8])
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> Hello {
        var elements: [Element] = []
        // Elements are optional: a bare 8-byte HELLO is valid, and trailing bytes shorter
        // than an element header are ignored, as the spec asks of unknown content.
        while b.readableBytes >= 4 {
            let type = try b.read(UInt16.self, or: .badRequestBadLen)
            let length = Int(try b.read(UInt16.self, or: .badRequestBadLen))
            guard length >= 4 else { throw ParseError(.badRequestBadLen, "hello element length below 4") }
            var body = try b.slice(length - 4, or: .badRequestBadLen)
            // The last element's padding may be missing; tolerate it.
            b.moveReaderIndex(forwardBy: min(paddedTo8(length) - length, b.readableBytes))
            if type == 1 {
                guard body.readableBytes % 4 == 0 else { throw ParseError(.badRequestBadLen, "version bitmap not whole words") }
                var words: [UInt32] = []
                while let w = body.readInteger(as: UInt32.self) { words.append(w) }
                elements.append(.versionBitmap(words))
            } else {
                elements.append(.unknown(type: type, body: body.readBytes(length: body.readableBytes) ?? []))
            }
        }
        b.moveReaderIndex(forwardBy: b.readableBytes)
        return Hello(elements: elements)
    }

    func write(to b: inout ByteBuffer) -> Int {
        var n = 0
        for e in elements {
            let body: Int
            let type: UInt16
            switch e {
            case .versionBitmap(let w): type = 1; body = w.count * 4
            case .unknown(let t, let bytes): type = t; body = bytes.count
            }
            n += b.writeInteger(type) + b.writeInteger(UInt16(truncatingIfNeeded: 4 + body))
            switch e {
            case .versionBitmap(let words): for w in words { n += b.writeInteger(w) }
            case .unknown(_, let bytes): n += b.writeBytes(bytes)
            }
            n += b.writeZeros(paddedTo8(4 + body) - (4 + body))
        }
        return n
    }
}

/// `OFPT_ERROR` (§7.4.4). For `OFPET_EXPERIMENTER`, `code.code` holds `exp_type` and
/// `experimenter` the experimenter id.
public struct ErrorMessage: Hashable, Sendable, Error {
    public var code: ErrorCode
    public var experimenter: UInt32?
    /// Usually the first bytes of the offending request.
    public var data: [UInt8]

    public init(code: ErrorCode, experimenter: UInt32? = nil, data: [UInt8] = []) {
        self.code = code
        self.experimenter = experimenter
        self.data = data
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> ErrorMessage {
        let type = ErrorType(rawValue: try b.read(or: .badRequestBadLen))
        let code: UInt16 = try b.read(or: .badRequestBadLen)
        var exp: UInt32? = nil
        if type == .experimenter { exp = try b.read(UInt32.self, or: .badRequestBadLen) }
        return ErrorMessage(code: ErrorCode(type, code), experimenter: exp, data: b.readBytes(length: b.readableBytes) ?? [])
    }

    func write(to b: inout ByteBuffer) -> Int {
        var n = b.writeInteger(code.type.rawValue) + b.writeInteger(code.code)
        if code.type == .experimenter { n += b.writeInteger(experimenter ?? 0) }
        return n + b.writeBytes(data)
    }
}

/// `OFPT_EXPERIMENTER` (§7.5.4) that is not one of the extensions decoded into typed cases.
public struct ExperimenterMessage: Hashable, Sendable {
    public var experimenter: UInt32
    public var expType: UInt32
    public var data: [UInt8]

    public init(experimenter: UInt32, expType: UInt32, data: [UInt8] = []) {
        self.experimenter = experimenter
        self.expType = expType
        self.data = data
    }
}
