// swift-tools-version: 6.1
import PackageDescription

// Micro benchmarks (ordo-one/benchmark), kept out of the main package so its build and
// tests stay lean. Run: cd Benchmarks && swift package benchmark
let package = Package(
    name: "taas-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // Throughput side by side with os-ken (scripts/bench-codec.sh).
        .executableTarget(
            name: "codec-throughput",
            dependencies: [.product(name: "OpenFlow", package: "main"), .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/codec-throughput"
        ),
        // Programming rate against a real Open vSwitch, side by side with the switch's limit and ovs-ofctl.
        .executableTarget(
            name: "bench-programming",
            dependencies: [
                .product(name: "OpenFlow", package: "main"), .product(name: "OpenFlowText", package: "main"),
                .product(name: "Pipeline", package: "main"), .product(name: "OpenFlowServer", package: "main"),
                .product(name: "TaaSController", package: "main"), .product(name: "LabKit", package: "main"),
                .product(name: "SwitchSession", package: "main"), .product(name: "NetworkTransport", package: "main"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/bench-programming"
        ),
        // The store's share of a bulk create, side by side with a hand-written prepared statement.
        .executableTarget(
            name: "bench-store-bulk",
            dependencies: [
                .product(name: "TaaSStore", package: "main"), .product(name: "TaaSState", package: "main"),
                .product(name: "TaaSPolicy", package: "main"), .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Sources/bench-store-bulk"
        ),
        .executableTarget(
            name: "OpenFlowCodec",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OpenFlow", package: "main"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/OpenFlowCodec",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PipelineCompile",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Pipeline", package: "main"),
                .product(name: "TaaSPolicy", package: "main"),
                .product(name: "Topology", package: "main"),
                .product(name: "OVSDB", package: "main"),
            ],
            path: "Benchmarks/PipelineCompile",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
