import OpenFlow
import Pipeline
import SwitchSession
import TaaSPolicy
import TaaSState
import Topology

/// The controller's decisions, without I/O: policy and topology change sets go into the
/// pipeline engine; the program deltas it gives come out as pushes to bridges (a bridge in
/// step is sent only its delta; one just connected, or whose state is unknown, is read back
/// and sent the difference from its whole program); what the bridges confirm comes back in
/// and moves statuses. Each method takes an event and returns what to do (`Action`), in the
/// style of a protocol state machine; `ControllerService` does it.
public struct ControllerCore: Sendable {
    /// What to send one bridge.
    public struct Push: Sendable {
        public enum Content: Sendable {
            /// Read the bridge back and send the difference from this program.
            case program(BridgeProgram)
            /// The bridge holds the program before this delta: send the delta.
            case delta(PackedDelta)
        }

        public var node: String
        public var datapathID: UInt64
        public var content: Content
        /// The program version the bridge holds once this is applied.
        public var version: Int
        /// Names this push when its outcome comes back.
        public var ticket: Int
        /// The epoch to claim the switch with (`ROLE_REQUEST` MASTER) before reading it back;
        /// nil for a sole controller, which claims nothing.
        public var claim: UInt64?
        /// Sent only on a connection this replica claimed (replicas: a switch that reconnected
        /// since the push was planned is an EQUAL there, which the fence does not cover).
        public var claimedOnly: Bool

        /// Whether it is carried out on its bridge's event loop, with no task (`BridgePush.start`):
        /// a delta without meters (they go outside the bundle, each set with a barrier) and small
        /// enough that making it there keeps the loop's other sessions waiting well under a
        /// millisecond. A read-back, meters and large deltas go as tasks.
        public var runsOnLoop: Bool {
            guard case .delta(let d) = content else { return false }
            return !d.changesMeters && d.bundleCount <= Self.onLoopLimit
        }

        /// The most flow and group steps of a delta made on an event loop (a step is one
        /// message, two when a flow's cookie changes).
        public static let onLoopLimit = 256
    }

    /// What became of a push.
    public enum Outcome: Sendable {
        case programmed(ReconcilePlan.Counts)
        /// The bridge already held its program (nothing sent).
        case alreadyHeld
        /// The switch refused it: nothing of it applied; the switch's reason.
        case refused(String)
        /// It could not be done (connection lost, timeout): the bridge's state is unknown.
        case failed(String)
    }

    public enum Action: Sendable {
        case push(Push)
        case statuses([(ResourceKind, ResourceID, ResourceState)])
        /// Call `retry(node:)` after this long (a push failed while the bridge stayed connected).
        case retry(node: String, after: Duration)
    }

    /// A bridge as the reconciler sees it.
    struct Bridge: Sendable {
        var datapathID: UInt64?
        var connected = false
        /// What the bridge holds is unknown: read it back before anything else.
        var unknown = true
        /// Why it refused its program (none is sent again until the program or the switch changes).
        var refused: String?
        /// Deltas not sent yet, from the version it holds (or will, once the push on its way is through).
        var pending = PackedDelta()
        /// The push on its way (one at a time per bridge), and whether its outcome no longer counts.
        var running: Int?
        var stale = false
        /// The push on its way is a read-back: deltas after its snapshot go after it.
        var reading = false
        var queued = false
    }

    public private(set) var engine = PipelineEngine()
    var tracker = StatusTracker()
    var bridges: [String: Bridge] = [:]
    /// Each bridge's newest program version: one more per delta the engine gave for it.
    var versions: [String: Int] = [:]
    var byDatapath: [UInt64: String] = [:]
    /// Bridges waiting for a push, in order: `queue[queueHead...]` (taken from the front without
    /// moving the rest, which would cost the queue's length on each of 10,000 pushes).
    var queue: [String] = []
    var queueHead = 0
    var inFlight = 0
    var nextTicket = 0
    /// Pushes in flight at most: enough to hide round trips when a change touches thousands of
    /// bridges, few enough to bound the memory of plans in flight.
    let maxPushes: Int
    /// Until every port the policy names is on a connected bridge, nothing is sent (see `taasd --settle`).
    public private(set) var settled: Bool
    /// Ports in the inventory (only the start-up wait asks).
    var knownPorts: Set<String> = []
    /// The last counter plans, until a change may alter them.
    var plansCache: [CounterPlan]?
    /// The version of the last plans made.
    public private(set) var plansVersion = 0

    /// Whether this replica programs the switches, and with which epoch.
    public private(set) var role: Role = .sole

    /// Counters for tests and metrics.
    public private(set) var pushes = 0, modsSent = 0, bundlesCommitted = 0, refusals = 0

    public init(maxPushes: Int = 64, settle: Bool = false) {
        self.maxPushes = maxPushes
        settled = !settle
    }

    // MARK: Events

    /// Policy and topology changes (either may be empty), and the switch events of the same
    /// batch (after the topology has seen them). The switch events are taken before any push
    /// starts: a bridge's read-back started first would be found stale by its own connection at
    /// once, and read back a second time. Switch events alone cost no walk over every bridge
    /// (a storm of 10,000 connections comes in many batches).
    public mutating func apply(policy: PolicyDelta = PolicyDelta(), topology: [TopologyEvent] = [],
                               switched: [SwitchEvent] = []) -> [Action] {
        guard !policy.isEmpty || !topology.isEmpty else { return self.switched(switched) }
        if !policy.tapFlows.isEmpty || !policy.tapServices.isEmpty || !topology.isEmpty { plansCache = nil }
        if !settled { for (id, c) in policy.ports { if c.new != nil { knownPorts.insert(id) } else { knownPorts.remove(id) } } }
        for e in topology { noteTopology(e) }
        let out = engine.apply(policy: policy, topology: topology)
        for id in out.removed { bridges[id]?.pending = PackedDelta() }
        for (id, delta) in out.changes {
            var b = bridges[id] ?? Bridge()
            versions[id, default: 0] += 1
            if b.refused != nil {
                // A new program: worth trying again, from a read-back.
                b.refused = nil
                b.unknown = true
            }
            // A bridge read back next needs no delta: its whole program goes then. One being read
            // back now needs what comes after the program it was given.
            if b.connected && (!b.unknown || b.reading) { b.pending.formSequence(delta) }
            bridges[id] = b
            enqueue(id)
        }
        let engine = self.engine
        tracker.apply(topology, engine)
        tracker.apply(policy)
        tracker.setNeeds(versions: versions, engine)
        noteSwitched(switched)
        return start() + statuses()
    }

    /// Switches connected or left (after the topology has seen the same events).
    public mutating func switched(_ events: [SwitchEvent]) -> [Action] {
        noteSwitched(events)
        return start() + statuses()
    }

    private mutating func noteSwitched(_ events: [SwitchEvent]) {
        guard !events.isEmpty else { return }
        plansCache = nil
        for e in events {
            let dpid: UInt64
            switch e {
            case .connected(let info): dpid = info.datapathID
            case .disconnected(let d, _): dpid = d
            case .portChanged: continue
            }
            // Whatever was on its way, what the bridge holds is unknown now.
            guard let id = byDatapath[dpid] else { continue }
            reset(id)
            if case .connected = e, bridges[id]?.connected == true { enqueue(id) }
        }
    }

    /// This replica became leader, or stopped being one (or the epoch changed): what every
    /// bridge holds is unknown again; a leader reads each back (and claims it) before sending
    /// only the difference, a follower sends nothing.
    public mutating func lead(_ role: Role) -> [Action] {
        guard role != self.role else { return [] }
        self.role = role
        plansCache = nil
        for id in bridges.keys.sorted() {
            reset(id)
            if role.programs { enqueue(id) }
        }
        tracker.reevaluateAll()
        return start() + statuses()
    }

    /// Connected bridges this replica has not read back yet (after a takeover: until none is
    /// left, its statuses are not the switches' yet).
    public var unread: Int {
        bridges.values.filter { $0.connected && $0.unknown && $0.refused == nil }.count
    }

    /// A push came back.
    public mutating func finished(_ push: Push, _ outcome: Outcome) -> [Action] {
        inFlight -= 1
        pushes += 1
        var actions: [Action] = []
        if var b = bridges[push.node], b.running == push.ticket {
            b.running = nil
            b.reading = false
            var retrying = false
            if b.stale {
                // The bridge reconnected meanwhile: what this did is read back anyway.
                b.stale = false
            } else {
                switch outcome {
                case .programmed(let c):
                    modsSent += c.messages
                    bundlesCommitted += 1
                    b.unknown = false
                    tracker.setSync(push.node, .confirmed(push.version), engine)
                case .alreadyHeld:
                    b.unknown = false
                    tracker.setSync(push.node, .confirmed(push.version), engine)
                case .refused(let reason):
                    refusals += 1
                    b.refused = reason
                    b.unknown = true
                    b.pending = PackedDelta()
                    tracker.setSync(push.node, .refused(reason), engine)
                case .failed:
                    b.unknown = true
                    b.pending = PackedDelta()
                    tracker.setSync(push.node, .down, engine)
                    if b.connected {
                        retrying = true
                        actions.append(.retry(node: push.node, after: .seconds(1)))
                    }
                }
            }
            bridges[push.node] = b
            if b.refused == nil && !retrying && (b.unknown || !b.pending.isEmpty) { enqueue(push.node) }
        }
        return actions + start() + statuses()
    }

    /// Try a bridge again after a failed push.
    public mutating func retry(node: String) -> [Action] {
        guard bridges[node]?.connected == true, bridges[node]?.unknown == true, bridges[node]?.refused == nil else { return [] }
        enqueue(node)
        return start()
    }

    /// The start-up wait is over, whatever is missing.
    public mutating func settleDeadlinePassed() -> [Action] {
        guard !settled else { return [] }
        settled = true
        knownPorts = []
        return start()
    }

    /// Ports the policy names and the inventory knows that are not yet on a connected bridge
    /// (while the start-up wait lasts).
    public var missingPorts: [String] {
        engine.namedPorts().intersection(knownPorts).filter { p in
            guard let at = engine.portLocation(p), at.ofport else { return true }
            return bridges[at.node]?.connected != true
        }.sorted()
    }

    /// One connected bridge's statistics read: what counts for each of its tap flows.
    public struct CounterPlan: Sendable {
        public var node: String
        public var datapathID: UInt64
        public var entries: [TapFlowCounters.Entry]
        /// One request per destination, and the entries (by index) it counts for.
        public var reads: [(delivery: TapFlowCounters.Delivery, entries: [Int])]
        /// Changes whenever the plans are made again: a read of the same version has the same
        /// entries in the same order, so its counts compare index by index with the last.
        public var version: Int

        init(node: String, datapathID: UInt64, entries: [TapFlowCounters.Entry], version: Int) {
            self.node = node
            self.datapathID = datapathID
            self.entries = entries
            self.version = version
            var byDelivery: [TapFlowCounters.Delivery: [Int]] = [:]
            for (i, e) in entries.enumerated() { byDelivery[e.delivery, default: []].append(i) }
            reads = byDelivery.map { ($0.key, $0.value) }
        }
    }

    /// The bridges to read counters from: connected ones with tap flow sources. Kept from one
    /// read to the next until a change could alter them (reads come every few seconds; changes
    /// to a hundred thousand tap flows do not).
    public mutating func counterPlans() -> [CounterPlan] {
        if let cached = plansCache { return cached }
        plansVersion += 1
        let plans: [CounterPlan] = bridges.compactMap { id, b in
            guard b.connected, let dpid = b.datapathID else { return nil }
            let entries = engine.counterEntries(node: id)
            return entries.isEmpty ? nil : CounterPlan(node: id, datapathID: dpid, entries: entries, version: plansVersion)
        }.sorted { $0.node < $1.node }
        plansCache = plans
        return plans
    }

    // MARK: Bridges

    mutating func noteTopology(_ e: TopologyEvent) {
        switch e {
        case .nodeAppeared(let n), .nodeChanged(_, let n):
            var b = bridges[n.id] ?? Bridge()
            if b.datapathID != n.datapathID {
                if let old = b.datapathID, byDatapath[old] == n.id { byDatapath[old] = nil }
                if let new = n.datapathID { byDatapath[new] = n.id }
                b.datapathID = n.datapathID
            }
            let wasConnected = b.connected
            b.connected = n.openflowConnected && n.datapathID != nil
            bridges[n.id] = b
            if wasConnected != b.connected {
                reset(n.id)
                if b.connected { enqueue(n.id) }
            }
        case .nodeGone(let n):
            if let dpid = bridges[n.id]?.datapathID, byDatapath[dpid] == n.id { byDatapath[dpid] = nil }
            bridges[n.id] = nil
            versions[n.id] = nil
            // Left in the queue: `start` passes over a bridge that no longer exists.
        default:
            break
        }
    }

    /// What the bridge holds is unknown again: it is read back before the next push.
    mutating func reset(_ id: String) {
        guard var b = bridges[id] else { return }
        b.unknown = true
        b.refused = nil
        b.pending = PackedDelta()
        // A push on its way reports for a bridge that no longer is what it was.
        if b.running != nil { b.stale = true }
        bridges[id] = b
        tracker.setSync(id, .down, engine)
    }

    mutating func enqueue(_ id: String) {
        guard var b = bridges[id], !b.queued, b.connected else { return }
        b.queued = true
        bridges[id] = b
        queue.append(id)
    }

    /// Starts pushes while there is room. A bridge with a push on its way waits for it: it is
    /// queued again when that push comes back.
    mutating func start() -> [Action] {
        guard role.programs else { return [] }
        if !settled {
            guard missingPorts.isEmpty else { return [] }
            settled = true
            knownPorts = []
        }
        var actions: [Action] = []
        var taken = 0
        while queueHead + taken < queue.count && inFlight < maxPushes {
            let id = queue[queueHead + taken]
            taken += 1
            guard var b = bridges[id] else { continue }
            b.queued = false
            defer { bridges[id] = b }
            guard b.running == nil, b.connected, let dpid = b.datapathID, b.refused == nil else { continue }
            let content: Push.Content
            if b.unknown {
                guard let program = engine.program(node: id) else { continue }
                content = .program(program)
                b.reading = true
            } else if !b.pending.isEmpty {
                content = .delta(b.pending)
            } else {
                continue
            }
            b.pending = PackedDelta()
            nextTicket += 1
            b.running = nextTicket
            inFlight += 1
            actions.append(.push(Push(node: id, datapathID: dpid, content: content, version: versions[id] ?? 0, ticket: nextTicket,
                                        claim: b.unknown ? role.epoch : nil, claimedOnly: role.epoch != nil)))
        }
        queueHead += taken
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: queue.count < 4096)
            queueHead = 0
        } else if queueHead >= 4096 && queueHead * 2 >= queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return actions
    }

    mutating func statuses() -> [Action] {
        let changes = tracker.evaluate(engine)
        return changes.isEmpty ? [] : [.statuses(changes)]
    }
}
