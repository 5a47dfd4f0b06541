// Programming rate against a real Open vSwitch, side by side in one run (issue 8):
//   (a) the switch's own limit: pre-encoded FLOW_MODs streamed on a raw socket, one barrier at the end;
//   (b) `ovs-ofctl --bundle add-flows` of the same flows;
//   (c) taasd's own session and reconciler installing them to confirmation: plain (FLOW_MODs then a
//       barrier, the session's transaction) and as one bundle (BridgeSync.apply, what taasd sends).
// Rounds are interleaved; each method starts from an empty table. Usage:
//   bench-programming [ROUNDS] [SIZE ...]      (default: 3 rounds of 10000 and 100000 flows)
import NetworkTransport
import Foundation
import LabKit
import Logging
import NIOCore
import NIOPosix
import OpenFlow
import OpenFlowServer
import OpenFlowText
import Pipeline
import SwitchSession
import TaaSController

let args = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let rounds = args.first ?? 3
let sizes = args.count > 1 ? Array(args.dropFirst()) : [10_000, 100_000]

/// N distinct mirror-like flows: table 1, one source port, one MAC each, a copy and goto.
func flows(_ n: Int) -> [FlowEntry] {
    (0..<n).map { i in
        let port = UInt32(i % 1000 + 1)
        return FlowEntry(cookie: Cookie.make(.source, "p\(port)"), tableID: 1, priority: 100,
                         match: Match([.inPort(PortNumber(port)), .ethSrc(EthernetAddress(rawValue: 0x0200_0000_0000 | UInt64(i)))]),
                         instructions: [.applyActions([.output(PortNumber(2))]), .gotoTable(2)])
    }
}

/// Raw OpenFlow over the bridge's management socket: HELLO, then bytes, then a barrier, waiting
/// for its reply. No parsing of anything but headers.
final class RawSwitch {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in path.utf8.prefix(p.count - 1).enumerated() { p[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard rc == 0 else { throw Command.Failure(description: "connect \(path): \(errno)") }
        try send(OpenFlowMessage(xid: 1, .hello(Hello(elements: [.versionBitmap([1 << UInt32(OpenFlow.version13)])]))).encoded())
        _ = try readUntil(type: MessageType.hello.rawValue)
    }

    deinit { close(fd) }

    func send(_ b: ByteBuffer) throws {
        try b.withUnsafeReadableBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                guard n > 0 else { throw Command.Failure(description: "write: \(errno)") }
                off += n
            }
        }
    }

    /// Reads messages until one of `type`; returns how many errors came before it.
    func readUntil(type: UInt8) throws -> Int {
        var pending: [UInt8] = [], errors = 0
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            while pending.count >= 8 {
                let len = Int(pending[2]) << 8 | Int(pending[3])
                guard pending.count >= len else { break }
                let t = pending[1]
                pending.removeFirst(len)
                if t == MessageType.error.rawValue { errors += 1 }
                if t == type { return errors }
            }
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { throw Command.Failure(description: "read: \(errno)") }
            pending += chunk[0..<n]
        }
    }
}

struct Result { var method: String; var size: Int; var seconds: Double }

let node = try OVSNode(name: "tbp\(UInt16.random(in: 0...UInt16.max))")
defer { node.stop() }
try node.addIntegrationBridge(datapathID: 0xb0)
let mgmt = node.mgmtPath()
var logger = Logger(label: "bench")
logger.logLevel = .warning
let server = try OpenFlowServer(configuration: .init(targets: [try ConnectionTarget(parsing: "unix:\(mgmt)")]),
                                group: MultiThreadedEventLoopGroup.singleton, logger: logger)
let serverTask = Task { try await server.run() }
var connection: SwitchConnection?
for _ in 0..<200 where connection == nil {
    connection = server.registry.connection(datapathID: 0xb0)
    if connection == nil { try await Task.sleep(for: .milliseconds(50)) }
}
guard let connection else { fatalError("taasd's session to the bridge did not come up") }

func clear() throws {
    try node.ofctl("del-flows")
    let left = try node.flowCount()
    precondition(left == 0, "table not empty: \(left) flows")
}

var results: [Result] = []
var bundleID: UInt32 = 100
for size in sizes {
    let entries = flows(size)
    // (a)'s bytes are encoded before the clock starts: the switch's limit, not ours.
    var raw = ByteBufferAllocator().buffer(capacity: size * 96)
    for (i, f) in entries.enumerated() { raw.writeImmutableBuffer(OpenFlowMessage(xid: UInt32(i + 10), .flowMod(f.flowMod(command: .add))).encoded()) }
    let file = "\(node.dir)/flows-\(size).txt"
    try entries.map(FlowText.render).joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
    let program = BridgeProgram(flows: entries)
    for round in 1...rounds {
        // (a) the switch's own limit
        try clear()
        var t = Date()
        let sw = try RawSwitch(path: mgmt)
        try sw.send(raw)
        try sw.send(OpenFlowMessage(xid: 2, .barrierRequest).encoded())
        let rawErrors = try sw.readUntil(type: MessageType.barrierReply.rawValue)
        results.append(Result(method: "a", size: size, seconds: Date().timeIntervalSince(t)))
        let installedA = try node.flowCount()
        precondition(rawErrors == 0 && installedA == size, "raw stream: \(rawErrors) errors, \(installedA) flows")

        // (b) ovs-ofctl --bundle add-flows
        try clear()
        t = Date()
        try node.ofctl("add-flows", [file], options: ["--bundle"])
        results.append(Result(method: "b", size: size, seconds: Date().timeIntervalSince(t)))
        let installedB = try node.flowCount()
        precondition(installedB == size, "ovs-ofctl: \(installedB) flows")

        // (c) plain: the reconciler's plan, sent through the session, confirmed by a barrier
        try clear()
        t = Date()
        let plan = ReconcilePlan(desired: program, installedFlows: [], installedGroups: [])
        let errors = try await connection.transaction(count: plan.count) { send in plan.pieces(send) }
        results.append(Result(method: "c-plain", size: size, seconds: Date().timeIntervalSince(t)))
        let installedC = try node.flowCount()
        precondition(errors.isEmpty && installedC == size, "plain: \(errors.count) errors, \(installedC) flows")

        // (c) bundle: what taasd sends, one atomic bundle, confirmed by its commit
        try clear()
        t = Date()
        let plan2 = ReconcilePlan(desired: program, installedFlows: [], installedGroups: [])
        bundleID += 1
        try await BridgeSync.apply(plan2, to: connection, bundleID: bundleID)
        results.append(Result(method: "c-bundle", size: size, seconds: Date().timeIntervalSince(t)))
        let installedD = try node.flowCount()
        precondition(installedD == size, "bundle: \(installedD) flows")
        FileHandle.standardError.write("round \(round) of \(size) flows done\n".data(using: .utf8)!)
    }
}
serverTask.cancel()

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
print("| flows | method | flows/s median (min–max) | seconds median |")
print("| --- | --- | --- | --- |")
var rate: [String: Double] = [:]
let names = ["a": "(a) raw FLOW_MODs + barrier (the switch's limit)", "b": "(b) ovs-ofctl --bundle add-flows",
             "c-plain": "(c) taasd session + reconciler, plain", "c-bundle": "(c) taasd session + reconciler, one bundle"]
for size in sizes {
    for m in ["a", "b", "c-plain", "c-bundle"] {
        let secs = results.filter { $0.method == m && $0.size == size }.map(\.seconds)
        let rates = secs.map { Double(size) / $0 }
        rate["\(m)\(size)"] = median(rates)
        print("| \(size) | \(names[m]!) | \(Int(median(rates))) (\(Int(rates.min()!))–\(Int(rates.max()!))) | \(String(format: "%.3f", median(secs))) |")
    }
}
for size in sizes {
    let ca = (rate["c-plain\(size)"] ?? 0) / (rate["a\(size)"] ?? 1)
    let cb = (rate["c-bundle\(size)"] ?? 0) / (rate["b\(size)"] ?? 1)
    print("\(size) flows: c/a (plain vs the switch's limit) = \(String(format: "%.2f", ca)); c/b (bundle vs ovs-ofctl --bundle) = \(String(format: "%.2f", cb))")
}
