import NIOCore

/// A queue property (§7.3.6): rates are in 1/10 of a percent; above 1000 means disabled.
public enum QueueProperty: Hashable, Sendable {
    case minRate(UInt16)
    case maxRate(UInt16)
    /// `body` is every byte after the experimenter id and its padding.
    case experimenter(id: UInt32, body: [UInt8])
    /// `body` is every byte after the 8-byte property header.
    case unknown(type: UInt16, body: [UInt8])

    var wireLength: Int {
        switch self {
        case .minRate, .maxRate: 16
        case .experimenter(_, let body): 16 + body.count
        case .unknown(_, let body): 8 + body.count
        }
    }
}

/// `ofp_packet_queue`.
public struct PacketQueue: Hashable, Sendable {
    public var queueID: UInt32
    public var port: PortNumber
    public var properties: [QueueProperty]

    public init(queueID: UInt32, port: PortNumber, properties: [QueueProperty] = []) {
        self.queueID = queueID
        self.port = port
        self.properties = properties
    }
}

/// `OFPT_QUEUE_GET_CONFIG_REPLY` (§7.3.6).
public struct QueueGetConfigReply: Hashable, Sendable {
    public var port: PortNumber
    public var queues: [PacketQueue]

    public init(port: PortNumber, queues: [PacketQueue] = []) {
        self.port = port
        self.queues = queues
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> QueueGetConfigReply {
        let e = ErrorCode.badRequestBadLen
        let port: UInt32 = try b.read(or: e)
        try b.skip(4, or: e)
        var queues: [PacketQueue] = []
        while b.readableBytes > 0 {
            let qid: UInt32 = try b.read(or: e)
            let qport: UInt32 = try b.read(or: e)
            let len = Int(try b.read(UInt16.self, or: e))
            guard len >= 16 else { throw ParseError(e, "queue length below 16") }
            try b.skip(6, or: e)
            var props = try b.slice(len - 16, or: e)
            var list: [QueueProperty] = []
            while props.readableBytes > 0 {
                let type: UInt16 = try props.read(or: e)
                let plen = Int(try props.read(UInt16.self, or: e))
                guard plen >= 8 else { throw ParseError(e, "queue property length below 8") }
                try props.skip(4, or: e)
                var p = try props.slice(plen - 8, or: e)
                switch type {
                case 1 where plen == 16, 2 where plen == 16:
                    let rate: UInt16 = try p.read(or: e)
                    list.append(type == 1 ? .minRate(rate) : .maxRate(rate))
                case 0xffff where plen >= 16:
                    let exp: UInt32 = try p.read(or: e)
                    try p.skip(4, or: e)
                    list.append(.experimenter(id: exp, body: p.readBytes(length: p.readableBytes) ?? []))
                default:
                    list.append(.unknown(type: type, body: p.readBytes(length: p.readableBytes) ?? []))
                }
            }
            queues.append(PacketQueue(queueID: qid, port: PortNumber(qport), properties: list))
        }
        return QueueGetConfigReply(port: PortNumber(port), queues: queues)
    }

    func write(to b: inout ByteBuffer) -> Int {
        var n = b.writeInteger(port.rawValue) + b.writeZeros(4)
        for q in queues {
            let len = 16 + q.properties.reduce(0) { $0 + $1.wireLength }
            n += b.writeInteger(q.queueID) + b.writeInteger(q.port.rawValue) + b.writeInteger(UInt16(truncatingIfNeeded: len))
                + b.writeZeros(6)
            for p in q.properties {
                let plen = UInt16(truncatingIfNeeded: p.wireLength)
                switch p {
                case .minRate(let r):
                    n += b.writeInteger(UInt16(1)) + b.writeInteger(plen) + b.writeZeros(4) + b.writeInteger(r) + b.writeZeros(6)
                case .maxRate(let r):
                    n += b.writeInteger(UInt16(2)) + b.writeInteger(plen) + b.writeZeros(4) + b.writeInteger(r) + b.writeZeros(6)
                case .experimenter(let id, let body):
                    n += b.writeInteger(UInt16(0xffff)) + b.writeInteger(plen) + b.writeZeros(4) + b.writeInteger(id)
                        + b.writeZeros(4) + b.writeBytes(body)
                case .unknown(let type, let body):
                    n += b.writeInteger(type) + b.writeInteger(plen) + b.writeZeros(4) + b.writeBytes(body)
                }
            }
        }
        return n
    }
}
