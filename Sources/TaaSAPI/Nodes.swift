import Foundation
import Hummingbird
import TaaSState

extension NodeSummary {
    var rendered: [String: Any] {
        var tunnels: [String: Any] = [:]
        for (k, v) in tunnelPorts { tunnels[k] = Int(v) }
        return ["id": id, "name": hostname ?? id, "bridge": bridge, "datapath_id": datapathID ?? NSNull(),
                "encap_ip": encapIP ?? NSNull(), "fail_mode": failMode ?? NSNull(),
                "openflow": openflowConnected ? "connected" : "disconnected", "ovsdb": ovsdbConnected ? "connected" : "disconnected",
                "tunnel_ports": tunnels]
    }

    static let fields: Set<String> = ["id", "name", "bridge", "datapath_id", "encap_ip", "fail_mode", "openflow", "ovsdb", "tunnel_ports"]
}

enum NodeRoutes {
    static func register(on router: Router<APIContext>, inventory: any NodeInventory) {
        router.get("/v2.0/taas/nodes") { request, context in
            try adminOnly(context)
            let query = try ListQuery(request, known: NodeSummary.fields)
            let items = await inventory.nodes().map(\.rendered)
            return ResourceRoutes.listResponse("nodes", query, items, request)
        }
        router.get("/v2.0/taas/nodes/:id") { _, context in
            try adminOnly(context)
            let id = context.parameters.get("id") ?? ""
            guard let node = await inventory.nodes().first(where: { $0.id == id }) else {
                throw APIError(.notFound, "NodeNotFound", "node \(id) could not be found")
            }
            return JSON.response(.ok, ["node": node.rendered])
        }
    }

    static func adminOnly(_ context: APIContext) throws {
        guard context.caller.isAdmin else { throw APIError(.forbidden, "PolicyNotAuthorized", "nodes are visible to admins only") }
    }
}
