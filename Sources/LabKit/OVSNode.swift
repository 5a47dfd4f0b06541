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

    /// Kept running when this value goes away (taas-lab leaves a lab up between commands).
    public var detached = false

    /// Starts the daemons. `name` must be unique among running tests (it names the namespace);
    /// `dir` is the run directory (default /tmp/NAME).
    public init(name: String = "taas-t\(UInt32.random(in: 0...UInt32.max))", dir runDirectory: String? = nil) throws {
        self.name = name
        dir = runDirectory ?? "/tmp/\(name)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            try Command.check("ip", ["netns", "add", name])
            try Command.check("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"])
            try Command.check("ovsdb-tool", ["create", "\(dir)/conf.db", "/usr/share/openvswitch/vswitch.ovsschema"])
            try startDatabase()
            try vsctl(["--no-wait", "init"])
            try startSwitch()
        } catch {
            stop()
            throw error
        }
    }

    /// A node started earlier (by another process), to stop it or run its tools.
    public init(attaching name: String, dir: String) {
        self.name = name
        self.dir = dir
    }

    /// Whether its ovsdb-server and ovs-vswitchd are running.
    public var isRunning: Bool {
        ["ovsdb-server", "ovs-vswitchd"].allSatisfy { d in pid(d).map { kill($0, 0) == 0 && !isZombie($0) } ?? false }
    }

    /// Starts ovsdb-server; it also serves the targets `ovs-vsctl set-manager` configures.
    public func startDatabase() throws {
        try Command.startDaemon("ip", ["netns", "exec", name, "ovsdb-server", "\(dir)/conf.db", "--remote=punix:\(dir)/db.sock",
                                       "--remote=db:Open_vSwitch,Open_vSwitch,manager_options",
                                       "--private-key=db:Open_vSwitch,SSL,private_key", "--certificate=db:Open_vSwitch,SSL,certificate",
                                       "--ca-cert=db:Open_vSwitch,SSL,ca_cert",
                                       "--pidfile=\(dir)/ovsdb-server.pid", "--detach", "--log-file=\(dir)/ovsdb-server.log"],
                                environment: environment, stderrPath: "\(dir)/ovsdb-server.stderr")
    }

    /// Stops ovsdb-server and starts it again (the database file keeps its contents).
    public func restartDatabase() throws {
        guard let pid = pid("ovsdb-server") else { throw Command.Failure(description: "ovsdb-server is not running in \(dir)") }
        kill(pid, SIGTERM)
        for _ in 0..<250 where kill(pid, 0) == 0 && !isZombie(pid) { usleep(20_000) }
        if kill(pid, 0) == 0 && !isZombie(pid) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: "\(dir)/ovsdb-server.pid")
        // The old process may still be releasing its database lock: try again for a while.
        var lastError: Error?
        for _ in 0..<50 {
            do { return try startDatabase() } catch { lastError = error }
            usleep(100_000)
        }
        let log = (try? String(contentsOfFile: "\(dir)/ovsdb-server.stderr", encoding: .utf8)) ?? ""
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "gone"
        let holders = (try? Command.run("sh", ["-c", "ls -l /proc/[0-9]*/fd 2>/dev/null | grep -B30 conf.db | grep -E '^/proc|conf.db'"]).stdout) ?? ""
        throw Command.Failure(description: "ovsdb-server did not restart: \(lastError.map { "\($0)" } ?? "")\n\(log.suffix(2000))\nold \(pid): \(stat)\n\(holders)")
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

    /// How many flows the bridge holds (`ovs-ofctl dump-aggregate`); -1 when the answer does not say.
    public func flowCount(bridge: String = "br-int") throws -> Int {
        let text = try ofctl("dump-aggregate", bridge: bridge)
        return Int(text.split(separator: "flow_count=").last?.prefix { $0.isNumber } ?? "") ?? -1
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
        // TAAS_KEEP_LOGS=1 keeps the run directory (logs, captures) for a look after a failure.
        if ProcessInfo.processInfo.environment["TAAS_KEEP_LOGS"] != "1" { try? FileManager.default.removeItem(atPath: dir) }
    }

    private func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    deinit { if !detached { stop() } }
}
