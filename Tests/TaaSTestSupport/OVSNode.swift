import Foundation

/// One private Open vSwitch "compute node" for tests: its own ovsdb-server and ovs-vswitchd
/// (userspace datapath) in a network namespace of its own, with a run directory under /tmp.
/// Everything it starts is stopped by pid, and its namespace and directory are removed.
public final class OVSNode: @unchecked Sendable {
    public let name: String
    public let dir: String
    public var db: String { "unix:\(dir)/db.sock" }
    private var stopped = false

    var environment: [String: String] { ["OVS_RUNDIR": dir, "OVS_LOGDIR": dir, "OVS_DBDIR": dir] }

    /// Starts the daemons. `name` must be unique among running tests (it names the namespace).
    public init(name: String = "taas-t\(UInt32.random(in: 0...UInt32.max))") throws {
        self.name = name
        dir = "/tmp/\(name)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            try Command.check("ip", ["netns", "add", name])
            try Command.check("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"])
            try Command.check("ovsdb-tool", ["create", "\(dir)/conf.db", "/usr/share/openvswitch/vswitch.ovsschema"])
            try Command.startDaemon("ip", ["netns", "exec", name, "ovsdb-server", "\(dir)/conf.db", "--remote=punix:\(dir)/db.sock",
                                     "--pidfile=\(dir)/ovsdb-server.pid", "--detach", "--log-file=\(dir)/ovsdb-server.log"],
                              environment: environment)
            try vsctl(["--no-wait", "init"])
            try startSwitch()
        } catch {
            stop()
            throw error
        }
    }

    /// Starts ovs-vswitchd (again, after `killSwitch`).
    public func startSwitch() throws {
        try Command.startDaemon("ip", ["netns", "exec", name, "ovs-vswitchd", db, "--pidfile=\(dir)/ovs-vswitchd.pid", "--detach",
                                       "--log-file=\(dir)/ovs-vswitchd.log"], environment: environment)
    }

    /// Kills ovs-vswitchd with SIGKILL, as a crash would, and waits until it is gone.
    public func killSwitch() throws {
        guard let pid = pid("ovs-vswitchd") else { throw Command.Failure(description: "ovs-vswitchd is not running in \(dir)") }
        kill(pid, SIGKILL)
        for _ in 0..<100 where kill(pid, 0) == 0 && !isZombie(pid) { usleep(20_000) }
        try? FileManager.default.removeItem(atPath: "\(dir)/ovs-vswitchd.pid")
    }

    func pid(_ daemon: String) -> Int32? {
        guard let text = try? String(contentsOfFile: "\(dir)/\(daemon).pid", encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @discardableResult
    public func vsctl(_ args: [String]) throws -> String {
        try Command.check("ovs-vsctl", ["--db=\(db)", "--timeout=10"] + args)
    }

    /// `ovs-ofctl -O OpenFlow13 CMD unix:DIR/BRIDGE.mgmt ARGS`.
    @discardableResult
    public func ofctl(_ command: String, bridge: String = "br-int", _ args: [String] = [], options: [String] = []) throws -> String {
        try Command.check("ovs-ofctl", ["-O", "OpenFlow13"] + options + [command, mgmtSocket(bridge)] + args)
    }

    public func appctl(_ args: [String]) throws -> String {
        try Command.check("ovs-appctl", ["-t", "ovs-vswitchd"] + args, environment: environment)
    }

    /// The bridge's management socket: OpenFlow spoken directly to ovs-vswitchd.
    public func mgmtSocket(_ bridge: String = "br-int") -> String { "unix:\(dir)/\(bridge).mgmt" }
    public func mgmtPath(_ bridge: String = "br-int") -> String { "\(dir)/\(bridge).mgmt" }

    /// An integration bridge as the controller expects it: userspace datapath, OpenFlow 1.3,
    /// fail_mode=secure, a fixed datapath id.
    public func addIntegrationBridge(_ bridge: String = "br-int", datapathID: UInt64) throws {
        let dpid = String(datapathID, radix: 16)
        try vsctl(["add-br", bridge, "--", "set", "bridge", bridge, "datapath_type=netdev", "fail_mode=secure",
                   "protocols=OpenFlow13", "other_config:datapath-id=\(String(repeating: "0", count: 16 - dpid.count) + dpid)"])
        // The management socket appears once vswitchd has reconfigured.
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: mgmtPath(bridge)) { usleep(20_000) }
        guard FileManager.default.fileExists(atPath: mgmtPath(bridge)) else {
            throw Command.Failure(description: "no management socket for \(bridge) in \(dir)")
        }
    }

    /// Stops the daemons by pid file, then removes the namespace and run directory.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        for daemon in ["ovs-vswitchd", "ovsdb-server"] {
            if let pid = pid(daemon) {
                kill(pid, SIGTERM)
                // A zombie counts as stopped (LAB.md: reaping is slow here).
                for _ in 0..<50 where kill(pid, 0) == 0 && !isZombie(pid) { usleep(20_000) }
                if kill(pid, 0) == 0 && !isZombie(pid) { kill(pid, SIGKILL) }
            }
        }
        _ = try? Command.run("ip", ["netns", "del", name])
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    deinit { stop() }
}
