import TaaSPolicy

/// What the engine knows of the policy and topology, for the controller's status tracker:
/// asked here rather than kept twice.
extension PipelineEngine {
    /// Where a tap flow's or tap mirror's copies start, and, for a tap flow, where its service
    /// is: each a node where the port has an OpenFlow number (nil: nowhere yet).
    public struct Endpoints: Sendable {
        public var source: String?
        public var service: String?
        /// A tap mirror's ports (one per direction key).
        public var mirrorPorts: [String]
    }

    /// A port's node if it has an OpenFlow number there.
    func node(ofPort p: PortRef) -> String? {
        guard let t = ports[p].topo, t.ofport != nil else { return nil }
        return nodes.key(t.node)
    }

    /// A tap flow's or tap mirror's endpoints (nil: the engine has no such resource).
    public func endpoints(of owner: ResourceID) -> Endpoints? {
        guard let p = owners[owner] else { return nil }
        var e = Endpoints(source: node(ofPort: p), service: nil, mirrorPorts: [])
        for r in ports[p].rules where r.owner == owner {
            switch dests[r.dest].kind {
            case .service(_, let port, _): e.service = node(ofPort: port)
            case .mirror(let name): if !e.mirrorPorts.contains(name) { e.mirrorPorts.append(name) }
            case .none: break
            }
        }
        return e
    }

    /// A tap service's node (outer nil: no such service; inner: its port is nowhere yet).
    public func serviceNode(_ id: ResourceID) -> String?? {
        guard let d = dests.find(.service(id)), case .service(_, let port, _) = dests[d].kind else { return nil }
        return .some(node(ofPort: port))
    }

    /// Tap flows and tap mirrors whose source is this port, and tap services whose port it is.
    public func resources(onPort id: String) -> (owners: [ResourceID], services: [ResourceID]) {
        guard let p = ports.find(id) else { return ([], []) }
        var owners: [ResourceID] = []
        for r in ports[p].rules where owners.last != r.owner { owners.append(r.owner) }
        let services: [ResourceID] = ports[p].services.compactMap { d in
            if case .service(let sid, _, _) = dests[d].kind { sid } else { nil }
        }
        return (owners, services)
    }

    /// The ports of a node that a resource names and that have an OpenFlow number there.
    public func portsWithResources(onNode id: String) -> [String] {
        guard let n = nodes.find(id) else { return [] }
        var out = Set(nodes[n].outSources)
        for (_, net) in nodes[n].networks { out.formUnion(net.receivers) }
        for d in nodes[n].services {
            if case .service(_, let port, _) = dests[d].kind { out.insert(port) }
        }
        return out.compactMap { ports.key($0) }
    }

    /// Whether the engine knows a tap flow or tap mirror (by its rules).
    public func hasOwner(_ id: ResourceID) -> Bool { owners[id] != nil }
}

extension PipelineEngine {
    /// Every port a resource names (a tap flow's or tap mirror's source, a tap service's port).
    public func namedPorts() -> Set<String> {
        var out: Set<String> = []
        for p in owners.values { if let id = ports.key(p) { out.insert(id) } }
        for d in dests.all {
            if case .service(_, let port, _) = dests[d].kind, let id = ports.key(port) { out.insert(id) }
        }
        return out
    }
}
