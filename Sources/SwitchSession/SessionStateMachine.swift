import NIOCore
import OpenFlow

/// One switch session as a pure state machine: the OpenFlow 1.3 handshake, keepalive, and the
/// bookkeeping that ties replies and errors to the requests they answer. It does no I/O: each
/// event returns the actions the channel handler must carry out.
public struct SessionStateMachine: Sendable {
    public struct Configuration: Sendable {
        /// Send ECHO_REQUEST after this long without receiving a whole message.
        public var idleInterval: TimeAmount
        /// Close when that echo is not answered (by anything) within this long.
        public var echoTimeout: TimeAmount
        /// `miss_send_len` asked for in SET_CONFIG.
        public var missSendLength: UInt16
        /// Requests and transactions awaiting an answer, at most.
        public var maxPending: Int
        /// A switch that answers echoes but never finishes the handshake is closed after this long.
        public var handshakeTimeout: TimeAmount

        public init(idleInterval: TimeAmount = .seconds(5), echoTimeout: TimeAmount = .seconds(10), missSendLength: UInt16 = 128,
                    maxPending: Int = 100_000, handshakeTimeout: TimeAmount = .seconds(30)) {
            self.idleInterval = idleInterval
            self.echoTimeout = echoTimeout
            self.missSendLength = missSendLength
            self.maxPending = maxPending
            self.handshakeTimeout = handshakeTimeout
        }
    }

    public enum RequestError: Error, Hashable, Sendable {
        /// The switch answered with OFPT_ERROR.
        case switchError(ErrorMessage)
        case sessionClosed(String)
        case notReady
        case tooManyPending
    }

    public enum Action: Sendable {
        case send(OpenFlowMessage)
        /// Messages with consecutive xids from `firstXID`: a transaction's members, kept as one
        /// action so that a hundred thousand of them are not copied into actions one by one.
        case sendAll(firstXID: UInt32, [OpenFlowMessage.Payload])
        /// Flush what was sent, then close the connection.
        case close(reason: String)
        case ready(SwitchInfo)
        case portChanged(PortChange)
        case requestCompleted(xid: UInt32, Result<[OpenFlowMessage], RequestError>)
        /// The barrier after a transaction came back; errors are keyed by the xid of the message they answer.
        case transactionCompleted(barrierXID: UInt32, Result<[UInt32: ErrorMessage], RequestError>)
        /// Anything the switch sent that answers no request (packet-ins, flow-removed, stray errors).
        case unsolicited(OpenFlowMessage)
    }

    enum Phase: Sendable {
        case awaitingHello
        case awaitingFeatures(xid: UInt32)
        case awaitingDescription(xid: UInt32, features: SwitchFeatures)
        case awaitingPorts(xid: UInt32, features: SwitchFeatures, description: SwitchDescription)
        case ready
        case closed
    }

    enum Pending: Sendable {
        case reply(parts: [OpenFlowMessage])
        /// A transaction's barrier: the errors its members drew so far. Its members (messages
        /// with no reply of their own, answered only by an error) hold consecutive xids, kept
        /// once in `transactions` rather than one entry each: a transaction may hold 100,000.
        /// Until the barrier is `sent`, nothing the switch sends under its xid can answer it.
        /// `then` goes (under the xid before the barrier's) once the barrier comes back clean.
        case barrier(errors: [UInt32: ErrorMessage], sent: Bool, then: OpenFlowMessage.Payload?)
        /// A transaction's last message, sent once its barrier came back clean (a bundle's
        /// commit). The members' errors it draws (a failed commit names the message at fault)
        /// are kept with it; its completion is reported under the transaction's barrier.
        case final(barrier: UInt32, errors: [UInt32: ErrorMessage])

        /// The same stage with a member's error added; nil for a plain request.
        func recording(_ e: ErrorMessage, for xid: UInt32) -> Pending? {
            switch self {
            case .reply:
                return nil
            case .barrier(var errors, let sent, let then):
                errors[xid] = e
                return .barrier(errors: errors, sent: sent, then: then)
            case .final(let barrier, var errors):
                errors[xid] = e
                return .final(barrier: barrier, errors: errors)
            }
        }
    }

    public let configuration: Configuration
    private var phase: Phase = .awaitingHello
    private var ports: [PortNumber: PortDescription] = [:]
    public private(set) var info: SwitchInfo?
    private var lastReceived: NIODeadline
    private var echoSentAt: NIODeadline?
    private var nextXID: UInt32 = 0
    private var pending: [UInt32: Pending] = [:]
    /// Open transactions: their members' xids, and their barrier's.
    private var transactions: [(members: ClosedRange<UInt32>, barrier: UInt32)] = []
    /// Requests and transactions awaiting an answer.
    public private(set) var pendingCount = 0
    private var startedAt: NIODeadline

    public init(configuration: Configuration = Configuration(), now: NIODeadline) {
        self.configuration = configuration
        lastReceived = now
        startedAt = now
    }

    public var isReady: Bool { if case .ready = phase { true } else { false } }
    public var isClosed: Bool { if case .closed = phase { true } else { false } }

    private mutating func makeXID() -> UInt32 {
        nextXID &+= 1
        if nextXID == 0 { nextXID = 1 }
        return nextXID
    }

    // MARK: Events

    public mutating func channelActive(now: NIODeadline) -> [Action] {
        lastReceived = now
        startedAt = now
        return [.send(OpenFlowMessage(xid: makeXID(), .hello(.supporting([OpenFlow.version13]))))]
    }

    public mutating func received(_ m: OpenFlowMessage, now: NIODeadline) -> [Action] {
        if case .closed = phase { return [] }
        lastReceived = now
        echoSentAt = nil  // anything received proves the peer alive
        if case .awaitingHello = phase { return negotiate(m) }
        if case .echoRequest(let data) = m.payload { return [.send(OpenFlowMessage(xid: m.xid, .echoReply(data)))] }
        if case .echoReply = m.payload, pending[m.xid] == nil { return [] }

        switch phase {
        case .awaitingHello:
            return negotiate(m)
        case .awaitingFeatures(let xid):
            if m.xid == xid, case .featuresReply(let f) = m.payload {
                let descXID = makeXID()
                phase = .awaitingDescription(xid: descXID, features: f)
                return [.send(OpenFlowMessage(xid: makeXID(), .setConfig(SwitchConfig(flags: 0, missSendLength: configuration.missSendLength)))),
                        .send(OpenFlowMessage(xid: descXID, .multipartRequest(MultipartRequest(.desc))))]
            }
            return handshakeOther(m, expecting: xid)
        case .awaitingDescription(let xid, let features):
            if m.xid == xid, case .multipartReply(let r) = m.payload, case .desc(let d) = r.body {
                let portsXID = makeXID()
                phase = .awaitingPorts(xid: portsXID, features: features, description: d)
                return [.send(OpenFlowMessage(xid: portsXID, .multipartRequest(MultipartRequest(.portDesc))))]
            }
            return handshakeOther(m, expecting: xid)
        case .awaitingPorts(let xid, let features, let description):
            if m.xid == xid, case .multipartReply(let r) = m.payload, case .portDesc(let list) = r.body {
                for p in list { ports[p.portNumber] = p }
                if r.hasMore { return [] }
                let info = SwitchInfo(datapathID: features.datapathID, features: features, description: description, ports: ports)
                self.info = info
                ports = [:]
                phase = .ready
                return [.ready(info)]
            }
            return handshakeOther(m, expecting: xid)
        case .ready:
            return readyReceived(m)
        case .closed:
            return []
        }
    }

    /// HELLO negotiation (§6.3.1): with a version bitmap, 1.3 must be in it; without one, the
    /// negotiated version is the lower of the two headers', which must be 1.3.
    private mutating func negotiate(_ m: OpenFlowMessage) -> [Action] {
        guard case .hello(let hello) = m.payload else {
            return fail(.helloFailedIncompatible, xid: m.xid, "expected HELLO, got message type \(m.type.rawValue)")
        }
        let supported: Bool
        if let versions = hello.advertisedVersions {
            supported = versions.contains(OpenFlow.version13)
        } else {
            supported = m.version >= OpenFlow.version13
        }
        guard supported else {
            return fail(.helloFailedIncompatible, xid: m.xid, "peer does not support OpenFlow 1.3 (HELLO version \(m.version))")
        }
        let xid = makeXID()
        phase = .awaitingFeatures(xid: xid)
        return [.send(OpenFlowMessage(xid: xid, .featuresRequest))]
    }

    /// During the handshake: port changes are folded in; an error to our request ends the session.
    private mutating func handshakeOther(_ m: OpenFlowMessage, expecting xid: UInt32) -> [Action] {
        switch m.payload {
        case .portStatus(let s):
            if s.reason == .delete { ports[s.port.portNumber] = nil } else { ports[s.port.portNumber] = s.port }
            return []
        case .error(let e) where m.xid == xid:
            phase = .closed
            return [.close(reason: "switch refused the handshake: \(e.code)")]
        default:
            return [.unsolicited(m)]
        }
    }

    private mutating func fail(_ code: ErrorCode, xid: UInt32, _ reason: String) -> [Action] {
        phase = .closed
        let error = ErrorMessage(code: code, data: Array(reason.utf8.prefix(OpenFlow.errorDataLength)))
        return [.send(OpenFlowMessage(xid: xid, .error(error))), .close(reason: reason)]
    }

    private mutating func readyReceived(_ m: OpenFlowMessage) -> [Action] {
        if case .portStatus(let s) = m.payload {
            guard let change = info?.apply(s) else { return [] }
            return [.portChanged(change)]
        }
        guard let p = pending[m.xid] else {
            // An error for a transaction's member: kept for its barrier. Any other answer to a
            // member (a bundle's OPEN_REPLY) is expected and needs nothing.
            if let t = transactions.first(where: { $0.members.contains(m.xid) }) {
                guard case .error(let e) = m.payload else { return [] }
                if let updated = pending[t.barrier]?.recording(e, for: m.xid) {
                    pending[t.barrier] = updated
                    return []
                }
            }
            return [.unsolicited(m)]
        }
        switch (p, m.payload) {
        case (.reply, .error(let e)):
            remove(m.xid)
            return [.requestCompleted(xid: m.xid, .failure(.switchError(e)))]
        case (.reply(var parts), .multipartReply(let r)):
            guard parts.count < 10_000 else {
                remove(m.xid)
                phase = .closed
                return [.requestCompleted(xid: m.xid, .failure(.sessionClosed("multipart reply of more than 10000 parts"))),
                        .close(reason: "multipart reply of more than 10000 parts")]
            }
            parts.append(m)
            if r.hasMore {
                pending[m.xid] = .reply(parts: parts)
                return []
            }
            remove(m.xid)
            return [.requestCompleted(xid: m.xid, .success(parts))]
        case (.reply, _):
            remove(m.xid)
            return [.requestCompleted(xid: m.xid, .success([m]))]
        case (.barrier(let errors, sent: true, let then), .barrierReply):
            guard let then, errors.isEmpty else {
                remove(m.xid)
                return [.transactionCompleted(barrierXID: m.xid, .success(errors))]
            }
            // Every member went through: now the last message, which the members' errors follow.
            let last = m.xid &- 1
            pending[m.xid] = nil
            pending[last] = .final(barrier: m.xid, errors: [:])
            if let i = transactions.firstIndex(where: { $0.barrier == m.xid }) { transactions[i].barrier = last }
            return [.send(OpenFlowMessage(xid: last, then))]
        case (.barrier(_, sent: true, _), .error(let e)):
            remove(m.xid)
            return [.transactionCompleted(barrierXID: m.xid, .failure(.switchError(e)))]
        case (.final(let barrier, var errors), _):
            // Its answer, whatever it is, ends the transaction; an error is one of its errors.
            if case .error(let e) = m.payload { errors[m.xid] = e }
            remove(m.xid)
            return [.transactionCompleted(barrierXID: barrier, .success(errors))]
        default:
            return [.unsolicited(m)]
        }
    }

    private mutating func remove(_ xid: UInt32) {
        if pending.removeValue(forKey: xid) != nil { pendingCount -= 1 }
        transactions.removeAll { $0.barrier == xid }
    }

    /// The peer took what we wrote (the channel became writable again): it is alive even if
    /// we paused reading its replies.
    public mutating func writeProgress(now: NIODeadline) {
        lastReceived = now
        echoSentAt = nil
    }

    /// A message that could not be decoded: answer it, and close if the stream lost its framing.
    public mutating func decodingFailed(_ error: DecodingError) -> [Action] {
        if case .closed = phase { return [] }
        var actions: [Action] = [.send(error.errorReply)]
        if error.framingLost {
            actions.append(.close(reason: "unframeable input: \(error.reason)"))
            phase = .closed
        }
        return actions
    }

    /// Called periodically: sends the keepalive echo and closes a peer that stopped answering.
    public mutating func tick(now: NIODeadline) -> [Action] {
        if case .closed = phase { return [] }
        if !isReady, now - startedAt >= configuration.handshakeTimeout {
            phase = .closed
            return [.close(reason: "handshake not finished within \(configuration.handshakeTimeout.nanoseconds / 1_000_000) ms")]
        }
        if let sent = echoSentAt {
            guard now - sent >= configuration.echoTimeout else { return [] }
            phase = .closed
            return [.close(reason: "echo not answered within \(configuration.echoTimeout.nanoseconds / 1_000_000) ms")]
        }
        guard now - lastReceived >= configuration.idleInterval else { return [] }
        echoSentAt = now
        return [.send(OpenFlowMessage(xid: makeXID(), .echoRequest([])))]
    }

    // MARK: Requests

    /// Starts a request that has a reply (multipart, barrier, features, echo, role, bundle control…).
    public mutating func request(_ payload: OpenFlowMessage.Payload) -> (xid: UInt32, [Action]) {
        let xid = makeXID()
        if let refusal = refuse(xid) { return (xid, [refusal]) }
        pending[xid] = .reply(parts: [])
        pendingCount += 1
        return (xid, [.send(OpenFlowMessage(xid: xid, payload))])
    }

    /// Sends messages that have no reply (flow, group, meter mods; bundle adds) followed by a
    /// barrier; its completion carries every error the switch sent for them.
    /// `xids` are those given to `payloads`, in order.
    public mutating func transaction(_ payloads: [OpenFlowMessage.Payload]) -> (barrierXID: UInt32, xids: [UInt32], [Action]) {
        var (barrier, actions) = openTransaction(count: payloads.count)
        guard actions.isEmpty else { return (barrier, [], actions) }
        actions = members(of: barrier, from: 0, payloads) + closeTransaction(barrier)
        return (barrier, Array(barrier &- UInt32(payloads.count)..<barrier), actions)
    }

    /// Opens a transaction of `count` members that are handed over later, in order, by
    /// `members(of:from:_:)`, so that the first can be on their way before the last exist.
    /// `closeTransaction` sends the barrier. The members' xids are the `count` before the
    /// barrier's. When the transaction cannot start, the actions complete it at once.
    ///
    /// `then` (a message with a reply, such as a bundle's commit) is sent only if the barrier
    /// comes back with no error for any member, under the xid between the members' and the
    /// barrier's; the transaction then ends with its answer, and its error is one of the errors.
    public mutating func openTransaction(count: Int, then: OpenFlowMessage.Payload? = nil) -> (barrierXID: UInt32, [Action]) {
        guard (0..<Int(UInt32.max / 2)).contains(count) else {
            return (0, [.transactionCompleted(barrierXID: 0, .failure(.tooManyPending))])
        }
        // Members take consecutive xids (not wrapping through 0), then the barrier.
        let reserved = UInt32(count) + (then == nil ? 0 : 1)
        if UInt32.max - nextXID <= reserved + 1 { nextXID = 0 }
        let first = nextXID &+ 1
        let barrier = first &+ reserved
        if isClosed { return (barrier, [.transactionCompleted(barrierXID: barrier, .failure(.sessionClosed("session closed")))]) }
        guard isReady else { return (barrier, [.transactionCompleted(barrierXID: barrier, .failure(.notReady))]) }
        guard pendingCount < configuration.maxPending else {
            return (barrier, [.transactionCompleted(barrierXID: barrier, .failure(.tooManyPending))])
        }
        nextXID = barrier
        if count > 0 { transactions.append((first...(first &+ UInt32(count) &- 1), barrier)) }
        pending[barrier] = .barrier(errors: [:], sent: false, then: then)
        pendingCount += 1
        return (barrier, [])
    }

    /// Sends members of an open transaction, the first of them at position `offset`. Nothing
    /// once the transaction is over (the session closed), nor beyond the count it was opened with.
    public mutating func members(of barrier: UInt32, from offset: Int, _ payloads: [OpenFlowMessage.Payload]) -> [Action] {
        guard case .barrier(_, sent: false, _)? = pending[barrier], let t = transactions.first(where: { $0.barrier == barrier }) else { return [] }
        let room = t.members.count - offset
        guard offset >= 0, room > 0, !payloads.isEmpty else { return [] }
        let first = t.members.lowerBound &+ UInt32(offset)
        return [.sendAll(firstXID: first, payloads.count <= room ? payloads : Array(payloads.prefix(room)))]
    }

    /// Sends an open transaction's barrier, after all its members. `given`: how many members
    /// the caller handed over; when that is not the count the transaction was opened for, its
    /// `then` (a bundle's commit) never goes: the caller did not mean what was sent.
    public mutating func closeTransaction(_ barrier: UInt32, given: Int? = nil) -> [Action] {
        guard case .barrier(let errors, sent: false, let then)? = pending[barrier] else { return [] }
        let opened = transactions.first { $0.barrier == barrier }?.members.count ?? 0
        pending[barrier] = .barrier(errors: errors, sent: true, then: (given.map { $0 == opened } ?? true) ? then : nil)
        return [.send(OpenFlowMessage(xid: barrier, .barrierRequest))]
    }

    private func refuse(_ xid: UInt32) -> Action? {
        if isClosed { return .requestCompleted(xid: xid, .failure(.sessionClosed("session closed"))) }
        guard isReady else { return .requestCompleted(xid: xid, .failure(.notReady)) }
        guard pendingCount < configuration.maxPending else { return .requestCompleted(xid: xid, .failure(.tooManyPending)) }
        return nil
    }

    /// The connection is gone: everything still waiting fails.
    public mutating func channelInactive(reason: String) -> [Action] {
        phase = .closed
        var actions: [Action] = []
        for (xid, p) in pending {
            switch p {
            case .reply: actions.append(.requestCompleted(xid: xid, .failure(.sessionClosed(reason))))
            case .barrier: actions.append(.transactionCompleted(barrierXID: xid, .failure(.sessionClosed(reason))))
            case .final(let barrier, _): actions.append(.transactionCompleted(barrierXID: barrier, .failure(.sessionClosed(reason))))
            }
        }
        pending = [:]
        transactions = []
        pendingCount = 0
        return actions
    }
}
