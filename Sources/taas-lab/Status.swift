import ArgumentParser
import Foundation
import LabKit

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the lab's nodes, VMs and taasd.")
    @OptionGroup var location: LabLocation

    func run() throws {
        try Preflight.requireRoot("status")
        let record = try location.load()
        step("nodes (\(location.dir))")
        for (i, n) in record.nodes.enumerated() {
            let running = OVSNode(attaching: n.name, dir: n.dir)
            running.detached = true
            note("node\(i + 1)  namespace \(n.name)  tunnel IP \(Lab.encapIP(i + 1))  Open vSwitch \(running.isRunning ? "running" : "NOT RUNNING")")
        }
        step("VMs")
        for vm in record.vms.sorted(by: { ($0.node, $0.name) < ($1.node, $1.name) }) {
            note("\(Names.display(vm))  \(vm.ip)  \(vm.mac)  OpenFlow port \(vm.ofport)  (sudo taas-lab shell \(Names.display(vm)))")
        }
        step("taasd")
        guard let pid = record.taasdPID, let port = record.apiPort, kill(pid, 0) == 0 else {
            note("not running; its log is \(location.dir)/taasd.log")
            throw ExitCode.failure
        }
        let api = LabAPI(port: port)
        note("pid \(pid), API http://127.0.0.1:\(port) (\(api.healthy ? "ready" : "not ready")), log \(location.dir)/taasd.log")
        if let s = try? api.must("GET", "/v2.0/taas/status")["status"] as? [String: Any] {
            note("nodes \(s["nodes"] ?? 0): OpenFlow connected \(s["openflow_connected"] ?? 0), OVSDB connected \(s["ovsdb_connected"] ?? 0)")
            for kind in ["tap_services", "tap_flows", "tap_mirrors"] {
                let c = s[kind] as? [String: Any] ?? [:]
                note("\(kind.replacingOccurrences(of: "_", with: " ")): \(c["ACTIVE"] ?? 0) ACTIVE, \(c["DOWN"] ?? 0) DOWN, \(c["ERROR"] ?? 0) ERROR")
            }
        }
    }
}

struct Shell: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A shell inside a VM (node2/vm1) or a node (node2).")
    @OptionGroup var location: LabLocation
    @Argument(help: "node2/vm1, node1/tap, or node2.") var target: String

    func run() throws {
        try Preflight.requireRoot("shell \(target)")
        let record = try location.load()
        let namespace: String
        if let vm = record.vms.first(where: { $0.name == Names.internalName(target) }) {
            namespace = vm.namespace
        } else if target.hasPrefix("node"), let n = Int(target.dropFirst(4)), (1...record.nodes.count).contains(n) {
            namespace = record.nodes[n - 1].name
        } else {
            let known = record.vms.map(Names.display).sorted() + (1...record.nodes.count).map { "node\($0)" }
            throw LabError("no \(target) in the lab; one of: \(known.joined(separator: ", "))")
        }
        let shell = ProcessInfo.processInfo.environment["SHELL"].flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil } ?? "/bin/sh"
        let ip = try Command.tool("ip")
        print("Entering \(target) (namespace \(namespace)); exit to leave.")
        fflush(nil)
        let words: [String] = [ip, "netns", "exec", namespace, shell]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        execv(ip, argv)
        throw LabError("cannot run \(ip): \(String(cString: strerror(errno)))")
    }
}

struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove everything the lab created (by pid and by the names it recorded).")
    @OptionGroup var location: LabLocation

    func run() throws {
        try Preflight.requireRoot("down")
        let record = try location.load()
        step("removing the lab in \(location.dir)")
        record.teardown(progress: note)
        step("done")
    }
}
