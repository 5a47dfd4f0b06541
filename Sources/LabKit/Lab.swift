import Foundation

/// A multi-node lab of real Open vSwitch, after shared/LAB.md: each node an OVSNode (its own
/// ovsdb-server and userspace ovs-vswitchd in a namespace) with `br-int` (fail_mode=secure) and
/// `br-phy` (the underlay, carrying the node's tunnel IP). An underlay namespace joins the nodes
/// with two Linux bridges: one for tunnels (MTU 1600), one as the tenant network's wire (each
/// br-int's `uplink` port). VMs are namespaces with a veth into br-int, with iface-ids. Everything
/// is removed by `stop()`: namespaces by name (ours only), daemons by pid.
public final class Lab: @unchecked Sendable {
    public struct VM: Sendable, Codable {
        public var name: String
        public var node: Int
        public var namespace: String
        public var ofport: Int
        public var mac: String
        public var ip: String
        public var ifaceID: String
    }

    public let prefix: String
    public let dir: String
    public private(set) var nodes: [OVSNode] = []
    public private(set) var vms: [String: VM] = [:]
    let underlay: String
    public private(set) var namespaces: [String] = []
    private var stopped = false
    /// Kept running when this value goes away (taas-lab leaves a lab up between commands).
    public private(set) var detached = false

    /// The node's tunnel endpoint (TEST-NET-1, inside the lab's namespaces only).
    public static func encapIP(_ node: Int) -> String { "192.0.2.\(node)" }
    public static func datapathID(_ node: Int) -> UInt64 { 0xa0 + UInt64(node) }

    /// Nodes are numbered from 1, with system-id `nodeN`. `prefix` names every namespace and
    /// run directory (random by default); `dir` holds the run directories (default /tmp/PREFIX).
    /// `progress` hears each step.
    public init(nodes count: Int, prefix namePrefix: String? = nil, dir runDirectory: String? = nil,
                progress: (String) -> Void = { _ in }) throws {
        prefix = namePrefix ?? "tl" + String(UInt16.random(in: 0...UInt16.max), radix: 16)
        dir = runDirectory ?? "/tmp/\(prefix)"
        underlay = "\(prefix)-ul"
        progress("underlay: namespace \(underlay) with bridges for tunnels (MTU 1600) and the tenant network")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            try Command.check("ip", ["netns", "add", underlay])
            namespaces.append(underlay)
            try ns(underlay, "ip", ["link", "set", "lo", "up"])
            try ns(underlay, "sysctl", ["-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
            for br in ["ulbr", "tnbr"] {
                try ns(underlay, "ip", ["link", "add", br, "type", "bridge"])
                try ns(underlay, "ip", ["link", "set", br, "mtu", "1600", "up"])
            }
            for i in 1...count {
                progress("node\(i): ovsdb-server and ovs-vswitchd (userspace) in namespace \(prefix)-n\(i), br-int, br-phy \(Self.encapIP(i))")
                try addNode(i)
            }
            // Static tunnel neighbours: OVS's own table, so no tunnelled packet waits on ARP.
            for (i, node) in nodes.enumerated() {
                for j in 1...count where j != i + 1 {
                    _ = try node.appctl(["tnl/neigh/set", "br-phy", Self.encapIP(j), Self.phyMAC(j)])
                }
            }
        } catch {
            stop()
            throw error
        }
    }

    static func phyMAC(_ node: Int) -> String { String(format: "02:99:00:00:00:%02x", node) }

    func ns(_ namespace: String, _ program: String, _ args: [String]) throws {
        try Command.check("ip", ["netns", "exec", namespace, program] + args)
    }

    /// A veth pair with one end in each namespace, renamed there.
    func veth(_ a: (ns: String, name: String), _ b: (ns: String, name: String), mtu: Int = 1500) throws {
        let t1 = "\(prefix)a\(Int.random(in: 0...9999))", t2 = "\(prefix)b\(Int.random(in: 0...9999))"
        try Command.check("ip", ["link", "add", t1, "type", "veth", "peer", "name", t2])
        for (tmp, end) in [(t1, a), (t2, b)] {
            try Command.check("ip", ["link", "set", tmp, "netns", end.ns])
            try ns(end.ns, "ip", ["link", "set", tmp, "name", end.name])
            try ns(end.ns, "ip", ["link", "set", end.name, "mtu", "\(mtu)", "up"])
        }
    }

    private func addNode(_ i: Int) throws {
        let node = try OVSNode(name: "\(prefix)-n\(i)", dir: "\(dir)/n\(i)")
        nodes.append(node)
        try node.addIntegrationBridge(datapathID: Self.datapathID(i))
        try node.vsctl(["set", "open_vswitch", ".", "external_ids:system-id=node\(i)", "external_ids:hostname=node\(i)",
                        "external_ids:taas-encap-ip=\(Self.encapIP(i))"])
        try ns(node.name, "sysctl", ["-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
        // The underlay: br-phy with the node's tunnel IP, and ul0 to the underlay bridge.
        try veth((node.name, "ul0"), (underlay, "ul\(i)"), mtu: 1600)
        try ns(underlay, "ip", ["link", "set", "ul\(i)", "master", "ulbr"])
        try ns(node.name, "ip", ["link", "set", "ul0", "arp", "off"])
        try Command.check("ethtool", ["--version"])
        try node.vsctl(["add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev",
                        "other_config:hwaddr=\(Self.phyMAC(i))", "--", "add-port", "br-phy", "ul0"])
        try ns(node.name, "ip", ["addr", "add", "\(Self.encapIP(i))/24", "dev", "br-phy"])
        try ns(node.name, "ip", ["link", "set", "br-phy", "mtu", "1600", "up"])
        // The tenant network's wire between the nodes' br-int.
        try veth((node.name, "uplink"), (underlay, "tn\(i)"), mtu: 1600)
        try ns(underlay, "ip", ["link", "set", "tn\(i)", "master", "tnbr"])
        try ns(node.name, "ip", ["link", "set", "uplink", "arp", "off"])
        try node.vsctl(["add-port", "br-int", "uplink", "--", "set", "interface", "uplink", "ofport_request=50"])
        try checkInterfaces(node)
    }

    /// A VM on node `node` (from 1): a namespace whose eth0 is a veth into br-int.
    @discardableResult
    public func addVM(_ name: String, node i: Int, ofport: Int, ip: String, tag: UInt16? = nil) throws -> VM {
        let node = nodes[i - 1]
        let namespace = "\(prefix)-\(name)"
        try Command.check("ip", ["netns", "add", namespace])
        namespaces.append(namespace)
        try ns(namespace, "ip", ["link", "set", "lo", "up"])
        try ns(namespace, "sysctl", ["-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
        try veth((namespace, "eth0"), (node.name, name))
        let mac = String(format: "02:00:00:00:%02x:%02x", i, ofport)
        try ns(namespace, "ip", ["link", "set", "eth0", "address", mac])
        try ns(namespace, "ip", ["addr", "add", "\(ip)/24", "dev", "eth0"])
        try ns(namespace, "ip", ["route", "add", "224.0.0.0/4", "dev", "eth0"])
        // Pitfall 1: the userspace datapath forwards bad checksums from veth offload.
        try ns(namespace, "ethtool", ["-K", "eth0", "tx", "off"])
        try ns(node.name, "ip", ["link", "set", name, "arp", "off"])
        let ifaceID = name
        var args = ["add-port", "br-int", name, "--", "set", "interface", name, "ofport_request=\(ofport)",
                    "external_ids:iface-id=\(ifaceID)", "external_ids:attached-mac=\(mac)"]
        if let tag { args += ["--", "set", "port", name, "tag=\(tag)"] }
        try node.vsctl(args)
        try checkInterfaces(node)
        let vm = VM(name: name, node: i, namespace: namespace, ofport: ofport, mac: mac, ip: ip, ifaceID: ifaceID)
        vms[name] = vm
        return vm
    }

    /// Pitfall: add-port can succeed while the interface failed; every ofport must be positive.
    func checkInterfaces(_ node: OVSNode) throws {
        let out = try node.vsctl(["--bare", "--columns=name,ofport,error", "list", "interface"])
        let records = out.components(separatedBy: "\n\n").map { $0.split(separator: "\n").map(String.init) }
        for r in records where r.count >= 2 {
            if let n = Int(r[1]), n <= 0 { throw Command.Failure(description: "interface \(r[0]) failed on \(node.name): \(r.dropFirst(2))") }
        }
    }

    /// Runs a program inside a VM.
    @discardableResult
    public func inVM(_ name: String, _ program: String, _ args: [String]) throws -> String {
        guard let vm = vms[name] else { throw Command.Failure(description: "no VM \(name)") }
        return try Command.check("ip", ["netns", "exec", vm.namespace, program] + args)
    }

    /// Where a controller listens for node `i`'s bridge: Open vSwitch connects only to unix
    /// sockets inside its own run directory.
    public func controllerSocket(_ i: Int) -> String { "\(nodes[i - 1].dir)/taasd.sock" }

    /// Where replica `r` (from 1) of several listens for node `i`'s bridge.
    public func controllerSocket(_ i: Int, replica r: Int) -> String { "\(nodes[i - 1].dir)/taasd-\(r).sock" }

    /// Points every node's br-int at the controller's socket for it (or at each of `replicas`
    /// controllers' sockets), out of band.
    public func connect(replicas: Int = 0) throws {
        for (i, node) in nodes.enumerated() {
            let targets = replicas == 0 ? ["unix:\(controllerSocket(i + 1))"] : (1...replicas).map { "unix:\(controllerSocket(i + 1, replica: $0))" }
            try node.vsctl(["set-controller", "br-int"] + targets)
            // Each controller record: out of band, and back within a second when its controller is (a restarted replica).
            let ids = try node.vsctl(["--bare", "--columns=_uuid", "list", "controller"]).split(whereSeparator: \.isWhitespace)
            for id in ids { try node.vsctl(["set", "controller", String(id), "connection-mode=out-of-band", "max_backoff=1000"]) }
        }
    }

    /// Leaves everything running when this value goes away; `record` says what to stop later.
    public func detach() {
        detached = true
        for n in nodes { n.detached = true }
    }

    /// What a later process needs to find, use and remove this lab.
    public var record: LabRecord {
        LabRecord(prefix: prefix, dir: dir, nodes: nodes.map { LabRecord.Node(name: $0.name, dir: $0.dir) }, vms: Array(vms.values),
                  namespaces: namespaces)
    }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        for n in nodes { n.stop() }
        for ns in namespaces.reversed() { _ = try? Command.run("ip", ["netns", "del", ns]) }
        // TAAS_KEEP_LOGS=1 keeps the run directory (logs, captures) for a look after a failure.
        if ProcessInfo.processInfo.environment["TAAS_KEEP_LOGS"] != "1" { try? FileManager.default.removeItem(atPath: dir) }
    }

    deinit { if !detached { stop() } }
}
