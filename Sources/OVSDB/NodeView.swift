/// One node as its Open_vSwitch database describes it, joined from the replica's rows.
public struct NodeView: Hashable, Sendable {
    public struct Interface: Hashable, Sendable {
        public var uuid: String
        public var name: String
        public var type: String
        /// -1 when Open vSwitch could not add it; nil before it is assigned.
        public var ofport: Int64?
        public var externalIDs: [String: String]
        public var macInUse: String?
        public var options: [String: String]
        public var error: String?
        public var linkState: String?

        public init(uuid: String, name: String, type: String, ofport: Int64?, externalIDs: [String: String], macInUse: String? = nil,
                    options: [String: String] = [:], error: String? = nil, linkState: String? = nil) {
            self.uuid = uuid; self.name = name; self.type = type; self.ofport = ofport; self.externalIDs = externalIDs
            self.macInUse = macInUse; self.options = options; self.error = error; self.linkState = linkState
        }
    }

    public struct Port: Hashable, Sendable {
        public var uuid: String
        public var name: String
        public var tag: UInt16?
        public var trunks: [UInt16]
        public var externalIDs: [String: String]
        public var interfaces: [Interface]

        public init(uuid: String, name: String, tag: UInt16? = nil, trunks: [UInt16] = [], externalIDs: [String: String] = [:],
                    interfaces: [Interface]) {
            self.uuid = uuid; self.name = name; self.tag = tag; self.trunks = trunks; self.externalIDs = externalIDs
            self.interfaces = interfaces
        }
    }

    public struct Bridge: Hashable, Sendable {
        public var uuid: String
        public var name: String
        public var datapathID: UInt64?
        public var failMode: String?
        public var controllers: [String]
        public var ports: [Port]

        public init(uuid: String, name: String, datapathID: UInt64?, failMode: String? = nil, controllers: [String] = [], ports: [Port]) {
            self.uuid = uuid; self.name = name; self.datapathID = datapathID; self.failMode = failMode; self.controllers = controllers
            self.ports = ports
        }
    }

    /// `external_ids:system-id`; nil when the node has not set one.
    public var systemID: String?
    public var hostname: String?
    /// `external_ids:taas-encap-ip`: the node's tunnel endpoint.
    public var encapIP: String?
    public var bridges: [Bridge]

    public init(systemID: String? = nil, hostname: String? = nil, encapIP: String? = nil, bridges: [Bridge] = []) {
        self.systemID = systemID; self.hostname = hostname; self.encapIP = encapIP; self.bridges = bridges
    }

    /// Joins the replica's rows. Rows referring to rows not (yet) present are skipped.
    public init(_ r: Replica) {
        let root = r.rows("Open_vSwitch").values.first ?? [:]
        let ids = root.map("external_ids")
        systemID = ids["system-id"]
        hostname = ids["hostname"]
        encapIP = ids["taas-encap-ip"]
        let bridgeRows = r.rows("Bridge"), portRows = r.rows("Port"), ifaceRows = r.rows("Interface"), ctlRows = r.rows("Controller")
        bridges = root.uuids("bridges").compactMap { buuid -> Bridge? in
            guard let b = bridgeRows[buuid] else { return nil }
            let ports = b.uuids("ports").compactMap { puuid -> Port? in
                guard let p = portRows[puuid] else { return nil }
                let ifaces = p.uuids("interfaces").compactMap { iuuid -> Interface? in
                    guard let i = ifaceRows[iuuid] else { return nil }
                    return Interface(uuid: iuuid, name: i.string("name") ?? "", type: i.string("type") ?? "", ofport: i.integer("ofport"),
                                     externalIDs: i.map("external_ids"), macInUse: i.string("mac_in_use"), options: i.map("options"),
                                     error: i.string("error"), linkState: i.string("link_state"))
                }.sorted { $0.name < $1.name }
                let tag = p.integer("tag").flatMap { UInt16(exactly: $0) }
                let trunks = (p["trunks"]?.atoms ?? []).compactMap { $0.integer.flatMap { UInt16(exactly: $0) } }.sorted()
                return Port(uuid: puuid, name: p.string("name") ?? "", tag: tag, trunks: trunks, externalIDs: p.map("external_ids"),
                            interfaces: ifaces)
            }.sorted { $0.name < $1.name }
            let dpid = b.string("datapath_id").flatMap { UInt64($0, radix: 16) }
            let controllers = b.uuids("controller").compactMap { ctlRows[$0]?.string("target") }.sorted()
            return Bridge(uuid: buuid, name: b.string("name") ?? "", datapathID: dpid, failMode: b.string("fail_mode"),
                          controllers: controllers, ports: ports)
        }.sorted { $0.name < $1.name }
    }

    public func bridge(_ name: String) -> Bridge? { bridges.first { $0.name == name } }
}
