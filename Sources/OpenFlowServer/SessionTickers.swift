import NIOConcurrencyHelpers
import NIOCore
import SwitchSession

/// The clock of every switch session: one repeated timer per event loop, not one per session.
/// Each session ticks once per period (`SessionStateMachine`'s keepalive and handshake
/// deadlines need no finer), its turn spread over `slots` phases so that the echoes of
/// thousands of idle sessions do not all leave together. Ten thousand per-session timers cost
/// the event loops a third of a core, idle, in their timer heap alone.
final class SessionTickers: Sendable {
    let period: TimeAmount
    let slots: Int
    private let loops = NIOLockedValueBox<[ObjectIdentifier: NIOLoopBound<LoopTicker>]>([:])

    /// Ticks often enough that the keepalive fires within a quarter of its interval.
    convenience init(_ c: SessionStateMachine.Configuration) {
        self.init(period: .nanoseconds(max(min(c.idleInterval.nanoseconds, c.echoTimeout.nanoseconds) / 4, 1_000_000)))
    }

    /// `slots` phases, each at least 10 ms from the next.
    init(period: TimeAmount, slots: Int = 16) {
        self.period = period
        self.slots = max(1, min(slots, Int(period.nanoseconds / 10_000_000)))
    }

    /// Event loops with a timer running (tests).
    var loopsTicking: Int { loops.withLockedValue { $0.count } }

    /// How many sessions take each turn on a loop (tests; on that loop).
    func turns(on loop: EventLoop) -> [Int] {
        loops.withLockedValue { $0[ObjectIdentifier(loop)] }?.value.turns ?? []
    }

    /// Starts ticking a session; on its channel's event loop.
    func add(_ session: SessionHandler, on loop: EventLoop) {
        let ticker = loops.withLockedValue { loops in
            if let t = loops[ObjectIdentifier(loop)] { return t }
            let t = NIOLoopBound(LoopTicker(loop: loop, slots: slots), eventLoop: loop)
            loops[ObjectIdentifier(loop)] = t
            return t
        }
        ticker.value.add(session, period: period)
    }

    /// Stops ticking a session; on its channel's event loop. A loop with no session left stops
    /// its timer.
    func remove(_ session: SessionHandler, on loop: EventLoop) {
        guard let ticker = loops.withLockedValue({ $0[ObjectIdentifier(loop)] }) else { return }
        guard ticker.value.remove(session) else { return }
        _ = loops.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(loop)) }
    }
}

/// One event loop's sessions, by phase; used on that loop only.
final class LoopTicker {
    private let loop: EventLoop
    private var phases: [[SessionHandler]]
    private var count = 0
    private var fired = 0
    private var task: RepeatedTask?

    init(loop: EventLoop, slots: Int) {
        self.loop = loop
        phases = Array(repeating: [], count: slots)
    }

    var turns: [Int] { phases.map(\.count) }

    func add(_ s: SessionHandler, period: TimeAmount) {
        guard s.tickPhase < 0 else { return }
        // The least taken turn: sessions that come and go never leave the turns lopsided.
        let phase = phases.indices.min { phases[$0].count < phases[$1].count } ?? 0
        s.tickPhase = phase
        s.tickIndex = phases[phase].count
        phases[phase].append(s)
        count += 1
        if task == nil {
            let step = TimeAmount.nanoseconds(period.nanoseconds / Int64(phases.count))
            let me = NIOLoopBound(self, eventLoop: loop)
            task = loop.scheduleRepeatedTask(initialDelay: step, delay: step) { _ in me.value.fire() }
        }
    }

    /// Whether no session is left (the timer is then stopped).
    func remove(_ s: SessionHandler) -> Bool {
        let p = s.tickPhase, i = s.tickIndex
        guard p >= 0, i < phases[p].count, phases[p][i] === s else { return false }
        let last = phases[p].removeLast()
        if i < phases[p].count {
            phases[p][i] = last
            last.tickIndex = i
        }
        s.tickPhase = -1
        s.tickIndex = -1
        count -= 1
        guard count == 0 else { return false }
        task?.cancel()
        task = nil
        return true
    }

    private func fire() {
        let phase = fired % phases.count
        fired &+= 1
        let now = loop.now
        // A copy: a tick that closes its session may take it out of the phase meanwhile.
        for s in phases[phase] { s.tick(now: now) }
    }
}
