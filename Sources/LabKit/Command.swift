import Foundation

/// Runs external tools (ovs-ofctl, ovs-vsctl, ip) for tests against real Open vSwitch.
public enum Command {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The absolute path of a tool, or a failure telling how to install it: tests that need
    /// a real tool fail loudly instead of passing vacuously.
    public static func tool(_ name: String) throws -> String {
        if name.hasPrefix("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw Failure(description: "\(name) is not built") }
            return name
        }
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Failure(description: "\(name) not found: run scripts/test.sh, which installs openvswitch-switch, tcpdump, iproute2 and ethtool")
    }

    /// Runs a tool to completion, capturing its output.
    @discardableResult
    public static func run(_ name: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        try execute(try tool(name), arguments, environment: environment)
    }

    /// Runs an executable to completion, capturing its output (through files: a pipe fills, and a
    /// daemon the tool leaves behind would hold it open).
    static func execute(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        let base = NSTemporaryDirectory() + "taas-cmd-\(UInt64.random(in: 0...UInt64.max))"
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        let process = try SpawnedProcess(path, arguments, environment: environment, stdoutPath: base + ".out", stderrPath: base + ".err")
        process.waitUntilExit()
        let read = { (p: String) in FileManager.default.contents(atPath: p).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        return Output(status: process.terminationStatus, stdout: read(base + ".out"), stderr: read(base + ".err"))
    }

    /// Runs a tool that daemonizes (`--detach`) and waits for the launcher to exit. Uses
    /// posix_spawn and waitpid directly, with output to /dev/null: a detached daemon keeps
    /// inherited pipes open, and Foundation's Process does not always notice the exit.
    public static func startDaemon(_ name: String, _ arguments: [String], environment: [String: String]? = nil,
                                   stderrPath: String = "/dev/null") throws {
        let pid = try spawn(try tool(name), arguments, environment: environment, stdoutPath: "/dev/null", stderrPath: stderrPath,
                            newSession: false)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WEXITSTATUS: the exit code lives in bits 8-15 when the process exited normally.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw Failure(description: "\(name) \(arguments.joined(separator: " ")) failed with status \(status)")
        }
    }

    /// Starts a long-running program in a session of its own (it outlives the caller), its
    /// output appended to `logPath`; returns its pid without waiting.
    public static func startBackground(_ path: String, _ arguments: [String], environment: [String: String]? = nil, logPath: String) throws -> pid_t {
        try spawn(path, arguments, environment: environment, stdoutPath: logPath, stderrPath: logPath, newSession: true)
    }

    static func spawn(_ path: String, _ arguments: [String], environment: [String: String]?, stdoutPath: String,
                      stderrPath: String, newSession: Bool) throws -> pid_t {
        var env = ProcessInfo.processInfo.environment
        if let environment { env.merge(environment) { $1 } }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Nothing above stderr reaches the child, whatever other threads opened meanwhile (marking
        // descriptors close-on-exec first races with them): a daemon that inherited the socket by
        // which Foundation's Process learns that one of its children exited kept that exit from
        // being seen, and a test run hung in waitUntilExit.
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) } else { markInheritedDescriptorsCloseOnExec() }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let appendOrTruncate = newSession ? O_APPEND : O_TRUNC
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | appendOrTruncate, 0o644)
        if stderrPath == stdoutPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        // The program starts with no signal blocked and SIGTERM/SIGINT/SIGHUP at their defaults,
        // whatever the spawning thread had: a test runner's blocked SIGTERM would otherwise be
        // inherited and the program could not be stopped by it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGHUP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // POSIX_SPAWN_SETSID (glibc): a new session, so the terminal's hang-up does not reach it.
        let setsid: Int32 = newSession ? 0x80 : 0
        posix_spawnattr_setflags(&attributes, Int16(Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | setsid))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw Failure(description: "cannot start \(path): error \(rc)") }
        return pid
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34 and later; Swift's Glibc module does
    /// not declare it).
    nonisolated(unsafe) static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Marks every descriptor above 2 close-on-exec. A daemon that inherited its launcher's
    /// pipes (ours, or those our parent gave us) would hold them open for ever, and whoever reads
    /// them to the end (a test running taas-lab) would wait for ever.
    static func markInheritedDescriptorsCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for e in entries {
            guard let fd = Int32(e), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// Runs a program to completion from async code without holding one of Swift concurrency's
    /// few threads while it waits (a server under test needs them to answer it).
    public static func runOffPool(_ executable: String, _ arguments: [String]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try execute(executable, arguments) })
            }
        }
    }

    /// Runs blocking work (programs, waits) on a Dispatch thread, so that Swift's few cooperative
    /// threads stay free for the in-process servers of tests running alongside.
    public static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs a tool and fails with its stderr unless it exits 0.
    @discardableResult
    public static func check(_ name: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let o = try run(name, arguments, environment: environment)
        guard o.status == 0 else {
            throw Failure(description: "\(name) \(arguments.joined(separator: " ")) exited \(o.status): \(o.stderr)\(o.stdout)")
        }
        return o.stdout
    }
}

extension Array where Element == UInt8 {
    public var hex: String {
        map { b in
            let s = String(b, radix: 16)
            return b < 16 ? "0" + s : s
        }.joined()
    }
}
