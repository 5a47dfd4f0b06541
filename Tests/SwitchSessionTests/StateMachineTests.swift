import NIOCore
import OpenFlow
import SwitchSession
import Testing

@Suite struct StateMachineTests {
    typealias Action = SessionStateMachine.Action
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func sent(_ actions: [Action]) -> [OpenFlowMessage] {
        actions.flatMap { a -> [OpenFlowMessage] in
            switch a {
            case .send(let m): [m]
            case .sendAll(let first, let payloads): payloads.enumerated().map { OpenFlowMessage(xid: first + UInt32($0), $1) }
            default: []
            }
        }
    }

    static let features = SwitchFeatures(datapathID: 0xa1, nTables: 254)
    static let port1 = PortDescription(portNumber: 1, hardwareAddress: EthernetAddress(2, 0, 0, 0, 0, 1), name: "vm1")
    static let local = PortDescription(portNumber: .local, hardwareAddress: EthernetAddress(2, 0, 0, 0, 0, 2), name: "br-int")

    /// Drives a machine through the whole handshake and returns it ready.
    func readyMachine(_ config: SessionStateMachine.Configuration = .init()) throws -> SessionStateMachine {
        var m = SessionStateMachine(configuration: config, now: t0)
        let hello = try #require(Self.sent(m.channelActive(now: t0)).first)
        #expect(hello.payload == .hello(.supporting([4])))
        let featuresRequest = try #require(Self.sent(m.received(OpenFlowMessage(xid: 9, .hello(.supporting([1, 4]))), now: t0)).first)
        #expect(featuresRequest.payload == .featuresRequest)
        let afterFeatures = Self.sent(m.received(OpenFlowMessage(xid: featuresRequest.xid, .featuresReply(Self.features)), now: t0))
        #expect(afterFeatures.map(\.type) == [.setConfig, .multipartRequest])
        let descXID = afterFeatures[1].xid
        let portDesc = try #require(Self.sent(m.received(OpenFlowMessage(xid: descXID, .multipartReply(MultipartReply(.desc(SwitchDescription(hardware: "Open vSwitch"))))), now: t0)).first)
        #expect(portDesc.payload == .multipartRequest(MultipartRequest(.portDesc)))
        // Ports arrive in two parts; the session is ready only after the last.
        #expect(m.received(OpenFlowMessage(xid: portDesc.xid, .multipartReply(MultipartReply(flags: 1, .portDesc([Self.port1])))), now: t0).isEmpty)
        #expect(!m.isReady)
        let done = m.received(OpenFlowMessage(xid: portDesc.xid, .multipartReply(MultipartReply(.portDesc([Self.local])))), now: t0)
        guard case .ready(let info)? = done.first else { Issue.record("not ready: \(done)"); return m }
        #expect(info.datapathID == 0xa1 && info.ports.count == 2 && info.description.hardware == "Open vSwitch")
        #expect(m.isReady)
        return m
    }

    @Test func handshake() throws { _ = try readyMachine() }

    @Test func helloWithoutBitmapNegotiatesByHeaderVersion() {
        var m = SessionStateMachine(now: t0)
        _ = m.channelActive(now: t0)
        // Open vSwitch's default HELLO: version 6 without a bitmap means "1.5 and below".
        let out = Self.sent(m.received(OpenFlowMessage(version: 6, xid: 1, .hello(Hello())), now: t0))
        #expect(out.first?.payload == .featuresRequest)
    }

    @Test(arguments: [
        OpenFlowMessage(version: 1, xid: 3, .hello(Hello())),
        OpenFlowMessage(version: 6, xid: 3, .hello(.supporting([1, 5, 6]))),
        OpenFlowMessage(xid: 3, .echoReply([])),
    ])
    func versionRefusalSendsHelloFailedAndCloses(peer: OpenFlowMessage) {
        var m = SessionStateMachine(now: t0)
        _ = m.channelActive(now: t0)
        let actions = m.received(peer, now: t0)
        guard case .send(let e)? = actions.first, case .error(let err) = e.payload else { Issue.record("\(actions)"); return }
        #expect(err.code == .helloFailedIncompatible && e.xid == 3)
        guard case .close? = actions.last else { Issue.record("no close: \(actions)"); return }
        #expect(m.isClosed)
        #expect(m.received(OpenFlowMessage(xid: 4, .echoRequest([])), now: t0).isEmpty)
    }

    @Test func echoRequestsAreAnsweredOnceReady() throws {
        var r = try readyMachine()
        #expect(Self.sent(r.received(OpenFlowMessage(xid: 78, .echoRequest([])), now: t0)) == [OpenFlowMessage(xid: 78, .echoReply([]))])
    }

    @Test func keepaliveSendsEchoThenClosesWhenUnanswered() throws {
        var m = try readyMachine(.init(idleInterval: .seconds(5), echoTimeout: .seconds(3)))
        #expect(m.tick(now: t0 + .seconds(4)).isEmpty)
        let echo = Self.sent(m.tick(now: t0 + .seconds(5)))
        #expect(echo.first?.payload == .echoRequest([]))
        #expect(m.tick(now: t0 + .seconds(7)).isEmpty)  // waiting for the answer
        let closing = m.tick(now: t0 + .seconds(8))
        guard case .close(let reason)? = closing.first else { Issue.record("\(closing)"); return }
        #expect(reason.contains("echo not answered"))
        #expect(m.isClosed)
    }

    @Test func anyTrafficAnswersTheKeepalive() throws {
        var m = try readyMachine(.init(idleInterval: .seconds(5), echoTimeout: .seconds(3)))
        let echo = try #require(Self.sent(m.tick(now: t0 + .seconds(5))).first)
        _ = m.received(OpenFlowMessage(xid: echo.xid, .echoReply([])), now: t0 + .seconds(6))
        #expect(m.tick(now: t0 + .seconds(9)).isEmpty)
        #expect(!m.isClosed)
        // Idle again for the interval: a new echo.
        #expect(Self.sent(m.tick(now: t0 + .seconds(11))).first?.payload == .echoRequest([]))
    }

    @Test func stalledHandshakeIsClosedByTheSameRule() {
        var m = SessionStateMachine(configuration: .init(idleInterval: .seconds(2), echoTimeout: .seconds(2)), now: t0)
        _ = m.channelActive(now: t0)
        _ = m.tick(now: t0 + .seconds(2))
        guard case .close? = m.tick(now: t0 + .seconds(4)).first else { Issue.record("not closed"); return }
    }

    @Test func multipartRepliesAreReassembled() throws {
        var m = try readyMachine()
        let (xid, actions) = m.request(.multipartRequest(MultipartRequest(.flow(FlowStatsRequest()))))
        #expect(Self.sent(actions).first?.xid == xid)
        let part1 = OpenFlowMessage(xid: xid, .multipartReply(MultipartReply(flags: 1, .flow([]))))
        let part2 = OpenFlowMessage(xid: xid, .multipartReply(MultipartReply(.flow([]))))
        #expect(m.received(part1, now: t0).isEmpty)
        guard case .requestCompleted(let x, .success(let parts))? = m.received(part2, now: t0).first else { Issue.record("incomplete"); return }
        #expect(x == xid && parts == [part1, part2])
    }

    @Test func errorsReachTheRequestTheyAnswer() throws {
        var m = try readyMachine()
        let (xid, _) = m.request(.roleRequest(RoleMessage(role: .master)))
        let err = ErrorMessage(code: .roleRequestFailedStale)
        guard case .requestCompleted(xid, .failure(.switchError(let e)))? = m.received(OpenFlowMessage(xid: xid, .error(err)), now: t0).first else {
            Issue.record("not delivered"); return
        }
        #expect(e == err)
    }

    @Test func transactionCollectsErrorsUntilTheBarrier() throws {
        var m = try readyMachine()
        let (barrier, xids, actions) = m.transaction([.flowMod(FlowMod(priority: 1)), .flowMod(FlowMod(priority: 2)), .flowMod(FlowMod(priority: 3))])
        #expect(Self.sent(actions).map(\.type) == [.flowMod, .flowMod, .flowMod, .barrierRequest])
        #expect(xids.count == 3 && Self.sent(actions).last?.xid == barrier)
        let err = ErrorMessage(code: .badMatchBadPrereq)
        #expect(m.received(OpenFlowMessage(xid: xids[1], .error(err)), now: t0).isEmpty)
        guard case .transactionCompleted(barrier, .success(let errors))? = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0).first else {
            Issue.record("barrier not completed"); return
        }
        #expect(errors == [xids[1]: err])
    }

    @Test func streamedTransactionSendsPiecesInPlaceThenItsBarrier() throws {
        var m = try readyMachine()
        let (barrier, opened) = m.openTransaction(count: 4)
        #expect(opened.isEmpty, "nothing is sent until members are given")
        // A switch guessing the barrier's xid cannot complete it before it is sent.
        guard case .unsolicited? = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0).first else {
            Issue.record("an unsent barrier was answered"); return
        }
        let one = m.members(of: barrier, from: 0, [.flowMod(FlowMod(priority: 1)), .flowMod(FlowMod(priority: 2))])
        let two = m.members(of: barrier, from: 2, [.flowMod(FlowMod(priority: 3)), .flowMod(FlowMod(priority: 4)), .flowMod(FlowMod(priority: 5))])
        let sent = Self.sent(one) + Self.sent(two)
        #expect(sent.map(\.xid) == Array(barrier - 4..<barrier), "members take the xids before the barrier, in order")
        #expect(sent.count == 4, "none beyond the count it was opened with")
        #expect(m.members(of: barrier, from: 4, [.flowMod(FlowMod())]).isEmpty)
        let close = Self.sent(m.closeTransaction(barrier))
        #expect(close.map(\.type) == [.barrierRequest] && close.first?.xid == barrier)
        let err = ErrorMessage(code: .badMatchBadPrereq)
        #expect(m.received(OpenFlowMessage(xid: barrier - 1, .error(err)), now: t0).isEmpty)
        guard case .transactionCompleted(barrier, .success(let errors))? = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0).first else {
            Issue.record("barrier not completed"); return
        }
        #expect(errors == [barrier - 1: err])
        #expect(m.pendingCount == 0)
    }

    /// A bundle's open travels as the transaction's first member: its OPEN_REPLY is expected and
    /// absorbed (not reported as unsolicited), while an error for it is kept like any member's.
    @Test func aMembersOwnReplyIsAbsorbed() throws {
        var m = try readyMachine()
        let open = OpenFlowMessage.Payload.bundleControl(BundleControl(bundleID: 3, type: .openRequest))
        let (barrier, _) = m.openTransaction(count: 2)
        let sent = Self.sent(m.members(of: barrier, from: 0, [open, .bundleAdd(BundleAdd(bundleID: 3, message: .flowMod(FlowMod())))]))
        _ = m.closeTransaction(barrier)
        #expect(m.received(OpenFlowMessage(xid: sent[0].xid, .bundleControl(BundleControl(bundleID: 3, type: .openReply))), now: t0).isEmpty)
        let err = ErrorMessage(code: .badMatchBadPrereq)
        #expect(m.received(OpenFlowMessage(xid: sent[1].xid, .error(err)), now: t0).isEmpty)
        guard case .transactionCompleted(barrier, .success(let errors))? = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0).first else {
            Issue.record("barrier not completed"); return
        }
        #expect(errors == [sent[1].xid: err])
        // Outside any transaction the same reply is unsolicited.
        guard case .unsolicited? = m.received(OpenFlowMessage(xid: sent[0].xid, .bundleControl(BundleControl(bundleID: 3, type: .openReply))), now: t0).first else {
            Issue.record("a reply after the transaction was taken as a member's"); return
        }
    }

    /// A bundle's commit goes only after a barrier shows every member was taken: a switch that
    /// refuses a message when it is added would commit the rest.
    @Test func theLastMessageGoesOnlyAfterACleanBarrier() throws {
        let commit = OpenFlowMessage.Payload.bundleControl(BundleControl(bundleID: 9, type: .commitRequest))
        let committed = OpenFlowMessage.Payload.bundleControl(BundleControl(bundleID: 9, type: .commitReply))
        func members(_ m: inout SessionStateMachine, _ barrier: UInt32) -> [OpenFlowMessage] {
            Self.sent(m.members(of: barrier, from: 0, [.flowMod(FlowMod(priority: 1)), .flowMod(FlowMod(priority: 2))]) + m.closeTransaction(barrier))
        }
        // Clean: barrier, then the commit under the xid between the members' and the barrier's.
        var m = try readyMachine()
        var (barrier, _) = m.openTransaction(count: 2, then: commit)
        var sent = members(&m, barrier)
        #expect(sent.map(\.xid) == [barrier - 3, barrier - 2, barrier])
        var after = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0)
        guard case .send(let c)? = after.first, c.xid == barrier - 1, case .bundleControl = c.payload else {
            Issue.record("commit not sent: \(after)"); return
        }
        guard case .transactionCompleted(barrier, .success(let none))? = m.received(OpenFlowMessage(xid: barrier - 1, committed), now: t0).first else {
            Issue.record("not completed"); return
        }
        #expect(none.isEmpty && m.pendingCount == 0)

        // A member refused: the barrier ends it with that error, and no commit is sent.
        (barrier, _) = m.openTransaction(count: 2, then: commit)
        sent = members(&m, barrier)
        let refused = ErrorMessage(code: .badMatchBadPrereq)
        #expect(m.received(OpenFlowMessage(xid: sent[1].xid, .error(refused)), now: t0).isEmpty)
        after = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0)
        guard after.count == 1, case .transactionCompleted(barrier, .success(let errors))? = after.first else {
            Issue.record("a commit followed a refused member: \(after)"); return
        }
        #expect(errors == [sent[1].xid: refused] && m.pendingCount == 0)

        // The commit fails: the member it names and the commit's own error are both reported.
        (barrier, _) = m.openTransaction(count: 2, then: commit)
        sent = members(&m, barrier)
        _ = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0)
        let exists = ErrorMessage(code: .flowModFailedOverlap), failed = ErrorMessage(code: .bundleMsgFailed)
        #expect(m.received(OpenFlowMessage(xid: sent[0].xid, .error(exists)), now: t0).isEmpty)
        guard case .transactionCompleted(barrier, .success(let both))? = m.received(OpenFlowMessage(xid: barrier - 1, .error(failed)), now: t0).first else {
            Issue.record("commit failure not reported"); return
        }
        #expect(both == [sent[0].xid: exists, barrier - 1: failed] && m.pendingCount == 0)

        // Handed one member of the two it was opened for: the barrier ends it, no commit goes.
        (barrier, _) = m.openTransaction(count: 2, then: commit)
        sent = Self.sent(m.members(of: barrier, from: 0, [.flowMod(FlowMod(priority: 1))]) + m.closeTransaction(barrier, given: 1))
        #expect(sent.map(\.xid) == [barrier - 3, barrier])
        after = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0)
        guard after.count == 1, case .transactionCompleted(barrier, .success)? = after.first else {
            Issue.record("a commit followed a miscounted transaction: \(after)"); return
        }
        #expect(m.pendingCount == 0)

        // The session ends while the commit is out: the transaction fails under its barrier.
        (barrier, _) = m.openTransaction(count: 2, then: commit)
        _ = members(&m, barrier)
        _ = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0)
        guard case .transactionCompleted(barrier, .failure(.sessionClosed))? = m.channelInactive(reason: "gone").first else {
            Issue.record("not failed"); return
        }
    }

    @Test func transactionsOfImpossibleSizesAreRefused() throws {
        var m = try readyMachine()
        for count in [-1, Int(UInt32.max / 2), Int(UInt32.max), Int.max] {
            guard case .transactionCompleted(_, .failure(.tooManyPending))? = m.openTransaction(count: count).1.first else {
                Issue.record("count \(count) accepted"); return
            }
        }
        #expect(m.pendingCount == 0)
        let (barrier, xids, _) = m.transaction([.flowMod(FlowMod())])
        #expect(xids.count == 1 && xids[0] + 1 == barrier, "xids unharmed by the refusals")
    }

    @Test func streamedTransactionEndsWithItsSession() throws {
        var m = try readyMachine()
        let (barrier, _) = m.openTransaction(count: 3)
        _ = m.members(of: barrier, from: 0, [.flowMod(FlowMod())])
        guard case .transactionCompleted(barrier, .failure(.sessionClosed))? = m.channelInactive(reason: "gone").first else {
            Issue.record("not failed"); return
        }
        #expect(m.members(of: barrier, from: 1, [.flowMod(FlowMod())]).isEmpty && m.closeTransaction(barrier).isEmpty, "nothing sent after")
        guard case .transactionCompleted(_, .failure(.sessionClosed))? = m.openTransaction(count: 1).1.first else {
            Issue.record("opened after close"); return
        }
    }

    @Test func transactionsReleaseTheirPendingEntries() throws {
        var m = try readyMachine(.init(maxPending: 3))
        for round in 0..<5 {
            let (barrier, xids, actions) = m.transaction([.flowMod(FlowMod(priority: 1))])
            #expect(Self.sent(actions).count == 2, "round \(round)")
            if round % 2 == 1 { _ = m.received(OpenFlowMessage(xid: xids[0], .error(ErrorMessage(code: .flowModFailedOverlap))), now: t0) }
            guard case .transactionCompleted(barrier, .success(let errors))? = m.received(OpenFlowMessage(xid: barrier, .barrierReply), now: t0).first else {
                Issue.record("round \(round) not completed"); return
            }
            #expect(errors.count == round % 2)
            #expect(m.pendingCount == 0)
        }
        // A late error for a finished transaction is reported, not swallowed.
        let (lateBarrier, xids, _) = m.transaction([.flowMod(FlowMod())])
        _ = m.received(OpenFlowMessage(xid: lateBarrier, .barrierReply), now: t0)
        guard case .unsolicited? = m.received(OpenFlowMessage(xid: xids[0], .error(ErrorMessage(code: .flowModFailedOverlap))), now: t0).first else {
            Issue.record("late error swallowed"); return
        }
    }

    @Test func handshakeThatNeverFinishesIsClosed() {
        var m = SessionStateMachine(configuration: .init(idleInterval: .seconds(5), echoTimeout: .seconds(5), handshakeTimeout: .seconds(30)), now: t0)
        _ = m.channelActive(now: t0)
        _ = m.received(OpenFlowMessage(xid: 1, .hello(.supporting([4]))), now: t0)
        // The peer keeps answering echoes but never sends FEATURES_REPLY.
        for s in stride(from: 1, through: 29, by: 1) {
            _ = m.received(OpenFlowMessage(xid: 99, .echoRequest([])), now: t0 + .seconds(Int64(s)))
            #expect(m.tick(now: t0 + .seconds(Int64(s))).allSatisfy { if case .close = $0 { false } else { true } })
        }
        guard case .close(let reason)? = m.tick(now: t0 + .seconds(30)).first else { Issue.record("not closed"); return }
        #expect(reason.contains("handshake"))
    }

    @Test func portStatusUpdatesThePortTable() throws {
        var m = try readyMachine()
        let vm2 = PortDescription(portNumber: 2, hardwareAddress: EthernetAddress(2, 0, 0, 0, 0, 3), name: "vm2")
        guard case .portChanged(.added(let p))? = m.received(OpenFlowMessage(xid: 0, .portStatus(PortStatus(reason: .add, port: vm2))), now: t0).first else {
            Issue.record("no add"); return
        }
        #expect(p == vm2 && m.info?.ports[2] == vm2)
        var down = vm2
        down.state = 1
        guard case .portChanged(let change)? = m.received(OpenFlowMessage(xid: 0, .portStatus(PortStatus(reason: .modify, port: down))), now: t0).first else {
            Issue.record("no modify"); return
        }
        #expect(change.linkChanged)
        // The same description again changes nothing.
        #expect(m.received(OpenFlowMessage(xid: 0, .portStatus(PortStatus(reason: .modify, port: down))), now: t0).isEmpty)
        guard case .portChanged(.deleted)? = m.received(OpenFlowMessage(xid: 0, .portStatus(PortStatus(reason: .delete, port: down))), now: t0).first else {
            Issue.record("no delete"); return
        }
        #expect(m.info?.ports[2] == nil)
    }

    @Test func closingFailsEverythingPending() throws {
        var m = try readyMachine()
        let (r, _) = m.request(.barrierRequest)
        let (b, _, _) = m.transaction([.flowMod(FlowMod())])
        let actions = m.channelInactive(reason: "gone")
        #expect(actions.count == 2)
        for a in actions {
            switch a {
            case .requestCompleted(let x, .failure(.sessionClosed)): #expect(x == r)
            case .transactionCompleted(let x, .failure(.sessionClosed)): #expect(x == b)
            default: Issue.record("unexpected \(a)")
            }
        }
        guard case .requestCompleted(_, .failure(.sessionClosed))? = m.request(.barrierRequest).1.first else { Issue.record("accepted after close"); return }
    }

    @Test func requestsBeforeReadyAreRefused() {
        var m = SessionStateMachine(now: t0)
        _ = m.channelActive(now: t0)
        guard case .requestCompleted(_, .failure(.notReady))? = m.request(.barrierRequest).1.first else { Issue.record("not refused"); return }
    }

    @Test func boundedPending() throws {
        var m = try readyMachine(.init(maxPending: 2))
        _ = m.request(.barrierRequest)
        _ = m.request(.barrierRequest)
        guard case .requestCompleted(_, .failure(.tooManyPending))? = m.request(.barrierRequest).1.first else { Issue.record("not bounded"); return }
    }

    @Test func malformedInputIsAnsweredAndFramingLossCloses() {
        var m = SessionStateMachine(now: t0)
        let e = DecodingError(code: .badRequestBadType, reason: "x", xid: 5, messageType: 99, offendingBytes: [4, 99, 0, 8, 0, 0, 0, 5], framingLost: false)
        #expect(Self.sent(m.decodingFailed(e)).first?.payload == .error(ErrorMessage(code: .badRequestBadType, data: [4, 99, 0, 8, 0, 0, 0, 5])))
        #expect(!m.isClosed)
        var lost = e
        lost.framingLost = true
        guard case .close? = m.decodingFailed(lost).last else { Issue.record("no close"); return }
        #expect(m.isClosed)
    }
}
