import OVSDB
import Yams

/// A topology declared in a file, for labs without OVSDB access: nodes (datapath id, encap IP)
/// and ports (iface-id → node and port name, MAC, VLAN, project). OpenFlow PORT_DESC supplies
/// the port numbers and link states by name.
///
/// ```yaml
/// nodes:
///   - id: compute-1
///     datapath_id: "00000000000000a1"
///     encap_ip: 192.0.2.1
/// ports:
///   - id: 5a1c6a4e-0b4e-4c61-9c1d-000000000001
///     node: compute-1
///     name: tap1
///     mac: "02:00:00:00:00:01"
///     vlan: 10
///     project: alice
/// ```
public struct StaticTopology: Hashable, Sendable {
    public struct Node: Hashable, Sendable, Decodable {
        public var id: String
        public var hostname: String?
        public var datapathID: UInt64
        public var encapIP: String?

        enum CodingKeys: String, CodingKey { case id, hostname, datapath_id, encap_ip }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
            encapIP = try c.decodeIfPresent(String.self, forKey: .encap_ip)
            let text = try c.decode(String.self, forKey: .datapath_id)
            let hex = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
            guard !hex.isEmpty, hex.count <= 16, let dpid = UInt64(hex, radix: 16) else {
                throw DecodingError.dataCorruptedError(forKey: .datapath_id, in: c,
                                                       debugDescription: "\"\(text)\" is not a datapath id (up to 16 hex digits)")
            }
            datapathID = dpid
        }
    }

    public struct Port: Hashable, Sendable, Decodable {
        public var id: String
        public var node: String
        public var name: String
        public var mac: String
        public var vlan: UInt16?
        public var project: String?
    }

    struct File: Decodable {
        var nodes: [Node]
        var ports: [Port]?
    }

    public var nodes: [Node]
    /// Node id → its ports (in the file's order), kept once.
    private var portsByNode: [String: [Port]] = [:]

    /// Every port, node by node in the order of `nodes`.
    public var ports: [Port] { nodes.flatMap { portsByNode[$0.id] ?? [] } }

    public struct Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses and checks the file's text.
    public init(yaml text: String) throws(Invalid) {
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: text)
        } catch let e as DecodingError {
            throw Invalid(description: Self.describe(e))
        } catch {
            throw Invalid(description: "\(error)")
        }
        nodes = file.nodes
        let ports = file.ports ?? []
        var seen: [String: Int] = [:], dpids: [UInt64: String] = [:]
        for (i, n) in nodes.enumerated() {
            if let j = seen[n.id] { throw Invalid(description: "nodes[\(i)]: id \(n.id) is already nodes[\(j)]") }
            if let other = dpids[n.datapathID] { throw Invalid(description: "nodes[\(i)]: datapath_id is already node \(other)'s") }
            seen[n.id] = i
            dpids[n.datapathID] = n.id
        }
        var ids: Set<String> = []
        for (i, p) in ports.enumerated() {
            guard seen[p.node] != nil else { throw Invalid(description: "ports[\(i)]: node \(p.node) is not declared under nodes") }
            guard ids.insert(p.id).inserted else { throw Invalid(description: "ports[\(i)]: id \(p.id) is declared twice") }
            if let v = p.vlan, v > 4095 { throw Invalid(description: "ports[\(i)]: vlan \(v) is not from 0 to 4095") }
        }
        for p in ports { portsByNode[p.node, default: []].append(p) }
    }

    /// The same topology with its strings copied, together, into storage of their own. A parse
    /// leaves each string it made between the parser's own freed blocks; a hundred thousand
    /// ports' MACs (too long to be held inline) then keep most of those pages resident, since
    /// glibc returns a page only when nothing on it is in use. Copied after the parser's memory
    /// is freed (and consolidated: `malloc_trim`), they sit side by side instead.
    public func compacted() -> StaticTopology {
        var out = self
        out.nodes = nodes.map { n in
            var n = n
            n.id = Self.copy(n.id)
            n.hostname = n.hostname.map(Self.copy)
            n.encapIP = n.encapIP.map(Self.copy)
            return n
        }
        out.portsByNode = [:]
        for n in out.nodes {
            out.portsByNode[n.id] = portsByNode[n.id]?.map { p in
                Port(id: Self.copy(p.id), node: n.id, name: Self.copy(p.name), mac: Self.copy(p.mac), vlan: p.vlan,
                     project: p.project.map(Self.copy))
            }
        }
        return out
    }

    /// `s` in new storage; a string short enough to be held inline is returned as it is.
    static func copy(_ s: String) -> String {
        guard s.utf8.count > 15 else { return s }
        var s = s
        return s.withUTF8 { bytes in
            String(unsafeUninitializedCapacity: bytes.count) { out in
                _ = out.initialize(fromContentsOf: bytes)
                return bytes.count
            }
        }
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [CodingKey]) -> String {
            c.map { k in k.intValue.map { "[\($0)]" } ?? ".\(k.stringValue)" }.joined().trimmingPrefix(".").description
        }
        switch e {
        case .keyNotFound(let k, let ctx): return "\(path(ctx.codingPath + [k])): missing"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx): return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        case .dataCorrupted(let ctx):
            // Syntax errors carry Yams' own message with the line and column.
            let under = ctx.underlyingError.map { "\($0)" } ?? ctx.debugDescription
            return ctx.codingPath.isEmpty ? under : "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    /// An OpenFlow port as PORT_DESC reports it.
    public struct OpenFlowPort: Hashable, Sendable {
        public var number: UInt32
        public var up: Bool
        public init(number: UInt32, up: Bool) { self.number = number; self.up = up }
    }

    /// Node views as OVSDB would have given them, numbered from each datapath's OpenFlow ports
    /// (datapath id → port name → port). A port named `taas-tun` counts as the tunnel port.
    public func views(bridge: String, openflow: [UInt64: [String: OpenFlowPort]]) -> [String: NodeView] {
        var out: [String: NodeView] = [:]
        for n in nodes { out[n.id] = view(of: n, bridge: bridge, openflow: openflow[n.datapathID] ?? [:]) }
        return out
    }

    /// One node's view, numbered from its datapath's OpenFlow ports (port name → port).
    public func view(of n: Node, bridge: String, openflow of: [String: OpenFlowPort]) -> NodeView {
        var bridgePorts = (portsByNode[n.id] ?? []).map { p in
            NodeView.Port(uuid: p.id, name: p.name, tag: p.vlan, trunks: [], externalIDs: [:], interfaces: [
                NodeView.Interface(uuid: p.id, name: p.name, type: "", ofport: of[p.name].map { Int64($0.number) },
                                   externalIDs: ["iface-id": p.id, "attached-mac": p.mac, "project-id": p.project ?? ""],
                                   macInUse: nil, options: [:], error: nil, linkState: of[p.name].map { $0.up ? "up" : "down" }),
            ])
        }
        if let tun = of["taas-tun"] {
            bridgePorts.append(NodeView.Port(uuid: "taas-tun", name: "taas-tun", tag: nil, trunks: [], externalIDs: [ManagedPort.marker: "true"],
                                             interfaces: [NodeView.Interface(uuid: "taas-tun", name: "taas-tun", type: "", ofport: Int64(tun.number),
                                                                             externalIDs: [:], macInUse: nil, options: [:], error: nil,
                                                                             linkState: nil)]))
        }
        let br = NodeView.Bridge(uuid: n.id, name: bridge, datapathID: n.datapathID, failMode: nil, controllers: [], ports: bridgePorts)
        return NodeView(systemID: n.id, hostname: n.hostname, encapIP: n.encapIP, bridges: [br])
    }
}
