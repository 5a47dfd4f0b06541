import ArgumentParser
import Foundation
import LabKit
import TaaSWire

struct Failover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "With replicas (taas-lab up --replicas 3): kill -9 the leading taasd, time until another is master of every bridge, start the killed one again.")
    @OptionGroup var location: LabLocation

    func run() throws {
        try Preflight.requireRoot("failover")
        var record = try location.load()
        _ = try FailoverRun.perform(&record, location: location)
    }
}

/// One failover, shared by `failover` and `demo`.
enum FailoverRun {
    /// The replica that says it leads and is master of every bridge of the lab.
    static func leader(_ record: LabRecord) -> LabRecord.Replica? {
        (record.replicas ?? []).first { r in
            guard let rep = LabAPI(port: r.apiPort).status?.replication, rep.role == "leader" else { return false }
            return rep.bridges.count == record.nodes.count && rep.bridges.allSatisfy { $0.role == "master" }
        }
    }

    /// Kills the leader, waits for the next, starts the killed replica again; returns the new
    /// leader's API port.
    static func perform(_ record: inout LabRecord, location: LabLocation) throws -> Int {
        guard let replicas = record.replicas, replicas.count > 1 else {
            throw LabError("this lab has one taasd; build one with replicas: sudo taas-lab down && sudo taas-lab up --replicas 3")
        }
        var found: LabRecord.Replica?
        try wait("a replica to lead every bridge", seconds: 20, log: nil) { found = leader(record); return found != nil }
        guard let old = found else { throw LabError("no leader") }
        guard LabRecord.isLabTaasd(old.pid, dir: record.dir) else { throw LabError("replica \(old.name) (pid \(old.pid)) is not running") }
        step("kill -9 of the leader, \(old.name) (pid \(old.pid))")
        let killed = Date()
        kill(old.pid, SIGKILL)
        var next: LabRecord.Replica?
        let others = record
        try wait("another replica to take the lease and claim every bridge", seconds: 30, log: nil) {
            var rest = others
            rest.replicas = replicas.filter { $0.pid != old.pid }
            next = leader(rest)
            return next != nil
        }
        let seconds = Date().timeIntervalSince(killed)
        guard let next else { throw LabError("no new leader") }
        let status = LabAPI(port: next.apiPort).status
        note(String(format: "%@ leads (epoch %@) and is master of all %d bridges, %.2f s after the kill", next.name,
                    status?.replication.map { "\($0.epoch)" } ?? "?", record.nodes.count, seconds))
        let taps = status?.tapFlows ?? [:]
        note("tap flows: \(taps["ACTIVE"] ?? 0) ACTIVE, \(taps["DOWN"] ?? 0) DOWN, \(taps["ERROR"] ?? 0) ERROR")

        step("starting \(old.name) again: it joins as a follower")
        let pid = try Command.startBackground(old.executable, old.arguments, logPath: old.log)
        record.replicas = replicas.map { r in
            guard r.name == old.name else { return r }
            var back = r
            back.pid = pid
            return back
        }
        if record.taasdPID == old.pid { record.taasdPID = pid }
        try location.save(record)
        let api = LabAPI(port: old.apiPort)
        try wait("\(old.name) to be back", seconds: 30, log: old.log) { api.healthy }
        note("\(old.name) is back (pid \(pid)), following \(next.name)")
        return next.apiPort
    }
}
