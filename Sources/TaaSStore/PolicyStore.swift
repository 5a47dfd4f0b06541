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
}

/// Where the policy lives. `apply` returns only once the changes are durable, so an
/// acknowledged API write survives a crash; changes apply atomically, all or none.
public protocol PolicyStore: Sendable {
    func load() throws -> PolicySnapshot
    func apply(_ changes: [PolicyChange]) throws
}
