import Foundation

/// A PostgreSQL server of a test's own: Debian's `postgresql` binaries, a cluster made with
/// `initdb` in a temporary directory, listening only on a unix socket in that directory (no
/// TCP), run as the `postgres` user when the tests run as root (PostgreSQL refuses root).
/// Stopped by its pid, its directory removed.
public final class PrivatePostgres: @unchecked Sendable {
    public let dir: String
    public let pid: pid_t
    private var stopped = false

    /// Its `postgres` database, as the stores take it.
    public var url: String { "postgresql://postgres@/postgres?host=\(dir)" }

    public static func binary(_ name: String) throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root))?.compactMap(Int.init).sorted() ?? []
        guard let v = versions.last else { throw Command.Failure(description: "PostgreSQL is not installed (no \(root)/VERSION/bin)") }
        return "\(root)/\(v)/bin/\(name)"
    }

    public init() throws {
        dir = "/tmp/taas-pg-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        if asRoot { try Command.check("chown", ["postgres:postgres", dir]) }
        // Runs a PostgreSQL program as `postgres` (setpriv execs it: the pid is the program's).
        func argv(_ program: String, _ args: [String]) throws -> (String, [String]) {
            let path = try Self.binary(program)
            guard asRoot else { return (path, args) }
            return (try Command.tool("setpriv"), ["--reuid=postgres", "--regid=postgres", "--init-groups", path] + args)
        }
        let (initdb, initArgs) = try argv("initdb", ["-D", "\(dir)/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        try Command.check(initdb, initArgs)
        let (server, serverArgs) = try argv("postgres", ["-D", "\(dir)/data", "-k", dir, "-c", "listen_addresses=", "-c", "fsync=on"])
        pid = try Command.startBackground(server, serverArgs, logPath: "\(dir)/postgres.log")
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: "\(dir)/.s.PGSQL.5432") { usleep(50_000) }
        guard FileManager.default.fileExists(atPath: "\(dir)/.s.PGSQL.5432") else {
            stop()
            throw Command.Failure(description: "PostgreSQL did not start: \((try? String(contentsOfFile: "\(dir)/postgres.log", encoding: .utf8)) ?? "")")
        }
        // The socket exists a moment before connections are accepted.
        usleep(200_000)
    }

    /// Fast shutdown (SIGINT), waited for; then its files go.
    public func stop() {
        guard !stopped else { return }
        stopped = true
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
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stop() }
}
