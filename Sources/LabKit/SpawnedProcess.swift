import Foundation

/// A program started with posix_spawn and reaped by its own pid, for commands run to completion.
/// Foundation's Process learns of exits from a SIGCHLD monitor that, with many children started
/// at once from many threads, missed some: a whole test run once hung in waitUntilExit beside
/// zombies nobody reaped. (Long-running daemons of the tests stay on Process: with tcpdump
/// started this way the lab tests' captures came out wrong, for a reason not yet found.)
public final class SpawnedProcess: @unchecked Sendable {
    public let processIdentifier: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `path` with stdin from /dev/null and its output in the given files (truncated).
    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil, stdoutPath: String, stderrPath: String) throws {
        processIdentifier = try Command.spawn(path, arguments, environment: environment, stdoutPath: stdoutPath, stderrPath: stderrPath,
                                              newSession: false)
    }

    /// Reaps the child if it has ended (waiting for it when `blocking`); its raw wait status.
    private func reap(blocking: Bool) -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        var r: pid_t
        repeat { r = waitpid(processIdentifier, &raw, blocking ? 0 : WNOHANG) } while r < 0 && errno == EINTR
        if r == processIdentifier { status = raw } else if r < 0 { status = 0 }  // ECHILD: reaped elsewhere
        return status
    }

    public var isRunning: Bool { lock.withLock { reap(blocking: false) == nil } }

    public func waitUntilExit() { lock.withLock { _ = reap(blocking: true) } }

    /// The exit code, or the number of the signal that ended it (as Foundation's Process gives).
    public var terminationStatus: Int32 {
        let raw = lock.withLock { reap(blocking: false) } ?? 0
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
    }
}
