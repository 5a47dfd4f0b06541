import NIOCore

/// `ofp_table_features` (§7.3.5.5).
public struct TableFeatures: Hashable, Sendable {
    public var tableID: UInt8
    public var name: String
    public var metadataMatch: UInt64
    public var metadataWrite: UInt64
    public var config: UInt32
    public var maxEntries: UInt32
    public var properties: [TableFeatureProperty]

    public init(tableID: UInt8, name: String, metadataMatch: UInt64 = 0, metadataWrite: UInt64 = 0, config: UInt32 = 0,
                maxEntries: UInt32 = 0, properties: [TableFeatureProperty] = []) {
        self.tableID = tableID
        self.name = name
        self.metadataMatch = metadataMatch
        self.metadataWrite = metadataWrite
        self.config = config
        self.maxEntries = maxEntries
        self.properties = properties
    }

    static func read(from body: inout ByteBuffer) throws(ParseError) -> TableFeatures {
        let e = ErrorCode.tableFeaturesFailedBadLen
        let len = Int(try body.read(UInt16.self, or: e))
        guard len >= 64 else { throw ParseError(e, "table features length below 64") }
        var b = try body.slice(len - 2, or: e)
        let table: UInt8 = try b.read(or: e)
        try b.skip(5, or: e)
        let name = try b.fixedString(32, or: e)
        let mm: UInt64 = try b.read(or: e)
        let mw: UInt64 = try b.read(or: e)
        let config: UInt32 = try b.read(or: e)
        let max: UInt32 = try b.read(or: e)
        var props: [TableFeatureProperty] = []
        while b.readableBytes > 0 { props.append(try TableFeatureProperty.read(from: &b)) }
        return TableFeatures(tableID: table, name: name, metadataMatch: mm, metadataWrite: mw, config: config, maxEntries: max,
                             properties: props)
    }

    var wireLength: Int { 64 + properties.reduce(0) { $0 + paddedTo8($1.unpaddedLength) } }

    func write(to b: inout ByteBuffer) -> Int {
        var n = b.writeInteger(UInt16(truncatingIfNeeded: wireLength)) + b.writeInteger(tableID) + b.writeZeros(5)
        n += b.writeFixedString(name, 32) + b.writeInteger(metadataMatch) + b.writeInteger(metadataWrite)
        n += b.writeInteger(config) + b.writeInteger(maxEntries)
        for p in properties { n += p.write(to: &b) }
        return n
    }
}

/// An instruction or action id in a table features property: the TLV's type and any
/// bytes after its 4-byte header (an experimenter id, for experimenter ids).
public struct FeatureID: Hashable, Sendable {
    public var type: UInt16
    public var extra: [UInt8]
    public init(type: UInt16, extra: [UInt8] = []) {
        self.type = type
        self.extra = extra
    }
}

/// An OXM id: a header, followed by an experimenter id for the experimenter class.
public struct OXMID: Hashable, Sendable {
    public var header: UInt32
    public var experimenter: UInt32?
    public init(header: UInt32, experimenter: UInt32? = nil) {
        self.header = header
        self.experimenter = experimenter
    }
}

/// `ofp_table_feature_prop_*`.
public struct TableFeatureProperty: Hashable, Sendable {
    /// `OFPTFPT_*`: instructions 0/1, next tables 2/3, write actions 4/5, apply actions 6/7, match 8,
    /// wildcards 10, write setfield 12/13, apply setfield 14/15, experimenter 0xfffe/0xffff (odd = table miss).
    public var type: UInt16
    public var content: Content

    public enum Content: Hashable, Sendable {
        case ids([FeatureID])
        case tables([UInt8])
        case oxm([OXMID])
        case experimenter(id: UInt32, expType: UInt32, data: [UInt8])
        case raw([UInt8])
    }

    public init(type: UInt16, content: Content) {
        self.type = type
        self.content = content
    }

    var unpaddedLength: Int {
        switch content {
        case .ids(let ids): 4 + ids.reduce(0) { $0 + 4 + $1.extra.count }
        case .tables(let t): 4 + t.count
        case .oxm(let o): 4 + o.reduce(0) { $0 + ($1.experimenter == nil ? 4 : 8) }
        case .experimenter(_, _, let d): 12 + d.count
        case .raw(let r): 4 + r.count
        }
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> TableFeatureProperty {
        let e = ErrorCode.tableFeaturesFailedBadLen
        let type: UInt16 = try b.read(or: e)
        let len = Int(try b.read(UInt16.self, or: e))
        guard len >= 4 else { throw ParseError(e, "property length below 4") }
        var p = try b.slice(len - 4, or: e)
        try b.skip(min(paddedTo8(len) - len, b.readableBytes), or: e)
        let content: Content
        switch type {
        case 0, 1, 4, 5, 6, 7:
            var ids: [FeatureID] = []
            while p.readableBytes > 0 {
                let t: UInt16 = try p.read(or: e)
                let l = Int(try p.read(UInt16.self, or: e))
                guard l >= 4 else { throw ParseError(e, "feature id length below 4") }
                ids.append(FeatureID(type: t, extra: try p.bytes(l - 4, or: e)))
            }
            content = .ids(ids)
        case 2, 3:
            content = .tables(p.readBytes(length: p.readableBytes) ?? [])
        case 8, 10, 12, 13, 14, 15:
            var ids: [OXMID] = []
            while p.readableBytes > 0 {
                let h: UInt32 = try p.read(or: e)
                ids.append(OXMID(header: h, experimenter: h >> 16 == 0xffff ? try p.read(UInt32.self, or: e) : nil))
            }
            content = .oxm(ids)
        case 0xfffe, 0xffff:
            let id: UInt32 = try p.read(or: e)
            let et: UInt32 = try p.read(or: e)
            content = .experimenter(id: id, expType: et, data: p.readBytes(length: p.readableBytes) ?? [])
        default:
            content = .raw(p.readBytes(length: p.readableBytes) ?? [])
        }
        return TableFeatureProperty(type: type, content: content)
    }

    func write(to b: inout ByteBuffer) -> Int {
        let len = unpaddedLength
        var n = b.writeInteger(type) + b.writeInteger(UInt16(truncatingIfNeeded: len))
        switch content {
        case .ids(let ids):
            for id in ids {
                n += b.writeInteger(id.type) + b.writeInteger(UInt16(truncatingIfNeeded: 4 + id.extra.count)) + b.writeBytes(id.extra)
            }
        case .tables(let t): n += b.writeBytes(t)
        case .oxm(let ids):
            for id in ids {
                n += b.writeInteger(id.header)
                if let x = id.experimenter { n += b.writeInteger(x) }
            }
        case .experimenter(let id, let et, let d): n += b.writeInteger(id) + b.writeInteger(et) + b.writeBytes(d)
        case .raw(let r): n += b.writeBytes(r)
        }
        return n + b.writeZeros(paddedTo8(len) - len)
    }
}
