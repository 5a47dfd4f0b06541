import Foundation
import ArgumentParser
import TaaSWire

/// One kind of resource: its wire type, where it lives and how it prints.
protocol ResourceKind {
    associatedtype Info: WireResource
    static var path: String { get }
    static var what: String { get }
    static var columns: [String] { get }
    /// Whether its copies can be truncated and policed (`snaplen`, rate limits).
    static var truncates: Bool { get }
}

extension ResourceKind {
    static var truncates: Bool { false }

    static func list(_ c: Connection) async throws {
        let items = try await c.client.call("GET", path, Many<Info, Info>.self).values
        Output.show(try items.map(Output.row), columns: columns, format: c.format, single: false)
    }

    static func show(_ c: Connection, _ nameOrID: String) async throws {
        let id = try await c.client.resolve(Info.self, path, nameOrID, what: what)
        var item = try Output.row(try await c.client.call("GET", "\(path)/\(id)", One<Info, Info>.self).value)
        var shown = columns
        if Info.self == TapFlowInfo.self {
            // The copies the switches counted, from their flow counters at taasd's last read.
            let stats = try await c.client.call("GET", "\(path)/\(id)/statistics", TapFlowStatistics.Envelope.self).statistics
            item["mirrored_packets"] = stats.counted ? .int(stats.packets) : "not read yet"
            item["mirrored_bytes"] = stats.counted ? .int(stats.bytes) : "not read yet"
            shown += ["mirrored_packets", "mirrored_bytes"]
        }
        Output.show([item], columns: shown, format: c.format, single: true)
    }

    static func delete(_ c: Connection, _ nameOrID: String) async throws {
        let id = try await c.client.resolve(Info.self, path, nameOrID, what: what)
        try await c.client.delete("\(path)/\(id)")
    }
}

extension ResourceKind where Info: WritableResource {
    static func create(_ c: Connection, _ request: Info.Create) async throws {
        let item = try await c.client.call("POST", path, body: One<Info, Info.Create>(request), One<Info, Info>.self).value
        Output.show([try Output.row(item)], columns: columns, format: c.format, single: true)
    }

    static func update(_ c: Connection, _ nameOrID: String, _ change: ResourceUpdate<Info>) async throws {
        let id = try await c.client.resolve(Info.self, path, nameOrID, what: what)
        let item = try await c.client.call("PUT", "\(path)/\(id)", body: One<Info, ResourceUpdate<Info>>(change), One<Info, Info>.self).value
        Output.show([try Output.row(item)], columns: columns, format: c.format, single: true)
    }
}

enum ServiceKind: ResourceKind {
    typealias Info = TapServiceInfo
    static let path = "/v2.0/taas/tap_services", what = "tap service", truncates = true
    static let columns = ["id", "name", "port_ids", "snaplen", "max_kbps", "max_kpps", "status", "project_id", "description"]
}

enum FlowKind: ResourceKind {
    typealias Info = TapFlowInfo
    static let path = "/v2.0/taas/tap_flows", what = "tap flow"
    static let columns = ["id", "name", "tap_service_id", "source_port", "direction", "vlan_filter", "status", "status_reason"]
}

enum MirrorKind: ResourceKind {
    typealias Info = TapMirrorInfo
    static let path = "/v2.0/taas/tap_mirrors", what = "tap mirror", truncates = true
    static let columns = ["id", "name", "port_id", "directions", "remote_ip", "mirror_type", "snaplen", "status"]
}

enum PortKind: ResourceKind {
    typealias Info = PortInfo
    static let path = "/v2.0/ports", what = "port"
    static let columns = ["id", "name", "mac_address", "binding:host_id", "status", "project_id"]
}

enum NodeKind: ResourceKind {
    typealias Info = NodeInfo
    static let path = "/v2.0/taas/nodes", what = "node"
    static let columns = ["id", "name", "bridge", "datapath_id", "encap_ip", "openflow", "ovsdb"]
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
                for p in port { portIDs.append(try await c.client.resolve(PortInfo.self, PortKind.path, p, what: "port")) }
                try await ServiceKind.create(c, TapServiceCreate(portIDs: portIDs, name: name, description: description, snaplen: snaplen,
                                                                 rateLimit: rate.limits))
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
                let portID = try await c.client.resolve(PortInfo.self, PortKind.path, port, what: "port")
                let serviceID = try await c.client.resolve(TapServiceInfo.self, ServiceKind.path, tapService, what: "tap service")
                let source = sourcePort.flatMap(Self.range), destination = destinationPort.flatMap(Self.range)
                let traffic = TrafficFilterFields(ethertype: ethertype, protocol: `protocol`, sourceIPPrefix: sourceIPPrefix,
                                                  destinationIPPrefix: destinationIPPrefix, sourcePortRangeMin: source?.0,
                                                  sourcePortRangeMax: source?.1, destinationPortRangeMin: destination?.0,
                                                  destinationPortRangeMax: destination?.1)
                try await FlowKind.create(c, TapFlowCreate(tapServiceID: serviceID, sourcePort: portID, direction: direction, name: name,
                                                           description: description, vlanFilter: vlanFilter, traffic: traffic))
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
            var dirs: [String: Int] = [:]
            for d in direction {
                let parts = d.split(separator: "=")
                guard parts.count == 2, let key = Int(parts[1]) else { throw ValidationError("--direction is DIRECTION=KEY, e.g. IN=101") }
                dirs[String(parts[0])] = key
            }
            try await reporting {
                let portID = try await c.client.resolve(PortInfo.self, PortKind.path, port, what: "port")
                try await MirrorKind.create(c, TapMirrorCreate(portID: portID, directions: dirs, remoteIP: remoteIp, mirrorType: mirrorType,
                                                               name: name, description: description, snaplen: snaplen,
                                                               rateLimit: rate.limits))
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
            let s = try await c.client.call("GET", "/v2.0/taas/status", ControllerStatus.Envelope.self).status
            func counts(_ d: [String: Int]) -> JSONValue {
                .string(["ACTIVE", "DOWN", "ERROR"].map { "\(d[$0] ?? 0) \($0)" }.joined(separator: ", "))
            }
            var shown: Output.Row = [
                "nodes": .int(s.nodes), "openflow_connected": .int(s.openflowConnected), "ovsdb_connected": .int(s.ovsdbConnected),
                "tap_services": counts(s.tapServices), "tap_flows": counts(s.tapFlows), "tap_mirrors": counts(s.tapMirrors),
                "statistics_reads": .int(s.statisticsReads),
            ]
            var columns = ["nodes", "openflow_connected", "ovsdb_connected", "tap_services", "tap_flows", "tap_mirrors", "statistics_reads"]
            if let r = s.replication {
                // Replicas on a shared store: who leads, with which epoch, and this replica's role on each bridge.
                shown["role"] = .string(r.role)
                shown["epoch"] = .int(r.epoch)
                shown["leader"] = .string(r.leaderName ?? r.leader ?? "")
                shown["replicas"] = .array(r.replicas.map { .string("\($0.name) \($0.api)\($0.leader ? " (leader)" : "")") })
                shown["bridge_roles"] = .array(r.bridges.map { .string("\($0.datapathID) \($0.role)") })
                columns += ["role", "epoch", "leader", "replicas", "bridge_roles"]
            }
            Output.show([shown], columns: columns, format: c.format, single: true)
        }
    }
}

// MARK: the commands every kind shares

struct ListCommand<K: ResourceKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "list", abstract: "List \(K.what)s.") }
    @OptionGroup var c: Connection
    func run() async throws { try await reporting { try await K.list(c) } }
}

struct ShowCommand<K: ResourceKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "show", abstract: "Show one \(K.what).") }
    @OptionGroup var c: Connection
    @Argument(help: "Name or id.") var nameOrID: String
    func run() async throws { try await reporting { try await K.show(c, nameOrID) } }
}

struct UpdateCommand<K: ResourceKind>: AsyncParsableCommand where K.Info: WritableResource {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "update", abstract: K.truncates ? "Change a \(K.what)'s name, description or snap length."
                                                                                : "Change a \(K.what)'s name or description (nothing else can change).")
    }
    @OptionGroup var c: Connection
    @Argument(help: "Name or id.") var nameOrID: String
    @Option var name: String?
    @Option var description: String?
    @Option(help: "Tap services and tap mirrors: cut copies to this many bytes (14-65535), or \"none\" for whole frames.") var snaplen: String?
    @OptionGroup var rate: RateOptions

    func validate() throws {
        try rate.validate()
        if rate.change != RateOptions.Change() && !K.truncates { throw ValidationError("a \(K.what) has no rate limit") }
        guard let snaplen else { return }
        guard K.truncates else { throw ValidationError("a \(K.what) has no snap length") }
        guard snaplen == "none" || Int(snaplen) != nil else { throw ValidationError("--snaplen is a number of bytes or \"none\"") }
    }

    func run() async throws {
        let r = rate.change
        let change = ResourceUpdate<K.Info>(name: name, description: description, snaplen: snaplen.map { $0 == "none" ? nil : Int($0) },
                                            maxKbps: r.maxKbps, maxBurstKbps: r.maxBurstKbps, maxKpps: r.maxKpps)
        guard !change.isEmpty else {
            throw ValidationError(K.truncates ? "give --name, --description, --snaplen or a rate limit" : "give --name and/or --description")
        }
        try await reporting { try await K.update(c, nameOrID, change) }
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

    /// Each limit: nil unchanged, `.some(nil)` cleared ("none").
    struct Change: Equatable {
        var maxKbps: Int??, maxBurstKbps: Int??, maxKpps: Int??
    }

    var change: Change {
        func value(_ v: String?) -> Int?? { v.map { $0 == "none" ? nil : Int($0) } }
        return Change(maxKbps: value(maxKbps), maxBurstKbps: value(maxBurstKbps), maxKpps: value(maxKpps))
    }

    /// On create: the limits given ("none" is no limit).
    var limits: RateLimitFields {
        let c = change
        return RateLimitFields(maxKbps: c.maxKbps ?? nil, maxBurstKbps: c.maxBurstKbps ?? nil, maxKpps: c.maxKpps ?? nil)
    }
}

struct DeleteCommand<K: ResourceKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "delete", abstract: "Delete a \(K.what).") }
    @OptionGroup var c: Connection
    @Argument(help: "Name or id.") var nameOrID: String
    func run() async throws { try await reporting { try await K.delete(c, nameOrID) } }
}
