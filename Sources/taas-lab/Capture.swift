import Foundation
import LabKit

/// tcpdump in a namespace, each line handed over as it arrives.
final class Capture: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var lines: [String] = []
    private var pending = ""

    init(namespace: String, interface: String, filter: String, onLine: @escaping @Sendable (String) -> Void) throws {
        process.executableURL = URL(fileURLWithPath: try Command.tool("ip"))
        process.arguments = ["netns", "exec", namespace, "tcpdump", "-l", "-n", "-e", "-i", interface, filter]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let listening = DispatchSemaphore(value: 0)
        err.fileHandleForReading.readabilityHandler = { h in
            if String(decoding: h.availableData, as: UTF8.self).contains("listening on") { listening.signal() }
        }
        out.fileHandleForReading.readabilityHandler = { [self] h in
            let data = h.availableData
            guard !data.isEmpty else { return }
            let complete: [String] = lock.withLock {
                pending += String(decoding: data, as: UTF8.self)
                var parts = pending.components(separatedBy: "\n")
                pending = parts.removeLast()
                parts.removeAll { $0.isEmpty }
                lines += parts
                return parts
            }
            complete.forEach(onLine)
        }
        try process.run()
        // tcpdump says "listening on" once its capture is open: traffic before that is not seen.
        _ = listening.wait(timeout: .now() + 5)
    }

    /// Stops the capture; every line it printed.
    func stop() -> [String] {
        // SIGINT lets tcpdump flush what it holds; it is killed if it does not go.
        process.interrupt()
        for _ in 0..<40 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        usleep(100_000)
        return lock.withLock { lines }
    }
}
