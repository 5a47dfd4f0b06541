import TaaSPolicy
import Topology

/// (policy, topology) → the flows and groups of every bridge, compiled from scratch: an engine
/// given everything at once. For golden files, tools and tests; taasd keeps one engine and
/// feeds it changes (`PipelineEngine`). Pure and deterministic.
public struct Compiler: Sendable {
    public private(set) var engine = PipelineEngine()

    public init(services: [TapService], flows: [TapFlow], mirrors: [TapMirror], topology: Topology) {
        let delta = PolicyDelta(adding: services, flows: flows, mirrors: mirrors, ports: [])
        _ = engine.load(policy: delta, topology: Topology.events(from: Topology(), to: topology))
    }

    /// Every node's program.
    public func programs() -> [String: BridgeProgram] { engine.programs }

    /// One node's program (empty when there is no such node).
    public func program(node: String) -> BridgeProgram { engine.program(node: node) ?? BridgeProgram() }
}
