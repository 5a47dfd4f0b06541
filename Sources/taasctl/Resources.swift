import Foundation
import ArgumentParser

/// One kind of resource: where it lives and how it prints.
struct Kind {
    let singular: String
    let plural: String
    let path: String
    let what: String
    let columns: [String]
    /// Whether its copies can be truncated (`snaplen`).
    var truncates = false

    static let service = Kind(singular: "tap_service", plural: "tap_services", path: "/v2.0/taas/tap_services", what: "tap service",
                              columns: ["id", "name", "port_ids", "snaplen", "max_kbps", "max_kpps", "status", "project_id", "description"],
                              truncates: true)
    static let flow = Kind(singular: "tap_flow", plural: "tap_flows", path: "/v2.0/taas/tap_flows", what: "tap flow",
                           columns: ["id", "name", "tap_service_id", "source_port", "direction", "vlan_filter", "status", "status_reason"])
    static let mirror = Kind(singular: "tap_mirror", plural: "tap_mirrors", path: "/v2.0/taas/tap_mirrors", what: "tap mirror",
                             columns: ["id", "name", "port_id", "directions", "remote_ip", "mirror_type", "snaplen", "status"], truncates: true)
    static let port = Kind(singular: "port", plural: "ports", path: "/v2.0/ports", what: "port",
                           columns: ["id", "name", "mac_address", "binding:host_id", "status", "project_id"])

    static let node = Kind(singular: "node", plural: "nodes", path: "/v2.0/taas/nodes", what: "node",
                           columns: ["id", "name", "bridge", "datapath_id", "encap_ip", "openflow", "ovsdb"])

    func list(_ c: Connection) async throws {
        let items = try await c.client.call("GET", path)[plural] as? [[String: Any]] ?? []
        Output.show(items, columns: columns, format: c.format, single: false)
    }

    func show(_ c: Connection, _ nameOrID: String) async throws {
        let id = try await c.client.resolve(plural, path, nameOrID, what: what)
        var item = try await c.client.call("GET", "\(path)/\(id)")[singular] as? [String: Any] ?? [:]
        var shown = columns
        if singular == "tap_flow" {
            // The copies the switches counted, from their flow counters at taasd's last read.
            let stats = try await c.client.call("GET", "\(path)/\(id)/statistics")["statistics"] as? [String: Any] ?? [:]
            let counted = stats["counted"] as? Bool ?? false
            item["mirrored_packets"] = counted ? stats["packets"] : "not read yet"
            item["mirrored_bytes"] = counted ? stats["bytes"] : "not read yet"
            shown += ["mirrored_packets", "mirrored_bytes"]
        }
        Output.show([item], columns: shown, format: c.format, single: true)
    }

    func create(_ c: Connection, _ attributes: [String: Any]) async throws {
        let item = try await c.client.call("POST", path, body: [singular: attributes])[singular] as? [String: Any] ?? [:]
        Output.show([item], columns: columns, format: c.format, single: true)
    }

    func update(_ c: Connection, _ nameOrID: String, name: String?, description: String?, snaplen: Any? = nil,
                extra: [String: Any] = [:]) async throws {
        var attributes = extra
        if let name { attributes["name"] = name }
        if let description { attributes["description"] = description }
        if let snaplen { attributes["snaplen"] = snaplen }
        guard !attributes.isEmpty else {
            throw ValidationError(truncates ? "give --name, --description, --snaplen or a rate limit" : "give --name and/or --description")
        }
        let id = try await c.client.resolve(plural, path, nameOrID, what: what)
        let item = try await c.client.call("PUT", "\(path)/\(id)", body: [singular: attributes])[singular] as? [String: Any] ?? [:]
        Output.show([item], columns: columns, format: c.format, single: true)
    }

    func delete(_ c: Connection, _ nameOrID: String) async throws {
        let id = try await c.client.resolve(plural, path, nameOrID, what: what)
        _ = try await c.client.call("DELETE", "\(path)/\(id)")
    }
}

// MARK: tap service

struct Service: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tap services: where mirrored traffic goes.",
                                                    subcommands: [Create.self, ListCommand<ServiceKind>.self, ShowCommand<ServiceKind>.self,
                                                                  UpdateCommand<ServiceKind>.self, DeleteCommand<ServiceKind>.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tap service on a port.")
        @OptionGroup var c: Connection
        @Option var name: String = ""
        @Option(help: ArgumentHelp("The destination port (id or name). Repeat it to spread the copies over several tool ports: "
                                   + "each copy goes to one of them, both directions of a connection to the same one.", valueName: "port"))
        var port: [String]
        @Option(help: "Cut every copy to this many bytes (14-65535); whole frames when not given.") var snaplen: Int?
        @OptionGroup var rate: RateOptions
        @Option var description: String = ""
        func validate() throws {
            guard !port.isEmpty else { throw ValidationError("Missing expected argument '--port <port>'") }
            try rate.validate()
        }
        func run() async throws {
            try await reporting {
                var portIDs: [String] = []
                for p in port { portIDs.append(try await c.client.resolve("ports", "/v2.0/ports", p, what: "port")) }
                var a: [String: Any] = ["name": name, "port_id": portIDs[0], "description": description]
                if portIDs.count > 1 { a["port_ids"] = portIDs }
                if let snaplen { a["snaplen"] = snaplen }
                a.merge(rate.attributes) { $1 }
                try await Kind.service.create(c, a)
            }
        }
    }




}

// MARK: tap flow

struct Flow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tap flows: source ports feeding a tap service.",
                                                    subcommands: [Create.self, ListCommand<FlowKind>.self, ShowCommand<FlowKind>.self,
                                                                  UpdateCommand<FlowKind>.self, DeleteCommand<FlowKind>.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mirror a port into a tap service.")
        @OptionGroup var c: Connection
        @Option var name: String = ""
        @Option(help: "The source port (id or name).") var port: String
        @Option(help: "The tap service (id or name).") var tapService: String
        @Option(help: "IN, OUT or BOTH.") var direction: String
        @Option(help: "VLAN ids and ranges, e.g. 9,18,27-36.") var vlanFilter: String?
        @Option(help: "Copy only IPv4 or IPv6 frames.") var ethertype: String?
        @Option(help: "Copy only this IP protocol: a name (tcp, udp, sctp, icmp, icmpv6, ...) or a number.") var `protocol`: String?
        @Option(help: "Copy only frames from this address or CIDR prefix.") var sourceIPPrefix: String?
        @Option(help: "Copy only frames to this address or CIDR prefix.") var destinationIPPrefix: String?
        @Option(help: "Copy only frames from this port or range N-M (needs --protocol tcp, udp or sctp).") var sourcePort: String?
        @Option(help: "Copy only frames to this port or range N-M (needs --protocol tcp, udp or sctp).") var destinationPort: String?
        @Option var description: String = ""
        func validate() throws {
            guard ["IN", "OUT", "BOTH"].contains(direction) else { throw ValidationError("--direction is IN, OUT or BOTH") }
            for (flag, value) in [("--source-port", sourcePort), ("--destination-port", destinationPort)] {
                if let value, Self.range(value) == nil { throw ValidationError("\(flag) is a port N or a range N-M, not \(value)") }
            }
        }

        /// "N" or "N-M" as (min, max); the API checks the values.
        static func range(_ text: String) -> (Int, Int)? {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            switch parts.count {
            case 1: return parts[0].map { ($0, $0) }
            case 2: if let a = parts[0], let b = parts[1] { return (a, b) } else { return nil }
            default: return nil
            }
        }
        func run() async throws {
            try await reporting {
                let portID = try await c.client.resolve("ports", "/v2.0/ports", port, what: "port")
                let serviceID = try await c.client.resolve(Kind.service.plural, Kind.service.path, tapService, what: "tap service")
                var a: [String: Any] = ["name": name, "source_port": portID, "tap_service_id": serviceID, "direction": direction,
                                        "description": description]
                if let vlanFilter { a["vlan_filter"] = vlanFilter }
                if let ethertype { a["ethertype"] = ethertype }
                if let `protocol` { a["protocol"] = `protocol` }
                if let sourceIPPrefix { a["source_ip_prefix"] = sourceIPPrefix }
                if let destinationIPPrefix { a["destination_ip_prefix"] = destinationIPPrefix }
                for (field, value) in [("source_port_range", sourcePort), ("destination_port_range", destinationPort)] {
                    guard let value, let (low, high) = Self.range(value) else { continue }
                    a[field + "_min"] = low
                    a[field + "_max"] = high
                }
                try await Kind.flow.create(c, a)
            }
        }
    }




}

// MARK: tap mirror

struct Mirror: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tap mirrors: a port mirrored to a remote analyzer over GRE or ERSPAN v1.",
                                                    subcommands: [Create.self, ListCommand<MirrorKind>.self, ShowCommand<MirrorKind>.self,
                                                                  UpdateCommand<MirrorKind>.self, DeleteCommand<MirrorKind>.self])

    struct Create: AsyncParsableCommand {
        @OptionGroup var c: Connection
        @Option var name: String = ""
        @Option(help: "The source port (id or name).") var port: String
        @Option(help: "DIRECTION=KEY, repeatable: IN=101 OUT=102, or BOTH=100.") var direction: [String]
        @Option(help: "The analyzer's IPv4 or IPv6 address.") var remoteIp: String
        @Option(help: "erspanv1 or gre.") var mirrorType: String
        @Option(help: "Cut every copy to this many bytes (14-65535) before encapsulation; whole frames when not given.") var snaplen: Int?
        @OptionGroup var rate: RateOptions
        @Option var description: String = ""
        func run() async throws {
            var dirs: [String: Any] = [:]
            for d in direction {
                let parts = d.split(separator: "=")
                guard parts.count == 2, let key = Int(parts[1]) else { throw ValidationError("--direction is DIRECTION=KEY, e.g. IN=101") }
                dirs[String(parts[0])] = key
            }
            try await reporting {
                let portID = try await c.client.resolve("ports", "/v2.0/ports", port, what: "port")
                var a: [String: Any] = ["name": name, "port_id": portID, "directions": dirs, "remote_ip": remoteIp,
                                        "mirror_type": mirrorType, "description": description]
                if let snaplen { a["snaplen"] = snaplen }
                a.merge(rate.attributes) { $1 }
                try await Kind.mirror.create(c, a)
            }
        }
    }




}

// MARK: port

struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "The port inventory (read-only).",
                                                    subcommands: [ListCommand<PortKind>.self, ShowCommand<PortKind>.self])
}

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "node", abstract: "The nodes the topology knows (admins only).",
                                                    subcommands: [ListCommand<NodeKind>.self, ShowCommand<NodeKind>.self])
}

// MARK: status

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status",
                                                    abstract: "Nodes, switch and OVSDB sessions, and resource statuses at a glance (admins only).")
    @OptionGroup var c: Connection
    func run() async throws {
        try await reporting {
            let s = try await c.client.call("GET", "/v2.0/taas/status")["status"] as? [String: Any] ?? [:]
            func counts(_ key: String) -> String {
                let d = s[key] as? [String: Any] ?? [:]
                return ["ACTIVE", "DOWN", "ERROR"].map { "\(d[$0] as? Int ?? 0) \($0)" }.joined(separator: ", ")
            }
            let item: [String: Any] = [
                "nodes": s["nodes"] ?? 0, "openflow_connected": s["openflow_connected"] ?? 0, "ovsdb_connected": s["ovsdb_connected"] ?? 0,
                "tap_services": counts("tap_services"), "tap_flows": counts("tap_flows"), "tap_mirrors": counts("tap_mirrors"),
                "statistics_reads": s["statistics_reads"] ?? 0,
            ]
            var columns = ["nodes", "openflow_connected", "ovsdb_connected", "tap_services", "tap_flows", "tap_mirrors", "statistics_reads"]
            var shown = item
            if let r = s["replication"] as? [String: Any] {
                // Replicas on a shared store: who leads, with which epoch, and this replica's role on each bridge.
                let replicas = (r["replicas"] as? [[String: Any]] ?? []).map { p in
                    "\(p["name"] as? String ?? "?") \(p["api"] as? String ?? "")\(p["leader"] as? Bool == true ? " (leader)" : "")"
                }
                let bridges = (r["bridges"] as? [[String: Any]] ?? []).map { "\($0["datapath_id"] as? String ?? "?") \($0["role"] as? String ?? "?")" }
                shown["role"] = r["role"] ?? ""
                shown["epoch"] = r["epoch"] ?? 0
                shown["leader"] = r["leader_name"] as? String ?? r["leader"] ?? ""
                shown["replicas"] = replicas
                shown["bridge_roles"] = bridges
                columns += ["role", "epoch", "leader", "replicas", "bridge_roles"]
            }
            Output.show([shown], columns: columns, format: c.format, single: true)
        }
    }
}

// MARK: the commands every kind shares

protocol ResourceKind { static var kind: Kind { get } }
enum ServiceKind: ResourceKind { static var kind: Kind { .service } }
enum FlowKind: ResourceKind { static var kind: Kind { .flow } }
enum MirrorKind: ResourceKind { static var kind: Kind { .mirror } }
enum PortKind: ResourceKind { static var kind: Kind { .port } }
enum NodeKind: ResourceKind { static var kind: Kind { .node } }

struct ListCommand<K: ResourceKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "list", abstract: "List \(K.kind.what)s.") }
    @OptionGroup var c: Connection
    func run() async throws { try await reporting { try await K.kind.list(c) } }
}

struct ShowCommand<K: ResourceKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "show", abstract: "Show one \(K.kind.what).") }
    @OptionGroup var c: Connection
    @Argument(help: "Name or id.") var nameOrID: String
    func run() async throws { try await reporting { try await K.kind.show(c, nameOrID) } }
}

struct UpdateCommand<K: ResourceKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "update", abstract: K.kind.truncates ? "Change a \(K.kind.what)'s name, description or snap length."
                                                                                : "Change a \(K.kind.what)'s name or description (nothing else can change).")
    }
    @OptionGroup var c: Connection
    @Argument(help: "Name or id.") var nameOrID: String
    @Option var name: String?
    @Option var description: String?
    @Option(help: "Tap services and tap mirrors: cut copies to this many bytes (14-65535), or \"none\" for whole frames.") var snaplen: String?
    @OptionGroup var rate: RateOptions

    func validate() throws {
        try rate.validate()
        if !rate.attributes.isEmpty && !K.kind.truncates { throw ValidationError("a \(K.kind.what) has no rate limit") }
        guard let snaplen else { return }
        guard K.kind.truncates else { throw ValidationError("a \(K.kind.what) has no snap length") }
        guard snaplen == "none" || Int(snaplen) != nil else { throw ValidationError("--snaplen is a number of bytes or \"none\"") }
    }

    func run() async throws {
        let value: Any? = snaplen.map { $0 == "none" ? NSNull() : Int($0) as Any }
        try await reporting { try await K.kind.update(c, nameOrID, name: name, description: description, snaplen: value, extra: rate.attributes) }
    }
}

/// Rate limits of tap services and tap mirrors (Neutron QoS's names); "none" clears one.
struct RateOptions: ParsableArguments {
    @Option(help: "Police copies to this many kbit/s where they are made (\"none\": no limit).") var maxKbps: String?
    @Option(help: "Burst of the kbit/s limit, in kbit (default 80 % of --max-kbps).") var maxBurstKbps: String?
    @Option(help: "Police copies to this many thousand packets/s (\"none\": no limit).") var maxKpps: String?

    func validate() throws {
        for (flag, v) in [("--max-kbps", maxKbps), ("--max-burst-kbps", maxBurstKbps), ("--max-kpps", maxKpps)] {
            if let v, v != "none", Int(v) == nil { throw ValidationError("\(flag) is a number or \"none\"") }
        }
    }

    var attributes: [String: Any] {
        var a: [String: Any] = [:]
        for (key, v) in [("max_kbps", maxKbps), ("max_burst_kbps", maxBurstKbps), ("max_kpps", maxKpps)] {
            guard let v else { continue }
            a[key] = v == "none" ? NSNull() : Int(v) as Any
        }
        return a
    }
}

struct DeleteCommand<K: ResourceKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "delete", abstract: "Delete a \(K.kind.what).") }
    @OptionGroup var c: Connection
    @Argument(help: "Name or id.") var nameOrID: String
    func run() async throws { try await reporting { try await K.kind.delete(c, nameOrID) } }
}
