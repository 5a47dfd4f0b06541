import NIOCore

/// `ofp_group_type`.
public struct GroupType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let all = GroupType(rawValue: 0)
    public static let select = GroupType(rawValue: 1)
    public static let indirect = GroupType(rawValue: 2)
    public static let fastFailover = GroupType(rawValue: 3)
}

/// `ofp_bucket` (§7.3.4.3).
public struct Bucket: Hashable, Sendable {
    public var weight: UInt16
    public var watchPort: PortNumber
    public var watchGroup: UInt32
    public var actions: [Action]

    public init(weight: UInt16 = 0, watchPort: PortNumber = .any, watchGroup: UInt32 = Reserved.groupAny, actions: [Action]) {
        self.weight = weight
        self.watchPort = watchPort
        self.watchGroup = watchGroup
        self.actions = actions
    }

    var wireLength: Int { 16 + actions.reduce(0) { $0 + $1.wireLength } }
}

extension ByteBuffer {
    mutating func readBuckets(length: Int) throws(ParseError) -> [Bucket] {
        var body = try slice(length, or: .groupModFailedBadBucket)
        var buckets: [Bucket] = []
        while body.readableBytes > 0 {
            let len = Int(try body.read(UInt16.self, or: .groupModFailedBadBucket))
            guard len >= 16 else { throw ParseError(.groupModFailedBadBucket, "bucket length below 16") }
            var b = try body.slice(len - 2, or: .groupModFailedBadBucket)
            let weight: UInt16 = try b.read(or: .groupModFailedBadBucket)
            let watchPort: UInt32 = try b.read(or: .groupModFailedBadBucket)
            let watchGroup: UInt32 = try b.read(or: .groupModFailedBadBucket)
            try b.skip(4, or: .groupModFailedBadBucket)
            let actions = try b.readActions(length: b.readableBytes)
            buckets.append(Bucket(weight: weight, watchPort: PortNumber(watchPort), watchGroup: watchGroup, actions: actions))
        }
        return buckets
    }

    mutating func writeBuckets(_ buckets: [Bucket]) -> Int {
        var n = 0
        for bucket in buckets {
            n += writeInteger(UInt16(truncatingIfNeeded: bucket.wireLength)) + writeInteger(bucket.weight)
            n += writeInteger(bucket.watchPort.rawValue) + writeInteger(bucket.watchGroup) + writeZeros(4)
            n += writeActions(bucket.actions)
        }
        return n
    }
}

/// `OFPT_GROUP_MOD` (§7.3.4.3).
public struct GroupMod: Hashable, Sendable {
    public struct Command: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let add = Command(rawValue: 0)
        public static let modify = Command(rawValue: 1)
        public static let delete = Command(rawValue: 2)
    }

    public var command: Command
    public var type: GroupType
    public var groupID: UInt32
    public var buckets: [Bucket]

    public init(command: Command, type: GroupType, groupID: UInt32, buckets: [Bucket] = []) {
        self.command = command
        self.type = type
        self.groupID = groupID
        self.buckets = buckets
    }

    static func read(from b: inout ByteBuffer) throws(ParseError) -> GroupMod {
        let cmd: UInt16 = try b.read(or: .badRequestBadLen)
        let type: UInt8 = try b.read(or: .badRequestBadLen)
        try b.skip(1, or: .badRequestBadLen)
        let gid: UInt32 = try b.read(or: .badRequestBadLen)
        return GroupMod(command: Command(rawValue: cmd), type: GroupType(rawValue: type), groupID: gid,
                        buckets: try b.readBuckets(length: b.readableBytes))
    }

    func write(to b: inout ByteBuffer) -> Int {
        b.writeInteger(command.rawValue) + b.writeInteger(type.rawValue) + b.writeZeros(1) + b.writeInteger(groupID)
            + b.writeBuckets(buckets)
    }
}
