/// The settings of Nicira's `multipath` action (`NXAST_MULTIPATH`), limited to what it is used
/// for here: the link number goes into bits of a register. Values outside the known fields and
/// algorithms are not typed (the action then keeps its bytes as an experimenter action).
public struct Multipath: Hashable, Sendable {
    /// What is hashed (`NX_HASH_FIELDS_*`).
    public enum Fields: UInt16, Sendable, CaseIterable {
        case ethSrc = 0, symmetricL4 = 1, symmetricL3L4 = 2, symmetricL3L4UDP = 3, nwSrc = 4, nwDst = 5, symmetricL3 = 6

        /// The name `ovs-ofctl` uses.
        public var name: String {
            switch self {
            case .ethSrc: "eth_src"
            case .symmetricL4: "symmetric_l4"
            case .symmetricL3L4: "symmetric_l3l4"
            case .symmetricL3L4UDP: "symmetric_l3l4+udp"
            case .nwSrc: "nw_src"
            case .nwDst: "nw_dst"
            case .symmetricL3: "symmetric_l3"
            }
        }
    }

    /// How the hash picks a link (`NX_MP_ALG_*`).
    public enum Algorithm: UInt16, Sendable, CaseIterable {
        case moduloN = 0, hashThreshold = 1, hrw = 2, iterHash = 3

        public var name: String {
            switch self {
            case .moduloN: "modulo_n"
            case .hashThreshold: "hash_threshold"
            case .hrw: "hrw"
            case .iterHash: "iter_hash"
            }
        }
    }

    public var fields: Fields
    public var basis: UInt16
    public var algorithm: Algorithm
    /// How many links (1–65536; on the wire as the largest link number).
    public var links: Int
    public var argument: UInt32
    /// reg0–reg15.
    public var register: UInt8
    public var offset: UInt8
    public var bits: UInt8

    public init(fields: Fields, basis: UInt16, algorithm: Algorithm, links: Int, argument: UInt32 = 0, register: UInt8,
                offset: UInt8 = 0, bits: UInt8) {
        self.fields = fields; self.basis = basis; self.algorithm = algorithm; self.links = links; self.argument = argument
        self.register = register; self.offset = offset; self.bits = bits
    }

    /// The NXM header of `NXM_NX_REGn` (class 1, field n, 4 bytes).
    public static func registerHeader(_ n: UInt8) -> UInt32 { 0x0001_0000 | UInt32(n) << 9 | 4 }

    /// Reads the 24 bytes after the experimenter id; nil unless every part is one this type
    /// holds (known fields and algorithm, zero padding, a register destination within it).
    @usableFromInline init?(peeking r: RawReader) {
        guard let fieldsRaw = r.peek(UInt16.self, at: 2), let fields = Fields(rawValue: fieldsRaw),
              let basis = r.peek(UInt16.self, at: 4), r.peek(UInt16.self, at: 6) == 0,
              let algorithmRaw = r.peek(UInt16.self, at: 8), let algorithm = Algorithm(rawValue: algorithmRaw),
              let maxLink = r.peek(UInt16.self, at: 10), let argument = r.peek(UInt32.self, at: 12), r.peek(UInt16.self, at: 16) == 0,
              let ofsNbits = r.peek(UInt16.self, at: 18), let header = r.peek(UInt32.self, at: 20) else { return nil }
        let register = (header >> 9) & 0x7f
        guard register < 16, header == Self.registerHeader(UInt8(register)) else { return nil }
        let offset = Int(ofsNbits >> 6), bits = Int(ofsNbits & 0x3f) + 1
        guard offset + bits <= 32 else { return nil }
        self.init(fields: fields, basis: basis, algorithm: algorithm, links: Int(maxLink) + 1, argument: argument,
                  register: UInt8(register), offset: UInt8(offset), bits: UInt8(bits))
    }
}
