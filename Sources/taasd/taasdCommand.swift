import NetworkTransport
import ArgumentParser
import Dispatch
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOPosix
import OVSDBClient
import OpenFlowServer
import Prometheus
import ServiceLifecycle
import SwitchSession
import TaaSAPI
import TaaSConfig
import TaaSController
import TaaSKeystone
import TaaSPolicy
import TaaSState
import TaaSStore
import TaaSVersion
import Topology

#if canImport(Glibc)
import Glibc
#endif

@main
struct Taasd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taasd",
        abstract: "Tap-as-a-Service OpenFlow 1.3 controller for Open vSwitch.",
        discussion: """
            Compute nodes point their integration bridge at taasd; taasd copies the traffic of the source ports your tap flows name to their tap service's port, on the same node or through a tunnel to another. Drive it with taasctl or the Neutron-TaaS REST API (--api).

            On each node (details in docs/deploy.md):
              ovs-vsctl set-controller br-int tcp:CONTROLLER:6653
              ovs-vsctl set-fail-mode br-int secure
              ovs-vsctl set open_vswitch . external_ids:taas-encap-ip=IP
              ovs-vsctl set-manager tcp:CONTROLLER:6640   (taasd: --ovsdb ptcp:6640)

            Targets use Open vSwitch's syntax: ptcp:[PORT][:IP], pssl:[PORT][:IP] and punix:PATH listen; tcp:IP[:PORT], ssl:IP[:PORT] and unix:PATH dial.

            Every option can also come from a YAML file (--config; keys are the option names, e.g. `log-level: debug`, lists as YAML lists) or the environment (TAASD_LOG_LEVEL=debug; lists comma-separated). A flag beats the environment, which beats the file, which beats the default. SIGTERM and SIGINT shut down gracefully; SIGHUP re-reads the log level and the tokens file.
            """,
        version: TaaSVersion.string
    )

    @Option(help: ArgumentHelp("YAML file with any of the settings below.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("openflow"), help: ArgumentHelp("Where switches connect (default ptcp:6653); repeatable.", valueName: "target"))
    var openflow: [String] = []

    @Option(name: .customLong("ovsdb"), help: ArgumentHelp("A node's OVSDB (tcp:NODE:6640), or ptcp:6640 for nodes that dial in; repeatable.",
                                                           valueName: "target"))
    var ovsdb: [String] = []

    @Option(help: ArgumentHelp("The integration bridge on every node (default br-int).", valueName: "name"))
    var bridge: String?

    @Option(help: ArgumentHelp("Tunnel between nodes: vxlan (default), geneve or gre.", valueName: "type"))
    var tunnelType: String?

    @Option(help: ArgumentHelp("YAML file declaring nodes and ports, for nodes whose OVSDB taasd cannot reach.", valueName: "file"))
    var topology: String?

    @Option(help: ArgumentHelp("Private key (PEM) for ssl and pssl targets.", valueName: "file"))
    var sslPrivateKey: String?

    @Option(help: ArgumentHelp("Certificate (PEM) for ssl and pssl targets.", valueName: "file"))
    var sslCertificate: String?

    @Option(help: ArgumentHelp("CA certificate (PEM) that switch certificates must be signed by.", valueName: "file"))
    var sslCaCert: String?

    @Option(help: ArgumentHelp("Seconds of silence before a switch is sent an echo request (default 5).", valueName: "seconds"))
    var echoInterval: String?

    @Option(help: ArgumentHelp("Seconds to wait for that echo before dropping the session (default 10).", valueName: "seconds"))
    var echoTimeout: String?

    @Option(help: ArgumentHelp("Address of the REST API, /metrics and /healthz (default 127.0.0.1:9696).", valueName: "host:port"))
    var api: String?

    @Option(help: ArgumentHelp("Certificate chain (PEM) for HTTPS on the API; with --api-tls-private-key.", valueName: "file"))
    var apiTlsCertificate: String?

    @Option(help: ArgumentHelp("Private key (PEM) of that certificate.", valueName: "file"))
    var apiTlsPrivateKey: String?

    @Option(help: ArgumentHelp("CA certificate (PEM): API clients must present a certificate it signed.", valueName: "file"))
    var apiTlsCaCert: String?

    @Option(help: ArgumentHelp("Serve /metrics on this address of its own (plain HTTP) instead of on the API's.", valueName: "host:port"))
    var metrics: String?

    @Option(help: ArgumentHelp("Where the policy is kept: an SQLite file (default \(SQLitePolicyStore.defaultPath)), or a PostgreSQL "
                               + "database, postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE (or ?host=/socket/directory).",
                               valueName: "path|url"))
    var db: String?

    @Option(help: ArgumentHelp("none (every caller is admin; for labs; the default), tokens:FILE (lines of TOKEN PROJECT ROLES) or "
                               + "keystone (X-Auth-Token validated by Keystone; its address and taasd's credentials in the config file's "
                               + "keystone: section, or TAASD_KEYSTONE_AUTH_URL, TAASD_KEYSTONE_PASSWORD, …).",
                               valueName: "mode"))
    var auth: String?

    @Option(help: ArgumentHelp("trace, debug, info (default), notice, warning, error or critical.", valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp("text (default) or json (one object per line).", valueName: "format"))
    var logFormat: String?

    @Option(help: ArgumentHelp("Seconds between reads of the switches' flow counters for per-tap-flow statistics (default 10).",
                               valueName: "seconds"))
    var statsInterval: String?

    @Option(help: ArgumentHelp("After a start, the longest wait for the nodes of the ports the policy names before any bridge is "
                               + "programmed, so that a restart changes nothing that is right (default 10; 0: no wait).",
                               valueName: "seconds"))
    var settle: String?

    @Option(help: ArgumentHelp("With a PostgreSQL --db: this replica's name in /v2.0/taas/status (default: the host name).",
                               valueName: "name"))
    var replicaName: String?

    @Option(help: ArgumentHelp("With a PostgreSQL --db: seconds a leader's lease lasts unless renewed; a replica takes over within about "
                               + "this long after the leader dies (default 1.5).", valueName: "seconds"))
    var lease: String?

    /// The settings, resolved from file, environment and flags.
    func settings() throws -> Settings {
        let flags: [String: String?] = [
            "bridge": bridge, "tunnel-type": tunnelType, "topology": topology, "ssl-private-key": sslPrivateKey,
            "ssl-certificate": sslCertificate, "ssl-ca-cert": sslCaCert, "echo-interval": echoInterval, "echo-timeout": echoTimeout,
            "api": api, "db": db, "auth": auth, "log-level": logLevel, "log-format": logFormat, "stats-interval": statsInterval, "settle": settle,
            "replica-name": replicaName, "lease": lease, "api-tls-certificate": apiTlsCertificate, "api-tls-private-key": apiTlsPrivateKey,
            "api-tls-ca-cert": apiTlsCaCert, "metrics": metrics,
        ]
        return try TaasdSettings.resolve(file: config, environment: ProcessInfo.processInfo.environment,
                                         flags: flags.compactMapValues { $0 }, lists: ["openflow": openflow, "ovsdb": ovsdb])
    }

    func validate() throws {
        do { _ = try settings() } catch let e as ConfigError { throw ValidationError(e.description) }
    }

    func run() async throws {
        // Whatever mask the parent left (a test runner blocks SIGTERM), the signals taasd acts on
        // must arrive.
        var wanted = sigset_t()
        sigemptyset(&wanted)
        for sig in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&wanted, sig) }
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
        let s: Settings
        do { s = try settings() } catch let e as ConfigError { throw ValidationError(e.description) }
        Heap.configure()
        let levelBox = LogLevelBox(Logger.Level(rawValue: s[text: "log-level"] ?? "info") ?? .info)
        let json = s[text: "log-format"] == "json"
        LoggingSystem.bootstrap { label in
            json ? JSONLogHandler(label: label, box: levelBox) as any LogHandler
                : TextLogHandler(inner: StreamLogHandler.standardError(label: label), box: levelBox)
        }
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        let logger = Logger(label: "taasd")

        var tls: TLSFiles?
        if let k = s[text: "ssl-private-key"], let c = s[text: "ssl-certificate"], let ca = s[text: "ssl-ca-cert"] {
            tls = TLSFiles(privateKey: k, certificate: c, caCertificate: ca)
            APIServing.warnIfOthersCanRead(k, what: "the OpenFlow and OVSDB private key", logger: logger)
        }
        // With TLS files and no --openflow, switches connect over TLS: never a silent plaintext listener.
        let openflow = tls != nil && s.origins["openflow"] == "default" ? ["pssl:6653"] : s[list: "openflow"]
        let targets = try openflow.map { t throws in try ConnectionTarget(parsing: t) }
        for case .passiveTCP(let port, let host) in targets {
            APIServing.warnIfPlaintext(host.isEmpty ? "0.0.0.0" : host, what: "OpenFlow on port \(port)", logger: logger)
        }
        if let config, ["keystone", "postgres"].contains(where: { s[fields: $0]?["password"] != nil && s.origins[$0]?.hasPrefix(config) == true }) {
            APIServing.warnIfOthersCanRead(config, what: "the config file, which holds a password,", logger: logger)
        }
        let echoInterval = s[number: "echo-interval"] ?? 5
        let session = SessionStateMachine.Configuration(idleInterval: .milliseconds(Int64(echoInterval * 1000)),
                                                        echoTimeout: .milliseconds(Int64((s[number: "echo-timeout"] ?? 10) * 1000)))
        let server = try OpenFlowServer(configuration: .init(targets: targets, session: session, tls: tls),
                                        group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        logger.info("taasd starting", metadata: ["version": "\(TaaSVersion.string)", "config": "\(config ?? "none")"])

        // The policy: durable store first, then the API on top of it.
        let database = try Self.database(s)
        let store = try Self.store(database, logger: logger)
        let policy = try PolicyService(store: store)
        let authSource = AuthSource(try Self.authMode(s, logger: logger))
        let (apiHost, apiPort) = TaasdSettings.hostPort(s[text: "api"] ?? "") ?? ("127.0.0.1", 9696)
        // Replicas on a shared store: a lease says which one programs the switches.
        let leadership: Leadership
        var replicaServices: [any Service] = []
        var roles: AsyncStream<Role>?
        var shareStatuses: (@Sendable ([(ResourceKind, ResourceID, ResourceState)]) -> Void)?
        let statuses = StatusBoard(), counters = CounterBoard()
        if let shared = store as? PostgresPolicyStore {
            let url = database
            let lease = try PostgresLease(url: url, name: s[text: "replica-name"] ?? ProcessInfo.processInfo.hostName, api: "\(apiHost):\(apiPort)",
                                          duration: .milliseconds(Int64((s[number: "lease"] ?? 1.5) * 1000)), logger: logger)
            leadership = Leadership(.init(role: .follower(epoch: 0), replica: lease.replicaID))
            let (stream, continuation) = AsyncStream<Role>.makeStream()
            roles = stream
            let (outgoing, send) = StatusSharing.makeStream()
            shareStatuses = send
            replicaServices = [LeaseKeeper(lease: lease, leadership: leadership, roles: continuation, logger: logger),
                               PolicyFollower(store: shared, policy: policy, logger: logger),
                               StatusSharing(share: try PostgresStatusShare(url: url, replicaID: lease.replicaID, logger: logger),
                                             leadership: leadership, board: statuses, outgoing: outgoing, logger: logger)]
            logger.info("replica", metadata: ["id": "\(lease.replicaID)", "name": "\(lease.name)", "lease": "\(lease.duration)"])
        } else {
            leadership = Leadership()
        }
        let ovsdbTargets = try s[list: "ovsdb"].map { t throws in try OVSDBManager.target(t) }
        for case .passiveTCP(let port, let host) in ovsdbTargets {
            APIServing.warnIfPlaintext(host.isEmpty ? "0.0.0.0" : host, what: "OVSDB on port \(port)", logger: logger)
        }
        let manager = ovsdbTargets.isEmpty ? nil : try OVSDBManager(
            configuration: .init(targets: ovsdbTargets, probeInterval: .milliseconds(Int64(echoInterval * 1000)), tls: tls),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        var declared: StaticTopology?
        if let file = s[text: "topology"] {
            do {
                let parsed = try StaticTopology(yaml: try String(contentsOfFile: file, encoding: .utf8))
                // The parser's freed memory, consolidated, then takes the ports' strings side by side.
                Heap.trim()
                declared = parsed.compacted()
            } catch {
                throw ValidationError("\(file): \(error)")
            }
        }
        let topology = TopologyService(configuration: .init(bridge: s[text: "bridge"] ?? "br-int", tunnelType: s[text: "tunnel-type"] ?? "vxlan",
                                                             declared: declared), policy: policy, leadership: leadership,
                                        logger: logger) { session, ops in
            guard let manager else { throw OVSDBCallError.closed }
            return try await manager.transact(session: session, ops)
        }
        let controller = ControllerService(
            configuration: .init(settle: .milliseconds(Int64((s[number: "settle"] ?? 10) * 1000)),
                                 statisticsInterval: .milliseconds(Int64((s[number: "stats-interval"] ?? 10) * 1000))),
            policy: policy, topology: topology, registry: server.registry, ovsdb: manager?.events, leadership: leadership, roles: roles,
            shareStatuses: shareStatuses, statuses: statuses, counters: counters, logger: logger)
        let readiness = Readiness(waitingFor: Set(["api", "openflow"] + (manager == nil ? [] : ["ovsdb"])))
        let operations = RunningController(topology: topology, counters: counters, prometheus: prometheus, readiness: readiness,
                                           leadership: leadership, registry: server.registry)
        let apiTLS = try APIServing.tls(s, logger: logger)
        if apiTLS == nil { APIServing.warnIfPlaintext(apiHost, what: "the REST API", logger: logger) }
        let app = Application(router: TaaSAPI.makeRouter(service: policy, statuses: statuses, auth: .reloadable(authSource), nodes: topology,
                                                         operations: operations, scheme: apiTLS == nil ? "http" : "https",
                                                         serveMetrics: s[text: "metrics"] == nil),
                              server: try APIServing.server(apiTLS),
                              configuration: .init(address: .hostname(apiHost, port: apiPort), serverName: "taasd"),
                              onServerRunning: { _ in readiness.done("api") }, logger: logger)
        // /metrics on a listener of its own: per-tap-flow series need not sit beside the API.
        var metricsServer: [any Service] = []
        if let address = s[text: "metrics"], let (host, port) = TaasdSettings.hostPort(address) {
            metricsServer.append(Application(router: TaaSAPI.makeMetricsRouter(operations: operations),
                                             configuration: .init(address: .hostname(host, port: port), serverName: "taasd"), logger: logger))
            logger.info("metrics served apart", metadata: ["address": "\(address)"])
        }

        var services: [any Service] = [
            ClosureService {
                try await cancelWhenGracefulShutdown {
                    try await server.listen()
                    readiness.done("openflow")
                    try await server.run()
                }
            },
        ]
        if let manager {
            services.append(ClosureService {
                try await cancelWhenGracefulShutdown {
                    try await manager.listen()
                    readiness.done("ovsdb")
                    try await manager.run()
                }
            })
        }
        services += replicaServices + [
            controller,
            ClosureService {
                for await _ in Self.signals(SIGHUP).cancelOnGracefulShutdown() {
                    Self.reload(config: config, levelBox: levelBox, auth: authSource, logger: logger, command: self)
                }
            },
            // Last in, first out: the API stops taking requests before the rest shuts down.
            app,
        ] + metricsServer
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("taasd stopped")
    }

    /// Where the policy is: `db` when given, else a `postgres:` section's database, else the
    /// default SQLite file.
    static func database(_ s: Settings) throws -> String {
        if s.origins["db"] == "default", let fields = s[fields: "postgres"] {
            do { return try PostgresPolicyStore.url(fields: fields) } catch { throw ValidationError("\(error)") }
        }
        return s[text: "db"] ?? SQLitePolicyStore.defaultPath
    }

    /// The policy store `--db` names: a PostgreSQL URL, or an SQLite file (its directory made).
    static func store(_ db: String, logger: Logger) throws -> PolicyStore {
        if db.hasPrefix("postgresql://") || db.hasPrefix("postgres://") {
            let store = try PostgresPolicyStore(url: db, logger: logger)
            logger.info("policy store", metadata: ["postgresql": "\(store.location)"])
            return store
        }
        try FileManager.default.createDirectory(atPath: (db as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return try SQLitePolicyStore(path: db)
    }

    /// How callers are identified. A Keystone validator already running with the same settings is
    /// kept (and its cache with it) when the settings are read again.
    static func authMode(_ s: Settings, logger: Logger, running: AuthMode? = nil) throws -> AuthMode {
        let text = s[text: "auth"] ?? "none"
        if text == "keystone" {
            let settings: KeystoneSettings
            do { settings = try KeystoneSettings(fields: s[fields: "keystone"] ?? [:]) } catch { throw ValidationError("\(error)") }
            if case .external(let v as KeystoneValidator)? = running, v.settings == settings { return .external(v) }
            logger.info("tokens validated by Keystone", metadata: ["auth_url": "\(settings.authURL)", "user": "\(settings.username)",
                                                                  "project": "\(settings.projectName)"])
            return .external(KeystoneValidator(settings: settings, logger: logger))
        }
        guard text.hasPrefix("tokens:") else { return .none }
        let file = String(text.dropFirst("tokens:".count))
        APIServing.warnIfOthersCanRead(file, what: "the tokens file", logger: logger)
        do {
            return try AuthMode.parseTokens(try String(contentsOfFile: file, encoding: .utf8))
        } catch {
            throw ValidationError("\(file): \(error)")
        }
    }

    /// SIGHUP: the log level and the tokens file are read again; what fails to load is reported
    /// and the running values are kept.
    static func reload(config: String?, levelBox: LogLevelBox, auth: AuthSource, logger: Logger, command: Taasd) {
        do {
            let s = try command.settings()
            if let level = s[text: "log-level"].flatMap(Logger.Level.init(rawValue:)) { levelBox.current = level }
            auth.replace(with: try authMode(s, logger: logger, running: auth.current))
            logger.notice("reloaded", metadata: ["log_level": "\(levelBox.current)", "auth": "\(s[text: "auth"] ?? "none")"])
        } catch {
            logger.error("reload failed; keeping the running settings", metadata: ["error": "\(error)"])
        }
    }

    /// Deliveries of a signal, as a stream.
    static func signals(_ sig: Int32) -> AsyncStream<Void> {
        signal(sig, SIG_IGN)
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let source = SignalSource(DispatchSource.makeSignalSource(signal: sig))
        source.source.setEventHandler { continuation.yield() }
        source.source.resume()
        continuation.onTermination = { _ in source.source.cancel() }
        return stream
    }
}

/// A dispatch signal source, handed to the stream's termination handler (dispatch sources are
/// thread-safe; the type is not marked Sendable).
final class SignalSource: @unchecked Sendable {
    let source: any DispatchSourceSignal
    init(_ source: any DispatchSourceSignal) { self.source = source }
}
