import ArgumentParser
import Foundation
import LabKit
import TaaSWire

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build the lab and start taasd on it.")

    @OptionGroup var location: LabLocation
    @Option(help: "Number of nodes (1–9).") var nodes = 3
    @Option(help: "VMs per node (1–8), besides node1's tap VM.") var vms = 2
    @Option(help: "Tunnel between nodes: vxlan, geneve or gre.") var tunnel = "vxlan"
    @Option(help: "Port of taasd's REST API on 127.0.0.1 (replica N: this + N - 1).") var apiPort = 9696
    @Option(help: "taasd replicas (1–5); more than one share a private PostgreSQL, one leads, and `taas-lab failover` kills it.")
    var replicas = 1
    @Option(help: ArgumentHelp("The taasd to run (default: the one next to taas-lab).", valueName: "path")) var taasd: String?
    @Option(help: ArgumentHelp("Prefix of every namespace the lab creates.", valueName: "name")) var name = "taaslab"

    func validate() throws {
        guard (1...9).contains(nodes) else { throw ValidationError("--nodes is 1 to 9") }
        guard (1...8).contains(vms) else { throw ValidationError("--vms is 1 to 8") }
        guard (1...5).contains(replicas) else { throw ValidationError("--replicas is 1 to 5") }
        guard ["vxlan", "geneve", "gre"].contains(tunnel) else { throw ValidationError("--tunnel is vxlan, geneve or gre") }
        guard name.count <= 8, name.allSatisfy({ $0.isLetter || $0.isNumber }) else {
            throw ValidationError("--name is up to 8 letters and digits (interface names are short)")
        }
    }

    func run() throws {
        try Preflight.requireRoot("up")
        if FileManager.default.fileExists(atPath: location.recordPath) {
            throw LabError("a lab is already up in \(location.dir): see `sudo taas-lab status`, or remove it with `sudo taas-lab down`")
        }
        let binary = try taasdPath()
        try Preflight.installMissing(step, postgres: replicas > 1)
        try FileManager.default.createDirectory(atPath: location.dir, withIntermediateDirectories: true)
        let started = Date()

        step("building \(nodes) node\(nodes == 1 ? "" : "s") of real Open vSwitch")
        let lab: Lab
        do {
            lab = try Lab(nodes: nodes, prefix: name, dir: location.dir, progress: note)
        } catch {
            throw LabError("could not build the lab: \(error)\nLogs are in \(location.dir); shared/LAB.md lists the usual causes.")
        }
        // What the lab holds now, and the taasd started for it (nil until started).
        var taasdPID: Int32?
        var running: [LabRecord.Replica] = []
        var postgres: PrivatePostgres?
        func record() -> LabRecord {
            var r = lab.record
            r.apiPort = apiPort
            r.tunnelType = tunnel
            r.taasdPID = taasdPID
            r.replicas = running.isEmpty ? nil : running
            r.postgresDir = postgres?.dir
            return r
        }
        do {
            step("adding VMs (namespaces with eth0 on br-int)")
            _ = try lab.addVM(Names.tap(node: 1), node: 1, ofport: 9, ip: "10.0.0.9")
            note("node1/tap  10.0.0.9  (the demo's tap service port)")
            for n in 1...nodes {
                for v in 1...vms {
                    let vm = try lab.addVM(Names.vm(node: n, index: v), node: n, ofport: 10 + v, ip: "10.0.0.\(n * 10 + v)")
                    note("\(Names.display(vm))  \(vm.ip)  \(vm.mac)")
                }
            }

            let log = "\(location.dir)/taasd.log"
            lab.detach()
            if replicas == 1 {
                step("starting taasd (\(binary))")
                var args = ["--db", "\(location.dir)/taasd.sqlite", "--api", "127.0.0.1:\(apiPort)", "--tunnel-type", tunnel,
                            "--stats-interval", "2"]
                // Open vSwitch connects only to unix sockets inside its own run directory (LAB.md).
                for i in 1...nodes { args += ["--openflow", "punix:\(lab.controllerSocket(i))", "--ovsdb", lab.nodes[i - 1].db] }
                taasdPID = try Command.startBackground(binary, args, logPath: log)
                try location.save(record())
                let api = LabAPI(port: apiPort)
                try wait("taasd's API to be ready", seconds: 30, log: log) { api.healthy }
                note("REST API on http://127.0.0.1:\(apiPort), log in \(log)")
            } else {
                step("starting PostgreSQL (a private cluster on a unix socket, as the postgres user)")
                let pg = try PrivatePostgres()
                pg.detached = true
                postgres = pg
                try location.save(record())
                note("\(pg.url)")
                step("starting \(replicas) taasd replicas on it (\(binary))")
                for r in 1...replicas {
                    var args = ["--db", pg.url, "--api", "127.0.0.1:\(apiPort + r - 1)", "--tunnel-type", tunnel, "--stats-interval", "2",
                                "--replica-name", "r\(r)"]
                    for i in 1...nodes {
                        args += ["--openflow", "punix:\(lab.controllerSocket(i, replica: r))", "--ovsdb", lab.nodes[i - 1].db]
                    }
                    let replicaLog = "\(location.dir)/taasd-r\(r).log"
                    let pid = try Command.startBackground(binary, args, logPath: replicaLog)
                    running.append(.init(name: "r\(r)", pid: pid, apiPort: apiPort + r - 1, executable: binary, arguments: args, log: replicaLog))
                    if r == 1 { taasdPID = pid }
                    try location.save(record())
                    let api = LabAPI(port: apiPort + r - 1)
                    try wait("replica r\(r)'s API to be ready", seconds: 30, log: replicaLog) { api.healthy }
                    note("r\(r): REST API on http://127.0.0.1:\(apiPort + r - 1), log in \(replicaLog)")
                }
            }

            step("pointing every br-int at taasd (fail_mode=secure, OpenFlow 1.3)")
            try lab.connect(replicas: replicas == 1 ? 0 : replicas)
            let api = LabAPI(port: apiPort)
            try wait("every node to be connected, with its tunnel port", seconds: 60, log: replicas == 1 ? log : running.first?.log) {
                let list = (try? api.get("/v2.0/taas/nodes", Many<NodeInfo, NodeInfo>.self))?.values ?? []
                let ready = list.filter { $0.openflow == "connected" && $0.ovsdb == "connected" && $0.tunnelPorts["taas-tun"] != nil }
                return ready.count == nodes
            }
        } catch {
            print("taas-lab: \(error)")
            step("removing what was built")
            record().teardown(progress: note)
            throw ExitCode.failure
        }
        step(String(format: "lab up in %.0f s", Date().timeIntervalSince(started)))
        print("""

            Next:
              sudo taas-lab demo                 mirror node2/vm1 to node1/tap and watch the copies arrive\(replicas > 1 ? " (through a failover)" : "")\(
                replicas > 1 ? "\n  sudo taas-lab failover             kill -9 the leading replica and watch another take over" : "")
              sudo taas-lab shell node2/vm1      a shell in a VM (ping 10.0.0.\(nodes >= 3 ? 31 : 11))
              TAAS_URL=http://127.0.0.1:\(apiPort) swift run taasctl node list
              sudo taas-lab down                 remove everything
            """)
    }

    func taasdPath() throws -> String {
        if let taasd {
            guard FileManager.default.isExecutableFile(atPath: taasd) else { throw LabError("--taasd \(taasd) is not an executable") }
            return taasd
        }
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let sibling = me.deletingLastPathComponent().appendingPathComponent("taasd").path
        guard FileManager.default.isExecutableFile(atPath: sibling) else {
            throw LabError("no taasd next to taas-lab (\(sibling)); build it with `swift build`, or pass --taasd PATH")
        }
        return sibling
    }
}

/// Polls `condition` until it holds; fails naming what it waited for, with the log's tail.
func wait(_ what: String, seconds: Double, log: String?, _ condition: () -> Bool) throws {
    note("waiting for \(what)")
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return }
        usleep(200_000)
    }
    let tail = log.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }.map { String($0.suffix(1500)) } ?? ""
    throw LabAPI.Failure(description: "gave up after \(Int(seconds)) s waiting for \(what)\(tail.isEmpty ? "" : "; end of \(log ?? ""):\n\(tail)")")
}
