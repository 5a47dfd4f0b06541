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

    /// Stops what the lab started, by pid, and removes its namespaces (by the names it recorded)
    /// and its directory. Each step goes on if an earlier one failed.
    public func teardown(progress: (String) -> Void = { _ in }) {
        // Only if that pid is still the lab's taasd (its command line names the lab's directory):
        // a pid can be reused once the process is gone.
        let commandLine = taasdPID.flatMap { FileManager.default.contents(atPath: "/proc/\($0)/cmdline") }
            .map { String(decoding: $0.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self) } ?? ""
        if let pid = taasdPID, commandLine.contains("\(dir)/taasd.sqlite"), kill(pid, 0) == 0 {
            progress("stopping taasd (pid \(pid))")
            kill(pid, SIGTERM)
            for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
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
}
