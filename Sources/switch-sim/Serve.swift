import Foundation
import SwitchSimulator

/// Answers a benchmark script on stdin/stdout while the switches stay connected:
///   `status [SINCE]`  →  `status connected C flows F groups G changed K last L first E in I out O`
/// where F and G are totals over all switches, K is how many switches changed their tables after
/// SINCE (wall-clock seconds since 1970; default 0), L the latest change, in the same clock, E the
/// earliest of those K switches' latest changes (0 when none changed), and I and O the bytes of
/// bundle traffic received from and sent to taasd (bundle messages and barriers, and their replies).
///   `quit` (or end of input)  →  disconnects every switch and exits.
enum Serve {
    static func status(_ switches: [SimulatedSwitch], since: Double) -> String {
        var connected = 0, flows = 0, groups = 0, changed = 0, last = 0.0, first = Double.infinity, bundleIn = 0, bundleOut = 0
        for s in switches {
            let st = s.tableSummary
            if s.isActive { connected += 1 }
            flows += st.flows
            groups += st.groups
            bundleIn += st.bundleBytesIn
            bundleOut += st.bundleBytesOut
            if st.changes > 0 && st.lastChange > since {
                changed += 1
                first = min(first, st.lastChange)
            }
            last = max(last, st.lastChange)
        }
        return "status connected \(connected) flows \(flows) groups \(groups) changed \(changed) last \(String(format: "%.6f", last)) first \(String(format: "%.6f", changed > 0 ? first : 0)) in \(bundleIn) out \(bundleOut)"
    }

    /// Lines from stdin, read on a thread of their own (reading blocks).
    static func lines() -> AsyncStream<String> {
        AsyncStream { continuation in
            Thread.detachNewThread {
                while let line = readLine() { continuation.yield(line) }
                continuation.finish()
            }
        }
    }

    static func run(_ switches: [SimulatedSwitch]) async throws {
        for await line in lines() {
            let words = line.split(separator: " ")
            switch words.first.map(String.init) {
            case "status":
                let since = words.count > 1 ? Double(words[1]) ?? 0 : 0
                emit(status(switches, since: since))
            case "quit":
                return
            case nil:
                continue
            default:
                emit("error unknown command \(line) (status [SINCE], quit)")
            }
        }
    }
}

/// Writes one line to stdout at once, unbuffered: a script waits for it, and stdio's flush would
/// contend with the thread blocked reading stdin.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
