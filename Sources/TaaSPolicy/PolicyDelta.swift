/// How one resource changed in a durable write: what it was and what it is now.
public enum Change<Value: Hashable & Sendable>: Hashable, Sendable {
    case added(Value)
    case updated(old: Value, new: Value)
    case removed(Value)

    /// The change from `old` to `new` (nil: absent); nil when nothing changed.
    public init?(from old: Value?, to new: Value?) {
        switch (old, new) {
        case (nil, let n?): self = .added(n)
        case (let o?, nil): self = .removed(o)
        case (let o?, let n?) where o != n: self = .updated(old: o, new: n)
        default: return nil
        }
    }

    public var old: Value? {
        switch self {
        case .added: nil
        case .updated(let o, _), .removed(let o): o
        }
    }

    public var new: Value? {
        switch self {
        case .removed: nil
        case .added(let n), .updated(_, let n): n
        }
    }

    /// This change followed by `next`; nil when together they change nothing.
    public func then(_ next: Change) -> Change? { Change(from: old, to: next.new) }
}

/// What one durable write changed, resource by resource: the change set the policy service
/// hands the controller (and the store) after each commit.
public struct PolicyDelta: Hashable, Sendable {
    public var tapServices: [ResourceID: Change<TapService>] = [:]
    public var tapFlows: [ResourceID: Change<TapFlow>] = [:]
    public var tapMirrors: [ResourceID: Change<TapMirror>] = [:]
    public var ports: [String: Change<PortRecord>] = [:]

    public init() {}

    public var isEmpty: Bool { tapServices.isEmpty && tapFlows.isEmpty && tapMirrors.isEmpty && ports.isEmpty }

    /// Everything in a snapshot, as additions (what a new subscriber starts from).
    public init(adding services: some Sequence<TapService>, flows: some Sequence<TapFlow>, mirrors: some Sequence<TapMirror>,
                ports: some Sequence<PortRecord>) {
        for s in services { tapServices[s.id] = .added(s) }
        for f in flows { tapFlows[f.id] = .added(f) }
        for m in mirrors { tapMirrors[m.id] = .added(m) }
        for p in ports { self.ports[p.id] = .added(p) }
    }

    /// This delta followed by `next`, as one: for each resource, from what it was before this
    /// one to what it is after `next`.
    public mutating func formSequence(_ next: PolicyDelta) {
        Self.merge(&tapServices, next.tapServices)
        Self.merge(&tapFlows, next.tapFlows)
        Self.merge(&tapMirrors, next.tapMirrors)
        Self.merge(&ports, next.ports)
    }

    static func merge<K: Hashable, V>(_ into: inout [K: Change<V>], _ next: [K: Change<V>]) {
        for (k, c) in next {
            if let first = into[k] { into[k] = first.then(c) } else { into[k] = c }
        }
    }
}
