import Foundation

/// A PostgreSQL server of a test's (or a lab's) own: Debian's `postgresql` binaries, a cluster
/// made with `initdb` in a temporary directory, listening only on a unix socket in that
/// directory (no TCP), run as the `postgres` user when running as root (PostgreSQL refuses
/// root). Stopped by its pid, its directory removed, unless detached (a lab left running).
public final class PrivatePostgres: @unchecked Sendable {
    public let dir: String
    public private(set) var pid: pid_t = 0
    private var removed = false
    /// Left running when this value goes away (`taas-lab up`; `taas-lab down` stops it by pid).
    public var detached = false

    /// Its `postgres` database, as the stores take it.
    public var url: String { "postgresql://postgres@/postgres?host=\(dir)" }
    var socket: String { "\(dir)/.s.PGSQL.5432" }

    public static func binary(_ name: String) throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root))?.compactMap(Int.init).sorted() ?? []
        guard let v = versions.last else { throw Command.Failure(description: "PostgreSQL is not installed (no \(root)/VERSION/bin)") }
        return "\(root)/\(v)/bin/\(name)"
    }

    /// A PostgreSQL program as `postgres` when running as root (setpriv execs it: the pid is the program's).
    static func argv(_ program: String, _ args: [String]) throws -> (String, [String]) {
        let path = try binary(program)
        guard getuid() == 0 else { return (path, args) }
        return (try Command.tool("setpriv"), ["--reuid=postgres", "--regid=postgres", "--init-groups", path] + args)
    }

    public init() throws {
        // Under /tmp: the postgres user must reach it, and a lab's own directory may be root's alone.
        dir = "/tmp/taas-pg-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if getuid() == 0 { try Command.check("chown", ["postgres:postgres", dir]) }
        let (initdb, args) = try Self.argv("initdb", ["-D", "\(dir)/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        do {
            try Command.check(initdb, args)
            try start()
        } catch {
            stop()
            throw error
        }
    }

    /// Starts the server on its cluster (again, after `pause`).
    public func start() throws {
        let (server, args) = try Self.argv("postgres", ["-D", "\(dir)/data", "-k", dir, "-c", "listen_addresses=", "-c", "fsync=on"])
        pid = try Command.startBackground(server, args, logPath: "\(dir)/postgres.log")
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { usleep(50_000) }
        guard FileManager.default.fileExists(atPath: socket) else {
            throw Command.Failure(description: "PostgreSQL did not start: \((try? String(contentsOfFile: "\(dir)/postgres.log", encoding: .utf8)) ?? "")")
        }
        // The socket exists a moment before connections are accepted (longer on a busy machine).
        for _ in 0..<100 {
            if let ready = try? Command.run(try Self.binary("pg_isready"), ["-q", "-h", dir, "-U", "postgres"]), ready.status == 0 { return }
            usleep(100_000)
        }
        throw Command.Failure(description: "PostgreSQL does not accept connections: \((try? String(contentsOfFile: "\(dir)/postgres.log", encoding: .utf8)) ?? "")")
    }

    /// Stops the server (fast shutdown, SIGINT, waited for), keeping its cluster.
    public func pause() {
        guard pid > 0 else { return }
        try? signalAll(SIGCONT)
        kill(pid, SIGINT)
        var status: Int32 = 0
        for _ in 0..<200 {
            if waitpid(pid, &status, WNOHANG) != 0 { break }
            usleep(50_000)
        }
        if kill(pid, 0) == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        pid = 0
    }

    /// Sends `signal` to the server and each of its processes (found by parent pid): SIGSTOP
    /// freezes it whole, as a hung database host would be, and SIGCONT wakes it.
    public func signalAll(_ signal: Int32) throws {
        // The server first, so that it forks no new backend (clients reconnect all the time)
        // between the listing of its children and their signal.
        kill(pid, signal)
        let children = try Command.check("ps", ["-o", "pid=", "--ppid", "\(pid)"]).split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        for p in children { kill(p, signal) }
    }

    /// Stops the server; its files go.
    public func stop() {
        pause()
        guard !removed else { return }
        removed = true
        // TAAS_KEEP_LOGS=1 keeps the directory (the server's log, and the logs tests put there).
        if ProcessInfo.processInfo.environment["TAAS_KEEP_LOGS"] != "1" { try? FileManager.default.removeItem(atPath: dir) }
    }

    deinit { if !detached { stop() } }

    /// Stops a server left running by an earlier process, by the pid in its data directory
    /// (only if that process is a postgres of this directory), and removes the directory.
    public static func stop(dir: String) {
        let pidFile = (try? String(contentsOfFile: "\(dir)/data/postmaster.pid", encoding: .utf8)) ?? ""
        if let pid = pidFile.split(separator: "\n").first.flatMap({ pid_t($0) }), kill(pid, 0) == 0 {
            let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? ""
            if cmdline.contains(dir) {
                kill(pid, SIGINT)
                for _ in 0..<200 where kill(pid, 0) == 0 { usleep(50_000) }
                if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
            }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
