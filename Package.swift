// swift-tools-version: 6.1
import PackageDescription

// Pure modules (OpenFlow codec, its text form) depend on nothing that does I/O.
// Executables and adapters are thin shells around them.
let package = Package(
    name: "taas",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "OpenFlow", targets: ["OpenFlow"]),
        .library(name: "OpenFlowText", targets: ["OpenFlowText"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "TaaSPolicy", targets: ["TaaSPolicy"]),
        .library(name: "TaaSState", targets: ["TaaSState"]),
        .library(name: "TaaSStore", targets: ["TaaSStore"]),
        // The API's request and response types, for Swift clients of taasd.
        .library(name: "TaaSWire", targets: ["TaaSWire"]),
        .library(name: "Topology", targets: ["Topology"]),
        .library(name: "OVSDB", targets: ["OVSDB"]),
        // For the end-to-end benchmark programs in Benchmarks/.
        .library(name: "OpenFlowServer", targets: ["OpenFlowServer"]),
        .library(name: "SwitchSession", targets: ["SwitchSession"]),
        .library(name: "NetworkTransport", targets: ["NetworkTransport"]),
        .library(name: "TaaSController", targets: ["TaaSController"]),
        .library(name: "LabKit", targets: ["LabKit"]),
        .executable(name: "taasd", targets: ["taasd"]),
        .executable(name: "taasctl", targets: ["taasctl"]),
        .executable(name: "taas-lab", targets: ["taas-lab"]),
        .executable(name: "openflow-fuzz", targets: ["openflow-fuzz"]),
        .executable(name: "switch-sim", targets: ["switch-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // OpenFlow 1.3 wire codec: pure, NIOCore only.
        .target(
            name: "OpenFlow",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // ovs-ofctl text form of flows, groups and meters (render and parse).
        .target(name: "OpenFlowText", dependencies: ["OpenFlow"]),
        // Switch sessions, pure: the handshake/keepalive/request state machine, port tables.
        .target(
            name: "SwitchSession",
            dependencies: ["OpenFlow", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Where connections come from and go to, shared by the OpenFlow server and the OVSDB client:
        // target syntax (ptcp:, ssl:, unix:…), binding, dialling with backoff, TLS files.
        .target(
            name: "NetworkTransport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The OpenFlow server on SwiftNIO: listeners, connectors, TLS, the session registry.
        .target(
            name: "OpenFlowServer",
            dependencies: [
                "OpenFlow", "SwitchSession", "NetworkTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // A simulated switch (handshake, echo, barrier, dumps, flow and group tables, bundles) for scale and robustness tests.
        .target(
            name: "SwitchSimulator",
            dependencies: ["OpenFlow", "Topology", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")]
        ),
        .executableTarget(
            name: "switch-sim",
            dependencies: ["SwitchSimulator", "Topology", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "NIOPosix", package: "swift-nio")]
        ),
        // The transport alone under a push (loopback TCP and SwiftNIO, nothing parsed): bench-sim.py's reference.
        .executableTarget(
            name: "transport-floor",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio")]
        ),
        // OVSDB (RFC 7047), pure: JSON, JSON-RPC framing, datums, the monitored replica, managed-port plans.
        .target(name: "OVSDB"),
        // OVSDB sessions on SwiftNIO: active and passive targets, monitor, echo, transact.
        .target(
            name: "OVSDBClient",
            dependencies: [
                "OVSDB", "NetworkTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Where nodes and ports are, joined from OVSDB and OpenFlow (pure).
        .target(name: "Topology", dependencies: ["OVSDB", "TaaSCollections", .product(name: "Yams", package: "Yams")]),
        // taasd's settings from a YAML file, the environment and flags, with errors that point at the line (pure).
        .target(name: "TaaSConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        // The mirroring pipeline, pure: (policy, topology) → flows and groups per bridge; the reconciler's plans.
        .target(name: "Pipeline", dependencies: ["OpenFlow", "OpenFlowText", "TaaSPolicy", "Topology"]),
        // The controller as one service: topology from OVSDB and OpenFlow, the core (engine, pushes,
        // statuses; pure), bridges programmed, counters read, managed ports.
        .target(
            name: "TaaSController",
            dependencies: ["OVSDB", "OVSDBClient", "Topology", "Pipeline", "OpenFlowServer", "SwitchSession", "TaaSPolicy",
                           "TaaSState", "OpenFlow", "OpenFlowText", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        // Small collections the large tables use (pure).
        .target(name: "TaaSCollections"),
        // The TaaS policy table: resources, validation, rules and change sets (pure).
        .target(name: "TaaSPolicy", dependencies: ["TaaSCollections"]),
        // The policy and its statuses, shared by the API and the controller: the policy service and its
        // deltas, the store protocol, the status board, what the controller reports.
        .target(name: "TaaSState", dependencies: ["TaaSPolicy"]),
        // Durable storage of the policy: SQLite through GRDB.
        .target(name: "TaaSStore", dependencies: [
            "TaaSPolicy", "TaaSState", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Writes to a store as fast as it can, printing each acknowledged id (the crash test's child).
        .executableTarget(name: "store-crash-writer", dependencies: ["TaaSStore", "TaaSState", "TaaSPolicy"]),
        // The API's wire types (pure, Codable): requests with Neutron's checks, responses, envelopes;
        // shared by the server, taasctl and the tests.
        .target(name: "TaaSWire"),
        // The Neutron-TaaS-compatible REST API (Hummingbird): routes, JSON, auth, errors.
        .target(
            name: "TaaSAPI",
            dependencies: ["TaaSPolicy", "TaaSState", "TaaSVersion", "TaaSWire", .product(name: "Hummingbird", package: "hummingbird")]
        ),
        // Keystone as the API's token authority: taasd's service token, validation, a bounded cache.
        .target(
            name: "TaaSKeystone",
            dependencies: ["TaaSAPI", "TaaSPolicy", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics")]
        ),
        .target(name: "TaaSVersion"),
        .executableTarget(
            name: "taasd",
            dependencies: [
                "TaaSVersion", "OpenFlowServer", "SwitchSession", "NetworkTransport", "TaaSAPI", "TaaSPolicy", "TaaSState", "TaaSStore",
                "TaaSController", "OVSDBClient", "Topology", "TaaSConfig", "TaaSKeystone", "TaaSWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["startup-order.txt"],
            // What a start maps and touches, and so the idle daemon's resident memory (42.9-43.1
            // MiB before these, 26.2-27.0 with them; BENCHMARKS.md):
            // - relative relocations packed (DT_RELR, glibc 2.36 and later; lld, which the
            //   toolchain ships, writes them and gold does not): 63,000 of them took 1.5 MB of
            //   `.rela.dyn`, all of it read at every start;
            // - in release builds, the functions a start and an idle taasd run placed side by side
            //   (`startup-order.txt`, from `scripts/code-order.sh`): the kernel maps the 64 KB
            //   around every page of code touched, and the start touches code in every module;
            // - in release builds, the Swift runtime and Foundation linked in, what is used of
            //   them only, instead of their shared libraries mapped whole (the libraries that
            //   Foundation's modules name for the linker are named here, as swiftc names them
            //   with `--static-swift-stdlib`, which would rebuild every module), and no symbol
            //   exported: the loader searched 60,000 of them for every symbol libc and
            //   libstdc++ bind.
            linkerSettings: [
                .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux])),
                .unsafeFlags(["-static-stdlib", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections",
                              "-lswiftSynchronization", "-lswift_RegexParser", "-lswift_StringProcessing", "-lswift_Concurrency",
                              "-Xlinker", "--no-export-dynamic",
                              "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/taasd/startup-order.txt",
                              "-Xlinker", "--no-warn-symbol-ordering"],
                             .when(platforms: [.linux], configuration: .release)),
            ]
        ),
        .executableTarget(
            name: "taasctl",
            dependencies: ["TaaSVersion", "TaaSWire", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "taas-lab",
            dependencies: ["TaaSVersion", "LabKit", "TaaSWire", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // libFuzzer target over the decoder; built by scripts/fuzz.sh with -sanitize=fuzzer.
        // Built normally it replays files (the regression corpus) through the decoder.
        .executableTarget(name: "openflow-fuzz", dependencies: ["OpenFlowFuzzSupport"]),
        .target(name: "OpenFlowFuzzSupport", dependencies: ["OpenFlow", .product(name: "NIOCore", package: "swift-nio")]),
        // Labs of real Open vSwitch on one machine (nodes in namespaces, VMs, an underlay): taas-lab and the tests.
        .target(name: "LabKit"),
        // Shared test helpers: sample messages, running ovs-ofctl, a listener that plays a switch, session events.
        // A seeded random generator, so that the tests' random sequences replay from their seed.
        .target(name: "SeededRandom", path: "Tests/SeededRandom"),
        .target(
            name: "TaaSTestSupport",
            dependencies: [
                "OpenFlow", "SwitchSimulator", "LabKit", "OpenFlowServer", "SwitchSession", "TaaSAPI", "TaaSState", "TaaSStore", "TaaSPolicy", "TaaSWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/TaaSTestSupport"
        ),
        // One test target per module (pure parts and adapters against fakes)…
        .testTarget(
            name: "OpenFlowTests",
            dependencies: ["OpenFlow", "OpenFlowFuzzSupport", "TaaSTestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "OpenFlowTextTests", dependencies: ["OpenFlowText", "OpenFlow", "TaaSTestSupport", "SeededRandom"]),
        .testTarget(
            name: "SwitchSessionTests",
            dependencies: ["SwitchSession", "OpenFlow", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "NetworkTransportTests",
            dependencies: ["NetworkTransport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .testTarget(name: "TaaSCollectionsTests", dependencies: ["TaaSCollections", "SeededRandom"]),
        .testTarget(
            name: "OpenFlowServerTests",
            dependencies: [
                "OpenFlowServer", "SwitchSession", "SwitchSimulator", "OpenFlow", "TaaSTestSupport", "NetworkTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SwitchSimulatorTests", dependencies: ["SwitchSimulator", "OpenFlow"]),
        .testTarget(name: "OVSDBTests", dependencies: ["OVSDB"]),
        .testTarget(
            name: "OVSDBClientTests",
            dependencies: ["OVSDB", "OVSDBClient", "TaaSTestSupport",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "TopologyTests", dependencies: ["Topology", "OVSDB", "SeededRandom"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "OpenFlow", "OpenFlowText", "TaaSPolicy", "Topology", "OVSDB", "SeededRandom"]),
        .testTarget(
            name: "TaaSControllerTests",
            dependencies: ["TaaSController", "Pipeline", "TaaSPolicy", "TaaSState", "Topology", "OVSDB", "OpenFlow", "SwitchSession"]
        ),
        .testTarget(name: "TaaSPolicyTests", dependencies: ["TaaSPolicy"]),
        .testTarget(name: "TaaSWireTests", dependencies: ["TaaSWire"]),
        .testTarget(name: "TaaSStateTests", dependencies: ["TaaSState", "TaaSPolicy"]),
        .testTarget(name: "TaaSStoreTests", dependencies: ["TaaSStore", "TaaSState", "TaaSPolicy", "TaaSTestSupport"]),
        .testTarget(
            name: "TaaSAPITests",
            dependencies: ["TaaSAPI", "TaaSPolicy", "TaaSState", "TaaSStore", "TaaSTestSupport", "TaaSWire",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        .testTarget(name: "TaaSConfigTests", dependencies: ["TaaSConfig"]),
        .testTarget(
            name: "TaaSKeystoneTests",
            dependencies: ["TaaSKeystone", "TaaSAPI", "TaaSPolicy", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        // …and one for everything that runs real Open vSwitch, PostgreSQL-free daemons, the real clients.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "OpenFlow", "OpenFlowText", "OpenFlowServer", "SwitchSession", "NetworkTransport", "SwitchSimulator", "OVSDB", "OVSDBClient",
                "Topology", "Pipeline", "TaaSController", "TaaSAPI", "TaaSPolicy", "TaaSState", "TaaSStore", "TaaSTestSupport", "TaaSWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            // Used by OpenStackSDKTests, KeystoneCLITests and SchemathesisTests, not built.
            exclude: ["openstacksdk_crud.py", "keystone_setup.py", "schemathesis.toml"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
