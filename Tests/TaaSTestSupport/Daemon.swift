import Foundation

/// A long-running program started by a test (taasd inside a lab namespace), its stderr kept
/// in a file to wait on; stopped by pid.
public final class Daemon: @unchecked Sendable {
    public let process: Process
    public let logPath: String

    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, logPath: String) throws {
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the log contains `text`; fails with the log after `seconds`.
    /// Waits without holding a thread of Swift's small cooperative pool, which in-process servers
    /// of other tests running at the same time need.
    public func waitForLog(_ text: String, seconds: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        // Looks once more after the deadline: a waiter resumed late must not miss what is there.
        while true {
            if log.contains(text) { return }
            if Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Command.Failure(description: "«\(text)» not logged within \(seconds)s:\n\(log)")
    }

    /// Waits until one log line contains every one of `parts`.
    public func waitForLine(containing parts: [String], seconds: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if log.split(separator: "\n").contains(where: { line in parts.allSatisfy { line.contains($0) } }) { return }
            if Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Command.Failure(description: "no line with \(parts) logged within \(seconds)s:\n\(log)")
    }

    /// SIGTERM, then SIGKILL if it lingers.
    public func stop() {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        for _ in 0..<100 where process.isRunning { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
    }

    deinit { stop() }
}

public enum BuiltProducts {
    /// `.build/debug/NAME` of this package (swift test builds every product first).
    public static func path(_ name: String, file: String = #filePath) -> String {
        var url = URL(fileURLWithPath: file)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url.appendingPathComponent(".build/debug/\(name)").path
    }
}
