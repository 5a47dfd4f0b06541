import Foundation

/// A lab left running: its nodes, VMs and namespaces, and the controller started for it.
public struct LabRecord: Codable, Sendable {
    public struct Node: Codable, Sendable {
        public var name: String
        public var dir: String
    }

    public var prefix: String
    public var dir: String
    public var nodes: [Node]
    public var vms: [Lab.VM]
    public var namespaces: [String]
    public var taasdPID: Int32?
    public var apiPort: Int?
    public var tunnelType: String?
    /// With `--replicas N` (N > 1): every replica, and the PostgreSQL they share.
    public var replicas: [Replica]?
    public var postgresDir: String?

    /// One taasd replica: how to start it again after a failover, and where it is.
    public struct Replica: Codable, Sendable {
        public var name: String
        public var pid: Int32
        public var apiPort: Int
        public var executable: String
        public var arguments: [String]
        public var log: String

        public init(name: String, pid: Int32, apiPort: Int, executable: String, arguments: [String], log: String) {
            self.executable = executable
            self.name = name
            self.pid = pid
            self.apiPort = apiPort
            self.arguments = arguments
            self.log = log
        }
    }

    /// Stops what the lab started, by pid, and removes its namespaces (by the names it recorded)
    /// and its directory. Each step goes on if an earlier one failed.
    public func teardown(progress: (String) -> Void = { _ in }) {
        // Only if that pid is still the lab's taasd (its command line names the lab's directory):
        // a pid can be reused once the process is gone.
        for pid in Set([taasdPID].compactMap { $0 } + (replicas ?? []).map(\.pid)).sorted() where Self.isLabTaasd(pid, dir: dir) {
            progress("stopping taasd (pid \(pid))")
            kill(pid, SIGTERM)
            for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        if let postgresDir {
            progress("stopping PostgreSQL (\(postgresDir))")
            PrivatePostgres.stop(dir: postgresDir)
        }
        for n in nodes {
            progress("stopping \(n.name): ovs-vswitchd, ovsdb-server, namespace")
            OVSNode(attaching: n.name, dir: n.dir).stop()
        }
        for ns in namespaces.reversed() {
            progress("removing namespace \(ns)")
            _ = try? Command.run("ip", ["netns", "del", ns])
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Whether `pid` is still a taasd of this lab (its command line names the lab's directory).
    public static func isLabTaasd(_ pid: Int32, dir: String) -> Bool {
        let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            .map { String(decoding: $0.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self) } ?? ""
        return commandLine.contains("taasd") && commandLine.contains(dir) && kill(pid, 0) == 0
    }
}
