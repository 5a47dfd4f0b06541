import Foundation
import OpenFlowText
import TaaSTestSupport
import TaaSWire
import Testing

/// tcpdump inside a VM, writing to a file; frames read back as hex, one string per frame.
final class Capture: @unchecked Sendable {
    let vm: String
    let file: String
    let daemon: Daemon

    convenience init(_ lab: Lab, _ vm: String) async throws {
        guard let v = lab.vms[vm] else { throw Command.Failure(description: "no VM \(vm)") }
        try await self.init(lab, namespace: v.namespace, interface: "eth0", name: vm)
    }

    /// Any interface of any namespace of the lab, with an optional tcpdump filter.
    init(_ lab: Lab, namespace: String, interface: String, name: String, filter: [String] = []) async throws {
        vm = name
        file = "\(lab.dir)/\(name)-\(UInt32.random(in: 0...UInt32.max)).pcap"
        daemon = try Daemon(try Command.tool("ip"), ["netns", "exec", namespace, "tcpdump", "-i", interface, "-U", "-nn", "-w", file] + filter,
                            logPath: file + ".log")
        try await daemon.waitForLog("listening on")
    }

    /// Stops the capture; returns every frame, as hex of its bytes, in order.
    func stop() throws -> [String] {
        daemon.stop()
        let text = try Command.check("tcpdump", ["-r", file, "-nn", "-xx"])
        var frames: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("\t0x") {
                let hex = line.split(separator: ":", maxSplits: 1).last.map { $0.filter { $0.isHexDigit } } ?? ""
                if frames.isEmpty { frames.append("") }
                frames[frames.count - 1] += hex
            } else {
                frames.append("")
            }
        }
        return frames.filter { !$0.isEmpty }
    }
}

/// The lab of flows/ (Tests/PipelineTests/Scenarios.swift): same nodes, ports, numbers and MACs.
/// node1: vm-a 1, vm-b 2, vm-c 3 (VLAN 10), vm-d 4 (VLAN 10), vm-t 5, vm-s 9; node2: vm-e 1,
/// vm-s2 9; node3: vm-f 1, vm-s3 9, and vm-g 2 (an uninvolved observer).
enum ScenarioLab {
    static func build() throws -> Lab {
        let lab = try Lab(nodes: 3)
        do {
            try lab.addVM("vm-a", node: 1, ofport: 1, ip: "10.0.0.1")
            try lab.addVM("vm-b", node: 1, ofport: 2, ip: "10.0.0.2")
            try lab.addVM("vm-c", node: 1, ofport: 3, ip: "10.0.10.3", tag: 10)
            try lab.addVM("vm-d", node: 1, ofport: 4, ip: "10.0.10.4", tag: 10)
            try lab.addVM("vm-t", node: 1, ofport: 5, ip: "10.0.0.15")
            try lab.addVM("vm-s", node: 1, ofport: 9, ip: "10.0.0.9")
            try lab.addVM("vm-e", node: 2, ofport: 1, ip: "10.0.0.5")
            try lab.addVM("vm-s2", node: 2, ofport: 9, ip: "10.0.0.19")
            try lab.addVM("vm-f", node: 3, ofport: 1, ip: "10.0.0.6")
            try lab.addVM("vm-s3", node: 3, ofport: 9, ip: "10.0.0.29")
            try lab.addVM("vm-g", node: 3, ofport: 2, ip: "10.0.0.7")
        } catch {
            lab.stop()
            throw error
        }
        return lab
    }
}

/// taasd run by a test against a lab: OpenFlow over a unix socket, every node's OVSDB, the API
/// on a loopback port of the host.
final class LabController: @unchecked Sendable {
    let lab: Lab
    let port: Int
    let db: String
    private(set) var daemon: Daemon

    init(_ lab: Lab) async throws {
        self.lab = lab
        port = TestPorts.block()
        db = "\(lab.dir)/taasd.sqlite"
        daemon = try Self.start(lab, port: port, db: db, generation: 1)
        try await daemon.waitForLog("listening for switches")
    }

    static func start(_ lab: Lab, port: Int, db: String, generation: Int) throws -> Daemon {
        var args = ["--db", db, "--api", "127.0.0.1:\(port)", "--echo-interval", "1", "--stats-interval", "2"]
        for (i, n) in lab.nodes.enumerated() { args += ["--ovsdb", "unix:\(n.dir)/db.sock", "--openflow", "punix:\(lab.controllerSocket(i + 1))"] }
        return try Daemon(BuiltProducts.path("taasd"), args, logPath: "\(lab.dir)/taasd-\(generation).log")
    }

    /// Stops taasd (SIGTERM) and starts it again on the same database.
    func restart(generation: Int) async throws {
        daemon.stop()
        daemon = try Self.start(lab, port: port, db: db, generation: generation)
        try await daemon.waitForLog("listening for switches")
    }

    func stop() { daemon.stop() }

    var client: APICurl { APICurl(port: port) }

    /// Calls the API; returns the status code and the body as it came.
    @discardableResult
    func api(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> (Int, JSONValue) {
        try await client.call(method, path, body)
    }

    /// Creates a resource with the request type clients use; returns its id.
    func create<C: CreateRequest>(_ request: C) async throws -> String { try await client.create(request) }

    /// Changes a resource; returns the status code and the resource as it is now.
    func update<R: WritableResource>(_ type: R.Type, _ id: String, _ change: ResourceUpdate<R>) async throws -> (Int, R?) {
        let (code, body) = try await client.update(type, id, change)
        return (code, APICurl.decode(One<R, R>.self, body)?.value)
    }

    func status(_ kind: String, _ singular: String, _ id: String) async throws -> (String, String?) {
        let (_, body) = try await api("GET", "/v2.0/taas/\(kind)/\(id)")
        return (body[singular]?["status"]?.string ?? "", body[singular]?["status_reason"]?.string)
    }

    /// Waits until a resource has the status.
    func waitFor(_ kind: String, _ singular: String, _ id: String, _ status: String, seconds: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ("", String?.none)
        while true {
            last = try await self.status(kind, singular, id)
            if last.0 == status { return }
            if Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Command.Failure(description: "\(singular) \(id) is \(last), not \(status), after \(seconds) s\n\(daemon.log.suffix(3000))")
    }
}

extension Lab {
    /// taasd's flows on a node, as dump-flows reads them back, cookies set aside (they hash ids
    /// the API generated), sorted.
    func ourFlows(_ node: Int) throws -> [FlowEntry] {
        let text = try nodes[node - 1].ofctl("dump-flows", options: ["--no-stats"])
        let flows = try FlowText.parseLines(text)
        return flows.filter { $0.cookie >> 48 == 0x7aa5 }.map { var f = $0; f.cookie = 0; return f.canonical }
            .sorted { FlowText.render($0) < FlowText.render($1) }
    }

    func ourGroups(_ node: Int) throws -> [String] {
        try nodes[node - 1].ofctl("dump-groups").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { line in
                let id = line.split(separator: ",").first?.split(separator: "=").last.flatMap { UInt32($0) }
                return id.map { $0 & 0xff00_0000 == 0x7a00_0000 } ?? false
            }.sorted()
    }
}

/// A golden file's flows with cookies set aside, sorted like `Lab.ourFlows`.
func goldenFlows(_ scenario: String, _ node: String) throws -> [FlowEntry] {
    let text = try String(contentsOf: Repository.golden(scenario, node, "flows"), encoding: .utf8)
    return try FlowText.parseLines(text).map { var f = $0; f.cookie = 0; return f.canonical }.sorted { FlowText.render($0) < FlowText.render($1) }
}

func goldenGroups(_ scenario: String, _ node: String) -> [String] {
    ((try? String(contentsOf: Repository.golden(scenario, node, "groups"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).sorted()
}

/// Counts of each frame (hex) in a capture.
func multiset(_ frames: [String]) -> [String: Int] { frames.reduce(into: [:]) { $0[$1, default: 0] += 1 } }

/// The destination MAC of a frame (hex).
func destinationMAC(_ frame: String) -> String { String(frame.prefix(12)) }

/// What differs between two captures, short enough to read: frames only in one, or in both a
/// different number of times (destination, source, ethertype and a few bytes of each).
func captureDiff(_ got: [String], _ expected: [String]) -> String {
    let g = multiset(got), e = multiset(expected)
    var lines: [String] = []
    for k in Set(g.keys).union(e.keys).sorted() where g[k] != e[k] {
        lines.append("got \(g[k] ?? 0), expected \(e[k] ?? 0): \(k.prefix(12)) <- \(k.dropFirst(12).prefix(12)) type \(k.dropFirst(24).prefix(4)) \(k.dropFirst(28).prefix(40))")
    }
    return "got \(got.count) frames, expected \(expected.count)\n" + lines.joined(separator: "\n")
}

func flowDiff(_ got: [FlowEntry], _ expected: [FlowEntry]) -> String {
    let g = Set(got.map(FlowText.render)), e = Set(expected.map(FlowText.render))
    return (g.subtracting(e).sorted().map { "+ " + $0 } + e.subtracting(g).sorted().map { "- " + $0 }).joined(separator: "\n")
}
