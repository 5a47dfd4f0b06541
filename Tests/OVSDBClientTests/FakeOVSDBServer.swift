import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OVSDB

/// An OVSDB server that misbehaves on purpose: each connection is answered by a script, which
/// sees every request and says what bytes to send back and whether to hang up.
final class FakeOVSDBServer: Sendable {
    enum Action: Sendable {
        case send(String)
        case close
    }

    /// (connection number from 1, request) → what to do.
    typealias Script = @Sendable (Int, RPCMessage) -> [Action]

    private let channel: Channel
    private let state: NIOLockedValueBox<State>
    struct State {
        var connections = 0
        var received: [RPCMessage] = []
        var live: [Channel] = []
    }

    var port: Int { channel.localAddress?.port ?? 0 }
    var connections: Int { state.withLockedValue { $0.connections } }
    var received: [RPCMessage] { state.withLockedValue { $0.received } }

    init(script: @escaping Script) async throws {
        let state = NIOLockedValueBox(State())
        self.state = state
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let n = state.withLockedValue { s in
                    s.connections += 1
                    s.live.append(channel)
                    return s.connections
                }
                return channel.pipeline.addHandler(Handler(number: n, script: script, state: state))
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Sends raw text on every open connection (an unsolicited notification, say).
    func broadcast(_ text: String) {
        for c in state.withLockedValue({ $0.live }) where c.isActive {
            var b = c.allocator.buffer(capacity: text.utf8.count)
            b.writeString(text)
            c.writeAndFlush(b, promise: nil)
        }
    }

    func stop() async {
        for c in state.withLockedValue({ $0.live }) { try? await c.close() }
        try? await channel.close()
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let number: Int
        let script: Script
        let state: NIOLockedValueBox<State>
        var buffer: [UInt8] = []
        var framer = JSONFramer()

        init(number: Int, script: @escaping Script, state: NIOLockedValueBox<State>) {
            self.number = number; self.script = script; self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            buffer += Array(buffer: unwrapInboundIn(data))
            while let n = try? framer.nextMessageLength(buffer) {
                let text = buffer[..<n]
                buffer.removeFirst(n)
                framer.reset()
                guard let json = try? JSONParser.parse(text), let message = try? RPCMessage(json) else { continue }
                state.withLockedValue { $0.received.append(message) }
                for action in script(number, message) {
                    switch action {
                    case .send(let s):
                        var b = context.channel.allocator.buffer(capacity: s.utf8.count)
                        b.writeString(s)
                        context.writeAndFlush(NIOAny(b), promise: nil)
                    case .close:
                        context.close(promise: nil)
                        return
                    }
                }
            }
        }
    }

    // MARK: a well-formed node

    static var schema: JSONValue {
        var tables: [String: JSONValue] = [:]
        for (t, cols) in OpenVSwitchSchema.columns {
            var c: [String: JSONValue] = [:]
            for col in cols { c[col] = ["type": "string"] }
            tables[t] = ["columns": .object(c)]
        }
        return ["name": "Open_vSwitch", "version": "8.3.0", "tables": .object(tables)]
    }

    static let initial: JSONValue = [
        "Open_vSwitch": ["u0": ["new": ["external_ids": ["map", [["system-id", "fake-1"]]], "bridges": ["uuid", "b1"]]]],
        "Bridge": ["b1": ["new": ["name": "br-int", "ports": ["set", []], "datapath_id": "00000000000000f1"]]],
    ]

    static func reply(_ request: RPCMessage, _ result: JSONValue) -> Action {
        guard case .request(_, _, let id) = request else { return .send("") }
        return .send(RPCMessage.response(result: result, error: .null, id: id).json.serialized)
    }

    /// Answers get_schema, monitor and echo as ovsdb-server would.
    static func wellBehaved(_ request: RPCMessage, schema: JSONValue = schema) -> [Action] {
        switch request {
        case .request("get_schema", _, _): [reply(request, schema)]
        case .request("monitor", _, _): [reply(request, initial)]
        case .request("echo", let params, _): [reply(request, .array(params))]
        default: []
        }
    }
}

/// Keeps log messages for tests to look at.
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let all = self.metadata.merging(metadata ?? [:]) { $1 }
        lines.withLockedValue { $0.append("\(level) \(message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))") }
    }
}
