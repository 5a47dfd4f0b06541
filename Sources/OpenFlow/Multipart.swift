import NIOCore

/// `OFPT_MULTIPART_REQUEST` (§7.3.5).
public struct MultipartRequest: Hashable, Sendable {
    /// `OFPMPF_REQ_MORE` (1): more requests follow with the same xid.
    public var flags: UInt16
    public var body: Body

    public enum Body: Hashable, Sendable {
        case desc
        case flow(FlowStatsRequest)
        case aggregate(FlowStatsRequest)
        case table
        case portStats(port: PortNumber)
        case queue(port: PortNumber, queueID: UInt32)
        case group(groupID: UInt32)
        case groupDesc
        case groupFeatures
        case meter(meterID: UInt32)
        case meterConfig(meterID: UInt32)
        case meterFeatures
        /// Empty to read the tables' features, non-empty to set them.
        case tableFeatures([TableFeatures])
        case portDesc
        case experimenter(id: UInt32, expType: UInt32, data: [UInt8])
    }

    public init(flags: UInt16 = 0, _ body: Body) {
        self.flags = flags
        self.body = body
    }

    public var type: MultipartType {
        switch body {
        case .desc: .desc
        case .flow: .flow
        case .aggregate: .aggregate
        case .table: .table
        case .portStats: .portStats
        case .queue: .queue
        case .group: .group
        case .groupDesc: .groupDesc
        case .groupFeatures: .groupFeatures
        case .meter: .meter
        case .meterConfig: .meterConfig
        case .meterFeatures: .meterFeatures
        case .tableFeatures: .tableFeatures
        case .portDesc: .portDesc
        case .experimenter: .experimenter
        }
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> MultipartRequest {
        let e = ErrorCode.badRequestBadLen
        let type: UInt16 = try b.read(or: e)
        let flags: UInt16 = try b.read(or: e)
        try b.skip(4, or: e)
        let body: Body
        switch MultipartType(rawValue: type) {
        case .desc: body = .desc
        case .flow: body = .flow(try .read(from: &b))
        case .aggregate: body = .aggregate(try .read(from: &b))
        case .table: body = .table
        case .portStats:
            body = .portStats(port: PortNumber(try b.read(or: e)))
            try b.skip(4, or: e)
        case .queue: body = .queue(port: PortNumber(try b.read(or: e)), queueID: try b.read(or: e))
        case .group:
            body = .group(groupID: try b.read(or: e))
            try b.skip(4, or: e)
        case .groupDesc: body = .groupDesc
        case .groupFeatures: body = .groupFeatures
        case .meter, .meterConfig:
            let id: UInt32 = try b.read(or: e)
            try b.skip(4, or: e)
            body = type == MultipartType.meter.rawValue ? .meter(meterID: id) : .meterConfig(meterID: id)
        case .meterFeatures: body = .meterFeatures
        case .tableFeatures:
            var list: [TableFeatures] = []
            while b.readableBytes > 0 { list.append(try .read(from: &b)) }
            body = .tableFeatures(list)
        case .portDesc: body = .portDesc
        case .experimenter:
            body = .experimenter(id: try b.read(or: e), expType: try b.read(or: e), data: b.readBytes(length: b.readableBytes) ?? [])
        default:
            throw ParseError(.badRequestBadMultipart, "unknown multipart type")
        }
        try b.requireConsumed(or: e)
        return MultipartRequest(flags: flags, body)
    }

    func write(to b: inout ByteBuffer) -> Int {
        var n = b.writeInteger(type.rawValue) + b.writeInteger(flags) + b.writeZeros(4)
        switch body {
        case .desc, .table, .groupDesc, .groupFeatures, .meterFeatures, .portDesc: break
        case .flow(let r), .aggregate(let r): n += r.write(to: &b)
        case .portStats(let p): n += b.writeInteger(p.rawValue) + b.writeZeros(4)
        case .queue(let p, let q): n += b.writeInteger(p.rawValue) + b.writeInteger(q)
        case .group(let g): n += b.writeInteger(g) + b.writeZeros(4)
        case .meter(let m), .meterConfig(let m): n += b.writeInteger(m) + b.writeZeros(4)
        case .tableFeatures(let list): for t in list { n += t.write(to: &b) }
        case .experimenter(let id, let et, let data): n += b.writeInteger(id) + b.writeInteger(et) + b.writeBytes(data)
        }
        return n
    }
}

/// `OFPT_MULTIPART_REPLY` (§7.3.5). Long replies arrive as several messages with
/// `OFPMPF_REPLY_MORE` (1) set on all but the last; each decodes on its own.
public struct MultipartReply: Hashable, Sendable {
    public var flags: UInt16
    public var body: Body

    public var hasMore: Bool { flags & 1 != 0 }

    public enum Body: Hashable, Sendable {
        case desc(SwitchDescription)
        case flow([FlowStats])
        case aggregate(AggregateStats)
        case table([TableStats])
        case portStats([PortStats])
        case queue([QueueStats])
        case group([GroupStats])
        case groupDesc([GroupDescription])
        case groupFeatures(GroupFeatures)
        case meter([MeterStats])
        case meterConfig([MeterConfig])
        case meterFeatures(MeterFeatures)
        case tableFeatures([TableFeatures])
        case portDesc([PortDescription])
        case experimenter(id: UInt32, expType: UInt32, data: [UInt8])
    }

    public init(flags: UInt16 = 0, _ body: Body) {
        self.flags = flags
        self.body = body
    }

    public var type: MultipartType {
        switch body {
        case .desc: .desc
        case .flow: .flow
        case .aggregate: .aggregate
        case .table: .table
        case .portStats: .portStats
        case .queue: .queue
        case .group: .group
        case .groupDesc: .groupDesc
        case .groupFeatures: .groupFeatures
        case .meter: .meter
        case .meterConfig: .meterConfig
        case .meterFeatures: .meterFeatures
        case .tableFeatures: .tableFeatures
        case .portDesc: .portDesc
        case .experimenter: .experimenter
        }
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> MultipartReply {
        let e = ErrorCode.badRequestBadLen
        let type: UInt16 = try b.read(or: e)
        let flags: UInt16 = try b.read(or: e)
        try b.skip(4, or: e)
        func list<T>(_ read: (inout ByteBuffer) throws(ParseError) -> T) throws(ParseError) -> [T] {
            var out: [T] = []
            while b.readableBytes > 0 { out.append(try read(&b)) }
            return out
        }
        let body: Body
        switch MultipartType(rawValue: type) {
        case .desc:
            body = .desc(SwitchDescription(
                manufacturer: try b.fixedString(256, or: e), hardware: try b.fixedString(256, or: e),
                software: try b.fixedString(256, or: e), serialNumber: try b.fixedString(32, or: e),
                datapath: try b.fixedString(256, or: e)))
        case .flow:
            body = .flow(try list { (b) throws(ParseError) in try FlowStats.read(from: &b) })
        case .aggregate:
            let s = AggregateStats(packetCount: try b.read(or: e), byteCount: try b.read(or: e), flowCount: try b.read(or: e))
            try b.skip(4, or: e)
            body = .aggregate(s)
        case .table:
            body = .table(try list { (b) throws(ParseError) in
                let id: UInt8 = try b.read(or: e)
                try b.skip(3, or: e)
                return TableStats(tableID: id, activeCount: try b.read(or: e), lookupCount: try b.read(or: e),
                                  matchedCount: try b.read(or: e))
            })
        case .portStats:
            body = .portStats(try list { (b) throws(ParseError) in
                let no: UInt32 = try b.read(or: e)
                try b.skip(4, or: e)
                var c: [UInt64] = []
                for _ in 0..<12 { c.append(try b.read(or: e)) }
                return PortStats(portNumber: PortNumber(no), rxPackets: c[0], txPackets: c[1], rxBytes: c[2], txBytes: c[3],
                                 rxDropped: c[4], txDropped: c[5], rxErrors: c[6], txErrors: c[7], rxFrameErrors: c[8],
                                 rxOverErrors: c[9], rxCRCErrors: c[10], collisions: c[11], durationSec: try b.read(or: e),
                                 durationNsec: try b.read(or: e))
            })
        case .queue:
            body = .queue(try list { (b) throws(ParseError) in
                QueueStats(portNumber: PortNumber(try b.read(or: e)), queueID: try b.read(or: e), txBytes: try b.read(or: e),
                           txPackets: try b.read(or: e), txErrors: try b.read(or: e), durationSec: try b.read(or: e),
                           durationNsec: try b.read(or: e))
            })
        case .group:
            body = .group(try list { (outer) throws(ParseError) in
                let len = Int(try outer.read(UInt16.self, or: e))
                guard len >= 40, (len - 40) % 16 == 0 else { throw ParseError(e, "group stats length") }
                var b = try outer.slice(len - 2, or: e)
                try b.skip(2, or: e)
                var s = GroupStats(groupID: try b.read(or: e), refCount: try b.read(or: e))
                try b.skip(4, or: e)
                s.packetCount = try b.read(or: e)
                s.byteCount = try b.read(or: e)
                s.durationSec = try b.read(or: e)
                s.durationNsec = try b.read(or: e)
                while b.readableBytes > 0 {
                    s.buckets.append(.init(packetCount: try b.read(or: e), byteCount: try b.read(or: e)))
                }
                return s
            })
        case .groupDesc:
            body = .groupDesc(try list { (outer) throws(ParseError) in
                let len = Int(try outer.read(UInt16.self, or: e))
                guard len >= 8 else { throw ParseError(e, "group desc length below 8") }
                var b = try outer.slice(len - 2, or: e)
                let type: UInt8 = try b.read(or: e)
                try b.skip(1, or: e)
                let gid: UInt32 = try b.read(or: e)
                return GroupDescription(type: GroupType(rawValue: type), groupID: gid, buckets: try b.readBuckets(length: b.readableBytes))
            })
        case .groupFeatures:
            let types: UInt32 = try b.read(or: e)
            let caps: UInt32 = try b.read(or: e)
            var maxGroups: [UInt32] = [], actions: [UInt32] = []
            for _ in 0..<4 { maxGroups.append(try b.read(or: e)) }
            for _ in 0..<4 { actions.append(try b.read(or: e)) }
            body = .groupFeatures(GroupFeatures(types: types, capabilities: caps, maxGroups: maxGroups, actions: actions))
        case .meter:
            body = .meter(try list { (outer) throws(ParseError) in
                let id: UInt32 = try outer.read(or: e)
                let len = Int(try outer.read(UInt16.self, or: e))
                guard len >= 40, (len - 40) % 16 == 0 else { throw ParseError(e, "meter stats length") }
                var b = try outer.slice(len - 6, or: e)
                try b.skip(6, or: e)
                var s = MeterStats(meterID: id, flowCount: try b.read(or: e), packetInCount: try b.read(or: e),
                                   byteInCount: try b.read(or: e), durationSec: try b.read(or: e), durationNsec: try b.read(or: e))
                while b.readableBytes > 0 { s.bands.append(.init(packetCount: try b.read(or: e), byteCount: try b.read(or: e))) }
                return s
            })
        case .meterConfig:
            body = .meterConfig(try list { (outer) throws(ParseError) in
                let len = Int(try outer.read(UInt16.self, or: e))
                guard len >= 8 else { throw ParseError(e, "meter config length below 8") }
                var b = try outer.slice(len - 2, or: e)
                let flags: UInt16 = try b.read(or: e)
                let id: UInt32 = try b.read(or: e)
                return MeterConfig(flags: MeterMod.Flags(rawValue: flags), meterID: id,
                                   bands: try b.readMeterBands(length: b.readableBytes, error: e))
            })
        case .meterFeatures:
            let f = MeterFeatures(maxMeter: try b.read(or: e), bandTypes: try b.read(or: e), capabilities: try b.read(or: e),
                                  maxBands: try b.read(or: e), maxColor: try b.read(or: e))
            try b.skip(2, or: e)
            body = .meterFeatures(f)
        case .tableFeatures:
            body = .tableFeatures(try list { (b) throws(ParseError) in try TableFeatures.read(from: &b) })
        case .portDesc:
            body = .portDesc(try list { (b) throws(ParseError) in try PortDescription.read(from: &b) })
        case .experimenter:
            body = .experimenter(id: try b.read(or: e), expType: try b.read(or: e), data: b.readBytes(length: b.readableBytes) ?? [])
        default:
            throw ParseError(.badRequestBadMultipart, "unknown multipart type")
        }
        try b.requireConsumed(or: e)
        return MultipartReply(flags: flags, body)
    }

    func write(to b: inout ByteBuffer) -> Int {
        var n = b.writeInteger(type.rawValue) + b.writeInteger(flags) + b.writeZeros(4)
        switch body {
        case .desc(let d):
            n += b.writeFixedString(d.manufacturer, 256) + b.writeFixedString(d.hardware, 256)
            n += b.writeFixedString(d.software, 256) + b.writeFixedString(d.serialNumber, 32) + b.writeFixedString(d.datapath, 256)
        case .flow(let list): for f in list { n += f.write(to: &b) }
        case .aggregate(let a):
            n += b.writeInteger(a.packetCount) + b.writeInteger(a.byteCount) + b.writeInteger(a.flowCount) + b.writeZeros(4)
        case .table(let list):
            for t in list {
                n += b.writeInteger(t.tableID) + b.writeZeros(3) + b.writeInteger(t.activeCount)
                n += b.writeInteger(t.lookupCount) + b.writeInteger(t.matchedCount)
            }
        case .portStats(let list):
            for p in list {
                n += b.writeInteger(p.portNumber.rawValue) + b.writeZeros(4)
                for c in p.counters { n += b.writeInteger(c) }
                n += b.writeInteger(p.durationSec) + b.writeInteger(p.durationNsec)
            }
        case .queue(let list):
            for q in list {
                n += b.writeInteger(q.portNumber.rawValue) + b.writeInteger(q.queueID) + b.writeInteger(q.txBytes)
                n += b.writeInteger(q.txPackets) + b.writeInteger(q.txErrors) + b.writeInteger(q.durationSec)
                n += b.writeInteger(q.durationNsec)
            }
        case .group(let list):
            for g in list {
                n += b.writeInteger(UInt16(truncatingIfNeeded: 40 + 16 * g.buckets.count)) + b.writeZeros(2)
                n += b.writeInteger(g.groupID) + b.writeInteger(g.refCount) + b.writeZeros(4) + b.writeInteger(g.packetCount)
                n += b.writeInteger(g.byteCount) + b.writeInteger(g.durationSec) + b.writeInteger(g.durationNsec)
                for c in g.buckets { n += b.writeInteger(c.packetCount) + b.writeInteger(c.byteCount) }
            }
        case .groupDesc(let list):
            for g in list {
                let len = 8 + g.buckets.reduce(0) { $0 + $1.wireLength }
                n += b.writeInteger(UInt16(truncatingIfNeeded: len)) + b.writeInteger(g.type.rawValue) + b.writeZeros(1)
                n += b.writeInteger(g.groupID) + b.writeBuckets(g.buckets)
            }
        case .groupFeatures(let f):
            n += b.writeInteger(f.types) + b.writeInteger(f.capabilities)
            for i in 0..<4 { n += b.writeInteger(i < f.maxGroups.count ? f.maxGroups[i] : 0) }
            for i in 0..<4 { n += b.writeInteger(i < f.actions.count ? f.actions[i] : 0) }
        case .meter(let list):
            for m in list {
                n += b.writeInteger(m.meterID) + b.writeInteger(UInt16(truncatingIfNeeded: 40 + 16 * m.bands.count)) + b.writeZeros(6)
                n += b.writeInteger(m.flowCount) + b.writeInteger(m.packetInCount) + b.writeInteger(m.byteInCount)
                n += b.writeInteger(m.durationSec) + b.writeInteger(m.durationNsec)
                for c in m.bands { n += b.writeInteger(c.packetCount) + b.writeInteger(c.byteCount) }
            }
        case .meterConfig(let list):
            for m in list {
                let len = 8 + m.bands.reduce(0) { $0 + $1.wireLength }
                n += b.writeInteger(UInt16(truncatingIfNeeded: len)) + b.writeInteger(m.flags.rawValue) + b.writeInteger(m.meterID)
                n += b.writeMeterBands(m.bands)
            }
        case .meterFeatures(let f):
            n += b.writeInteger(f.maxMeter) + b.writeInteger(f.bandTypes) + b.writeInteger(f.capabilities)
            n += b.writeInteger(f.maxBands) + b.writeInteger(f.maxColor) + b.writeZeros(2)
        case .tableFeatures(let list): for t in list { n += t.write(to: &b) }
        case .portDesc(let list): for p in list { n += p.write(to: &b) }
        case .experimenter(let id, let et, let data): n += b.writeInteger(id) + b.writeInteger(et) + b.writeBytes(data)
        }
        return n
    }
}
