import TaaSPolicy

/// One durable change to the policy or the port inventory.
public enum PolicyChange: Hashable, Sendable {
    case saveTapService(TapService)
    case deleteTapService(ResourceID)
    case saveTapFlow(TapFlow)
    case deleteTapFlow(ResourceID)
    case saveTapMirror(TapMirror)
    case deleteTapMirror(ResourceID)
    case savePort(PortRecord)
}

/// Everything the store holds, to rebuild the policy table at start.
public struct PolicySnapshot: Hashable, Sendable {
    public var services: [TapService]
    public var flows: [TapFlow]
    public var mirrors: [TapMirror]
    public var ports: [PortRecord]

    public init(services: [TapService], flows: [TapFlow], mirrors: [TapMirror], ports: [PortRecord]) {
        self.services = services
        self.flows = flows
        self.mirrors = mirrors
        self.ports = ports
    }
}

/// A write the store could not make durable (its database unreachable, or refusing): nothing
/// of the change was kept. The API answers 503, never a success.
public struct StoreFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What other writers of a shared store committed since this replica last looked.
public enum RemoteChanges: Sendable {
    /// These resources, as they now are (nil: gone).
    case changed(services: [ResourceID: TapService?], flows: [ResourceID: TapFlow?], mirrors: [ResourceID: TapMirror?],
                 ports: [String: PortRecord?])
    /// Too much to say change by change (the log was pruned past what this replica saw): all of it.
    case everything(PolicySnapshot)

    public static let none = RemoteChanges.changed(services: [:], flows: [:], mirrors: [:], ports: [:])
}

/// Where the policy lives. `apply` returns only once the changes are durable, so an
/// acknowledged API write survives a crash; changes apply atomically, all or none.
///
/// A store several replicas share also serializes their writes: `write` hands its body what the
/// others committed since, so checks (a port already tapped, a tunnel key taken) are made
/// against the whole policy, and stores what the body returns in the same transaction.
public protocol PolicyStore: Sendable {
    func load() throws -> PolicySnapshot
    func apply(_ changes: [PolicyChange]) throws
    /// One write, after every other writer's: `body` gets what they committed since this store
    /// last looked and returns what to store. With a `fence`, the write is made only while that
    /// replica holds the lease with that epoch (what only the leader may write: ports it saw).
    func write(fence: WriteFence?, _ body: (RemoteChanges) throws -> [PolicyChange]) throws
    /// What other writers committed since this store last looked (outside a write).
    func catchUp() throws -> RemoteChanges
    /// How long a write may take, from the moment it is asked for, to reach the store (its wait
    /// behind earlier calls included); nil: no limit (a local file). See `StoreDeadline`.
    var patience: Duration? { get }
}

/// The moment by which a store call must have reached the database, set by `PolicyService`
/// around each write: a write queued behind calls stuck on a server that stopped answering fails
/// once its patience is spent, rather than after each of theirs and then its own.
public enum StoreDeadline {
    @TaskLocal public static var by: ContinuousClock.Instant?
}

/// Who must still lead for a write to be made.
public struct WriteFence: Hashable, Sendable {
    public var replica: String
    public var epoch: UInt64
    public init(replica: String, epoch: UInt64) {
        self.replica = replica
        self.epoch = epoch
    }
}

extension PolicyStore {
    /// A store with one writer: nobody else commits, nobody else leads.
    public func write(fence: WriteFence?, _ body: (RemoteChanges) throws -> [PolicyChange]) throws {
        let changes = try body(.none)
        if !changes.isEmpty { try apply(changes) }
    }

    public func catchUp() throws -> RemoteChanges { .none }

    public var patience: Duration? { nil }
}

extension PolicyDelta {
    /// The writes that make a store hold what this delta did, in an order its constraints accept:
    /// services before the flows that name them, flows deleted before their service.
    public var storeChanges: [PolicyChange] {
        var out: [PolicyChange] = []
        for (_, p) in ports.sorted(by: { $0.key < $1.key }) { if let n = p.new { out.append(.savePort(n)) } }
        for (_, s) in tapServices.sorted(by: { $0.key < $1.key }) { if let n = s.new { out.append(.saveTapService(n)) } }
        for (id, f) in tapFlows.sorted(by: { $0.key < $1.key }) {
            if let n = f.new { out.append(.saveTapFlow(n)) } else { out.append(.deleteTapFlow(id)) }
        }
        for (id, m) in tapMirrors.sorted(by: { $0.key < $1.key }) {
            if let n = m.new { out.append(.saveTapMirror(n)) } else { out.append(.deleteTapMirror(id)) }
        }
        for (id, s) in tapServices.sorted(by: { $0.key < $1.key }) where s.new == nil { out.append(.deleteTapService(id)) }
        return out
    }
}
