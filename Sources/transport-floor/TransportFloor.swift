import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The floor under a push to many switches: the same connections and round trips, with the same
/// bytes, but nothing encoded, parsed or decided at either end — what loopback TCP and SwiftNIO
/// cost on this machine alone. `scripts/bench-sim.py` runs it beside taasd and switch-sim.
@main
struct TransportFloor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport-floor",
        abstract: "A push's transport alone, over loopback: the reference for switch-sim pushes.",
        subcommands: [Push.self, Answer.self])
}

struct Common: ParsableArguments {
    @Option(help: "Loopback port.") var port: Int
    @Option(help: "Connections.") var connections: Int
    @Option(help: "Bytes per round trip, OUT:BACK,… (OUT written by the pushing end, BACK answered).") var exchange: Exchange

    func validate() throws {
        guard connections > 0, (1...65535).contains(port) else { throw ValidationError("--connections must be positive and --port a port") }
    }
}

extension TransportFloor {
    /// The controller's end: accepts the connections, says `ready`, and on `go` (stdin) pushes to
    /// every connection, WINDOW at a time; then says `floor seconds T` and closes them all.
    struct Push: ParsableCommand {
        @OptionGroup var common: Common
        @Option(help: "Pushes in flight at once (taasd: 64).") var window = 64

        func validate() throws {
            guard window > 0 else { throw ValidationError("--window must be positive") }
        }

        func run() throws {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
            defer { try? group.syncShutdownGracefully() }
            let total = common.connections
            let pushes = Pushes(total: total, window: window, loop: group.next())
            let payloads = buffers(common.exchange.out), back = common.exchange.back
            let server = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 4096)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let end = PushingEnd(payloads: payloads, back: back, done: { pushes.finished() }, lost: { pushes.lost() })
                        try channel.pipeline.syncOperations.addHandler(end)
                        pushes.accepted(channel, NIOLoopBound(end, eventLoop: channel.eventLoop))
                    }
                }
                .bind(host: "127.0.0.1", port: common.port).wait()
            say("listening")
            try pushes.allAccepted.futureResult.wait()
            say("ready \(total)")
            guard readLine() == "go" else { return }
            let start = ContinuousClock.now
            pushes.begin()
            try pushes.allDone.futureResult.wait()
            let d = ContinuousClock.now - start
            say("floor seconds \(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)")
            try? server.close().wait()
            pushes.closeAll()
        }
    }

    /// The switches' end: makes the connections (200 at a time) and answers each step's bytes
    /// until the pushing end closes them.
    struct Answer: ParsableCommand {
        @OptionGroup var common: Common

        func run() throws {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
            defer { try? group.syncShutdownGracefully() }
            let out = common.exchange.out, replies = buffers(common.exchange.back)
            let bootstrap = ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AnsweringEnd(out: out, replies: replies))
                    }
                }
            var channels: [Channel] = []
            while channels.count < common.connections {
                let wave = (0..<min(200, common.connections - channels.count)).map { _ in
                    bootstrap.connect(host: "127.0.0.1", port: common.port)
                }
                for f in wave { channels.append(try f.wait()) }
            }
            for c in channels { try? c.closeFuture.wait() }
        }
    }
}

/// Which connections have been pushed to, and when all are done; shared by every event loop.
final class Pushes: Sendable {
    typealias Member = (channel: Channel, end: NIOLoopBound<PushingEnd>)
    private struct State { var members: [Member] = []; var next = 0; var done = 0 }
    private let state = NIOLockedValueBox(State())
    let total: Int, window: Int
    let allAccepted: EventLoopPromise<Void>
    let allDone: EventLoopPromise<Void>

    init(total: Int, window: Int, loop: EventLoop) {
        self.total = total
        self.window = window
        allAccepted = loop.makePromise()
        allDone = loop.makePromise()
    }

    func accepted(_ channel: Channel, _ end: NIOLoopBound<PushingEnd>) {
        let all = state.withLockedValue { s in
            s.members.append((channel, end))
            return s.members.count == total
        }
        if all { allAccepted.succeed() }
    }

    /// A connection was lost before its push was through.
    func lost() {
        allAccepted.fail(Lost())
        allDone.fail(Lost())
    }

    struct Lost: Error, CustomStringConvertible {
        var description: String { "a connection closed before its push was through" }
    }

    func begin() {
        for _ in 0..<min(window, total) { startNext() }
    }

    func finished() {
        let all = state.withLockedValue { s in
            s.done += 1
            return s.done == total
        }
        if all { allDone.succeed() } else { startNext() }
    }

    private func startNext() {
        let member: Member? = state.withLockedValue { s in
            guard s.next < s.members.count else { return nil }
            defer { s.next += 1 }
            return s.members[s.next]
        }
        guard let member else { return }
        member.channel.eventLoop.execute { member.end.value.start() }
    }

    func closeAll() {
        for m in state.withLockedValue({ $0.members }) { try? m.channel.close().wait() }
    }
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
