import ArgumentParser
import Foundation
import LabKit
import TaaSWire

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
        if let replicas = record.replicas {
            step("replicas (PostgreSQL in \(record.postgresDir ?? "?"))")
            for r in replicas {
                let up = LabRecord.isLabTaasd(r.pid, dir: record.dir)
                let rep = LabAPI(port: r.apiPort).status?.replication
                note("\(r.name)  pid \(r.pid) \(up ? "running" : "NOT RUNNING")  API 127.0.0.1:\(r.apiPort)  "
                     + "\(rep.map { "\($0.role) (epoch \($0.epoch))" } ?? "no answer")  log \(r.log)")
            }
        }
        step("taasd")
        guard let pid = record.taasdPID, let port = record.apiPort, kill(pid, 0) == 0 else {
            note("not running; its log is \(location.dir)/taasd.log")
            throw ExitCode.failure
        }
        let api = LabAPI(port: port)
        note("pid \(pid), API http://127.0.0.1:\(port) (\(api.healthy ? "ready" : "not ready")), log \(location.dir)/taasd.log")
        if let s = api.status {
            note("nodes \(s.nodes): OpenFlow connected \(s.openflowConnected), OVSDB connected \(s.ovsdbConnected)")
            for (kind, c) in [("tap services", s.tapServices), ("tap flows", s.tapFlows), ("tap mirrors", s.tapMirrors)] {
                note("\(kind): \(c["ACTIVE"] ?? 0) ACTIVE, \(c["DOWN"] ?? 0) DOWN, \(c["ERROR"] ?? 0) ERROR")
            }
        }
    }
}
