import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import Foundation
import Hummingbird
import OVSDBClient
import OpenFlowServer
import TaaSController
import Topology
import TaaSAPI
import TaaSPolicy
import TaaSStore
import SwitchSession
import TaaSVersion
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

@main
struct Taasd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taasd",
        abstract: "Tap-as-a-Service OpenFlow 1.3 controller for Open vSwitch.",
        discussion: """
            Point bridges at it with `ovs-vsctl set-controller br-int tcp:CONTROLLER:6653` (or ssl:, unix:).
            Targets use Open vSwitch's syntax: ptcp:[PORT][:IP], pssl:[PORT][:IP] and punix:PATH listen;
            tcp:IP[:PORT], ssl:IP[:PORT] and unix:PATH dial bridges that listen (ovs-vsctl set-controller br-int ptcp:6653).

            To learn where ports are, taasd reads each node's Open vSwitch database: --ovsdb tcp:NODE:6640 (or ssl:, unix:)
            connects to a node's ovsdb-server; --ovsdb ptcp:6640 accepts nodes configured with
            `ovs-vsctl set-manager tcp:CONTROLLER:6640`. Each node names its tunnel endpoint with
            `ovs-vsctl set open_vswitch . external_ids:taas-encap-ip=IP`.
            """,
        version: TaaSVersion.string
    )

    @Option(name: .customLong("openflow"), help: ArgumentHelp("OpenFlow target; repeatable.", valueName: "target"))
    var openflow: [String] = ["ptcp:6653"]

    @Option(name: .customLong("ovsdb"), help: ArgumentHelp("OVSDB target (a node's database, or ptcp:6640 for nodes that dial in); repeatable.",
                                                           valueName: "target"))
    var ovsdb: [String] = []

    @Option(help: ArgumentHelp("The integration bridge on every node.", valueName: "name"))
    var bridge = "br-int"

    @Option(help: ArgumentHelp("Type of the flow-based tunnel port between nodes: vxlan, geneve or gre.", valueName: "type"))
    var tunnelType = "vxlan"

    @Option(help: ArgumentHelp("YAML file declaring nodes and ports, for nodes whose OVSDB taasd cannot reach.", valueName: "file"))
    var topology: String?

    @Option(help: ArgumentHelp("Private key (PEM) for ssl targets.", valueName: "file"))
    var sslPrivateKey: String?

    @Option(help: ArgumentHelp("Certificate (PEM) for ssl targets.", valueName: "file"))
    var sslCertificate: String?

    @Option(help: ArgumentHelp("CA certificate (PEM) that switch certificates must be signed by.", valueName: "file"))
    var sslCaCert: String?

    @Option(help: ArgumentHelp("Seconds without traffic before a switch is sent an echo request.", valueName: "seconds"))
    var echoInterval: Double = 5

    @Option(help: ArgumentHelp("Seconds to wait for that echo before closing the session.", valueName: "seconds"))
    var echoTimeout: Double = 10

    @Option(help: ArgumentHelp("Address of the REST API (Neutron's port by default).", valueName: "host:port"))
    var api = "127.0.0.1:9696"

    @Option(help: ArgumentHelp("SQLite database of the policy.", valueName: "path"))
    var db = SQLitePolicyStore.defaultPath

    @Option(help: ArgumentHelp("none (every caller is admin; for labs) or tokens:FILE (lines of TOKEN PROJECT ROLES).", valueName: "mode"))
    var auth = "none"

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        for t in openflow {
            do { _ = try ConnectionTarget(parsing: t) } catch { throw ValidationError(error.description) }
        }
        for t in ovsdb {
            do { _ = try OVSDBManager.target(t) } catch { throw ValidationError(error.description) }
        }
        guard ["vxlan", "geneve", "gre"].contains(tunnelType) else { throw ValidationError("--tunnel-type is vxlan, geneve or gre") }
        guard !bridge.isEmpty else { throw ValidationError("--bridge needs a bridge name") }
        guard (0.1...3600).contains(echoInterval), (0.1...3600).contains(echoTimeout) else {
            throw ValidationError("--echo-interval and --echo-timeout are seconds from 0.1 to 3600")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard Self.hostPort(api) != nil else { throw ValidationError("--api must be HOST:PORT, e.g. 127.0.0.1:9696") }
        guard auth == "none" || auth.hasPrefix("tokens:") else { throw ValidationError("--auth is none or tokens:FILE") }
        let tlsFiles = [sslPrivateKey, sslCertificate, sslCaCert]
        if tlsFiles.contains(where: { $0 != nil }) && tlsFiles.contains(where: { $0 == nil }) {
            throw ValidationError("--ssl-private-key, --ssl-certificate and --ssl-ca-cert go together")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "taasd")
        let targets = try openflow.map { t throws in try ConnectionTarget(parsing: t) }
        var tls: TLSFiles?
        if let k = sslPrivateKey, let c = sslCertificate, let ca = sslCaCert {
            tls = TLSFiles(privateKey: k, certificate: c, caCertificate: ca)
        }
        let session = SessionStateMachine.Configuration(idleInterval: .milliseconds(Int64(echoInterval * 1000)),
                                                        echoTimeout: .milliseconds(Int64(echoTimeout * 1000)))
        let server = try OpenFlowServer(configuration: .init(targets: targets, session: session, tls: tls),
                                        group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        logger.info("taasd starting", metadata: ["version": "\(TaaSVersion.string)"])

        // The policy: durable store first, then the API on top of it.
        try FileManager.default.createDirectory(atPath: (db as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let policy = try PolicyService(store: try SQLitePolicyStore(path: db))
        var authMode = AuthMode.none
        if auth.hasPrefix("tokens:") {
            let file = String(auth.dropFirst("tokens:".count))
            authMode = try AuthMode.parseTokens(try String(contentsOfFile: file, encoding: .utf8))
        }
        let (apiHost, apiPort) = Self.hostPort(api) ?? ("127.0.0.1", 9696)
        let ovsdbTargets = try ovsdb.map { t throws in try OVSDBManager.target(t) }
        let manager = ovsdbTargets.isEmpty ? nil : try OVSDBManager(
            configuration: .init(targets: ovsdbTargets, probeInterval: .milliseconds(Int64(echoInterval * 1000)), tls: tls),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        var declared: StaticTopology?
        if let file = self.topology {
            do {
                declared = try StaticTopology(yaml: try String(contentsOfFile: file, encoding: .utf8))
            } catch {
                throw ValidationError("\(file): \(error)")
            }
        }
        let topology = TopologyService(configuration: .init(bridge: bridge, tunnelType: tunnelType, declared: declared), policy: policy,
                                       logger: logger) { s, ops in
            guard let manager else { throw OVSDBCallError.closed }
            return try await manager.transact(session: s, ops)
        }
        let pipeline = PipelineService(policy: policy, topology: topology, registry: server.registry, logger: logger)
        let app = Application(router: TaaSAPI.makeRouter(service: policy, auth: authMode, nodes: topology),
                              configuration: .init(address: .hostname(apiHost, port: apiPort), serverName: "taasd"), logger: logger)

        // Subscribed before the server starts, so no event is missed.
        let events = server.registry.events()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            group.addTask { try await app.run() }
            let policyChanges = await policy.changes()
            let topologyChanges = await topology.events()
            group.addTask {
                await topology.policyChanged()
                await pipeline.run()
                for await _ in policyChanges {
                    await topology.policyChanged()
                    await pipeline.run()
                }
            }
            group.addTask {
                for await _ in topologyChanges { await pipeline.run() }
            }
            if let manager {
                group.addTask { try await manager.run() }
                group.addTask { for await e in manager.events { await topology.handle(e) } }
            }
            group.addTask {
                // Each switch event reaches the topology, then the pipeline, and is logged.
                for await event in events {
                    await topology.handle(event)
                    await pipeline.handle(event)
                    switch event {
                    case .connected(let info):
                        logger.info("switch connected", metadata: ["datapath_id": "\(info.datapathIDString)", "ports": "\(info.ports.count)"])
                    case .disconnected(let dpid, let reason):
                        logger.info("switch disconnected", metadata: ["datapath_id": "\(DatapathID.format(dpid))", "reason": "\(reason)"])
                    case .portChanged(let dpid, let change):
                        logger.info("port changed", metadata: ["datapath_id": "\(DatapathID.format(dpid))", "change": "\(change)"])
                    }
                }
            }
            group.addTask {
                await Self.waitForTerminationSignal()
                logger.info("shutting down")
            }
            // The first task to finish (a signal, or the server failing) ends the process.
            try await group.next()
            group.cancelAll()
        }
    }

    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    /// Returns on SIGINT or SIGTERM.
    static func waitForTerminationSignal() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let sources = [SIGINT, SIGTERM].map { sig in
            let s = DispatchSource.makeSignalSource(signal: sig)
            s.setEventHandler { continuation.yield() }
            s.resume()
            return s
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}
