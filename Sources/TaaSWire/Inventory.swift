/// A port with Neutron's field names (read-only: ports come from Open vSwitch and declarations).
public struct PortInfo: WireResource, Hashable {
    public static let singular = "port", plural = "ports"
    public static let fields = ["id", "name", "mac_address", "binding:host_id", "tenant_id", "project_id", "status"]

    /// The interface's iface-id.
    public var id: String
    public var name: String
    public var macAddress: String
    /// The node's Open vSwitch system-id.
    public var hostID: String
    public var projectID: String
    /// ACTIVE or DOWN.
    public var status: String

    public init(id: String, name: String, macAddress: String, hostID: String, projectID: String, status: String) {
        self.id = id; self.name = name; self.macAddress = macAddress; self.hostID = hostID; self.projectID = projectID; self.status = status
    }

    public init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        id = try r.text("id"); name = try r.text("name"); macAddress = try r.text("mac_address"); hostID = try r.text("binding:host_id")
        projectID = try r.get("project_id") ?? r.text("tenant_id"); status = try r.text("status")
    }

    public func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try w.put("id", id); try w.put("name", name); try w.put("mac_address", macAddress); try w.put("binding:host_id", hostID)
        try w.put("tenant_id", projectID); try w.put("project_id", projectID); try w.put("status", status)
    }
}

/// A compute node (admins only): its bridge and its two connections to taasd.
public struct NodeInfo: WireResource, Hashable {
    public static let singular = "node", plural = "nodes"
    public static let fields = ["id", "name", "bridge", "datapath_id", "encap_ip", "fail_mode", "openflow", "ovsdb", "tunnel_ports"]

    public var id: String
    public var name: String
    public var bridge: String
    public var datapathID: String?
    public var encapIP: String?
    public var failMode: String?
    /// connected or disconnected.
    public var openflow: String
    public var ovsdb: String
    /// OpenFlow port number of each tunnel port taasd manages there.
    public var tunnelPorts: [String: Int]

    public init(id: String, name: String, bridge: String, datapathID: String?, encapIP: String?, failMode: String?, openflow: String,
                ovsdb: String, tunnelPorts: [String: Int]) {
        self.id = id; self.name = name; self.bridge = bridge; self.datapathID = datapathID; self.encapIP = encapIP; self.failMode = failMode
        self.openflow = openflow; self.ovsdb = ovsdb; self.tunnelPorts = tunnelPorts
    }

    public init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        id = try r.text("id"); name = try r.text("name"); bridge = try r.text("bridge"); datapathID = try r.get("datapath_id")
        encapIP = try r.get("encap_ip"); failMode = try r.get("fail_mode"); openflow = try r.text("openflow"); ovsdb = try r.text("ovsdb")
        tunnelPorts = try r.get("tunnel_ports") ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try w.put("id", id); try w.put("name", name); try w.put("bridge", bridge); try w.put("datapath_id", datapathID)
        try w.put("encap_ip", encapIP); try w.put("fail_mode", failMode); try w.put("openflow", openflow); try w.put("ovsdb", ovsdb)
        try w.put("tunnel_ports", tunnelPorts)
    }
}
