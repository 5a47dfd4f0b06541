import ArgumentParser
import Foundation
import NIOPosix
import SwitchSimulator

/// Connects many simulated switches to a controller and measures it: how many sessions it
/// holds, and echo round trips (switch → controller → switch) while they are all connected.
/// With `--topology` the switches are a topology file's nodes, with its ports; with `--serve`
/// they stay connected and answer status queries on stdin (see `Serve`).
@main
struct SwitchSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switch-sim",
        abstract: "Connects simulated OpenFlow 1.3 switches to a controller (for scale tests; loopback only).")

    @Option(help: "Controller address.") var host = "127.0.0.1"
    @Option(help: "Controller port.") var port = 6653
    @Option(help: "Number of switches (ignored with --topology).") var count = 1000
    @Option(help: "A topology file (as taasd's --topology): simulate its nodes, with their ports and a taas-tun port.")
    var topology: String?
    @Option(help: "Echo rounds (each switch sends one echo per round; 0: no echo measurement).") var rounds = 5
    @Flag(help: "Stay connected and answer `status [SINCE]` and `quit` on stdin.") var serve = false
    @Option(help: "Seconds to stay connected after measuring (0: leave at once).") var hold = 0.0
    @Option(help: "Concurrent connection attempts.") var parallel = 200

    func validate() throws {
        guard count > 0, rounds >= 0, parallel > 0 else { throw ValidationError("--count and --parallel must be positive, --rounds not negative") }
        guard ["127.0.0.1", "::1", "localhost"].contains(host) else {
            throw ValidationError("switch-sim only targets loopback (127.0.0.1, ::1)")
        }
    }

    static func ms(_ d: Duration) -> String {
        let v = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        return String(Double(Int(v * 1000)) / 1000)
    }

    /// "samples N p50 X p99 Y max Z", in milliseconds.
    static func summary(_ samples: [Duration]) -> String {
        let sorted = samples.sorted()
        func pct(_ p: Double) -> Duration { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return "samples \(sorted.count) p50 \(ms(pct(0.5))) p99 \(ms(pct(0.99))) max \(ms(sorted.last ?? .zero))"
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let plan: SimulatedFleet
        do {
            plan = try topology.map { try SimulatedFleet(topologyFile: $0) } ?? SimulatedFleet(count: count)
        } catch {
            throw ValidationError("--topology \(topology ?? ""): \(error)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let switches = try await plan.connect(host: host, port: port, parallel: parallel, group: group)
        // Wait until every handshake is done.
        while switches.contains(where: { !$0.currentStats.handshakeDone }) {
            try await Task.sleep(for: .milliseconds(50))
            if clock.now - start > .seconds(300) { throw ValidationError("handshakes did not complete in 300 s") }
        }
        let connectTime = clock.now - start
        emit("sessions \(switches.count) ready_ms \(Self.ms(connectTime))")
        if rounds > 0 { try await measureEchoes(switches) }
        if serve {
            try await Serve.run(switches)
        } else if hold > 0 {
            try await Task.sleep(for: .seconds(hold))
        }
        for s in switches { await s.close() }
    }

    func measureEchoes(_ switches: [SimulatedSwitch]) async throws {
        // Steady: one echo at a time from switches picked at random, the others idle.
        var steady: [Duration] = []
        for _ in 0..<2000 {
            steady.append(try await switches[Int.random(in: 0..<switches.count)].echo())
        }
        // Burst: every switch sends an echo at the same moment, `rounds` times.
        var burst: [Duration] = []
        burst.reserveCapacity(switches.count * rounds)
        for _ in 0..<rounds {
            burst += try await withThrowingTaskGroup(of: Duration.self) { g in
                for s in switches { g.addTask { try await s.echo() } }
                var out: [Duration] = []
                for try await d in g { out.append(d) }
                return out
            }
        }
        let alive = switches.filter { $0.isActive }.count
        emit("echo_steady_ms \(Self.summary(steady)) alive \(alive)")
        emit("echo_burst_ms \(Self.summary(burst)) alive \(alive)")
    }
}
