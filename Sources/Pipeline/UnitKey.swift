/// A unit of a node's program: a few flows that depend on a few inputs, recompiled alone when
/// one of them changes (the way ovn-northd's engine nodes own their data).
struct UnitKey: Hashable, Sendable {
    enum Kind: UInt8, Sendable, CaseIterable {
        /// The pipeline's skeleton and the tunnel port's drop.
        case base
        /// A tap service whose port is here: receive-only, end of its tunnel (`a`: destination).
        case service
        /// Table 0's network of one OpenFlow port (`a`: the port number).
        case classify
        /// A source port's OUT copies (`a`: port).
        case out
        /// A network's broadcast and multicast IN copies.
        case multicast
        /// A receiver's unicast IN copies and its own broadcasts' exclusions (`a`: port).
        case receiver
        /// Table 2's label of a sender's OUT copies (`a`: port).
        case sender
        /// A label's broadcast and multicast IN copies (`a`: label).
        case labelMulticast
        /// A label's unicast IN copies to one receiver (`a`: label, `b`: port).
        case labelReceiver
        /// Table 6 (and 7): a rate-limited destination's copies through its meters (`a`: the
        /// bit-rate meter id). Compiled with the meters, after every other unit.
        case metered
        /// Table 8: a load-balanced service's copies to its tools (`a`: its selector). Compiled
        /// after the metered units (whose flows may copy to it).
        case balanced
    }

    var kind: Kind
    var vlan: VLANCode
    var a: Int32
    var b: Int32

    init(_ kind: Kind, vlan: VLANCode = VLANCode(0), _ a: Int32 = 0, _ b: Int32 = 0) {
        self.kind = kind
        self.vlan = vlan
        self.a = a
        self.b = b
    }

    static let base = UnitKey(.base)
    static func service(_ d: DestRef) -> UnitKey { UnitKey(.service, d) }
    static func classify(_ ofport: UInt32) -> UnitKey { UnitKey(.classify, Int32(bitPattern: ofport)) }
    static func out(_ p: PortRef) -> UnitKey { UnitKey(.out, p) }
    static func multicast(_ v: VLANCode) -> UnitKey { UnitKey(.multicast, vlan: v) }
    static func receiver(_ v: VLANCode, _ p: PortRef) -> UnitKey { UnitKey(.receiver, vlan: v, p) }
    static func sender(_ v: VLANCode, _ p: PortRef) -> UnitKey { UnitKey(.sender, vlan: v, p) }
    static func labelMulticast(_ v: VLANCode, _ l: LabelRef) -> UnitKey { UnitKey(.labelMulticast, vlan: v, l) }
    static func labelReceiver(_ v: VLANCode, _ l: LabelRef, _ p: PortRef) -> UnitKey { UnitKey(.labelReceiver, vlan: v, l, p) }
    static func metered(_ meter: UInt32) -> UnitKey { UnitKey(.metered, Int32(bitPattern: meter)) }
    static func balanced(_ selector: UInt32) -> UnitKey { UnitKey(.balanced, Int32(bitPattern: selector)) }

}
