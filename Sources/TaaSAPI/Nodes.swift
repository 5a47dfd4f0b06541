import Foundation
import Hummingbird
import TaaSState

enum NodeRoutes {
    static func register(on router: Router<APIContext>, inventory: any NodeInventory) {
        router.get("/v2.0/taas/nodes") { request, context in
            try adminOnly(context)
            let query = try ListQuery(request, known: NodeView.fields)
            let items = await inventory.nodes().map { NodeView(node: $0) }
            return Lists.response("nodes", query, items, request)
        }
        router.get("/v2.0/taas/nodes/:id") { _, context in
            try adminOnly(context)
            let id = context.parameters.get("id") ?? ""
            guard let node = await inventory.nodes().first(where: { $0.id == id }) else {
                throw APIError(.notFound, "NodeNotFound", "node \(id) could not be found")
            }
            return JSON.encoded(.ok, Envelope(key: "node", value: NodeView(node: node)))
        }
    }

    static func adminOnly(_ context: APIContext) throws {
        guard context.caller.isAdmin else { throw APIError(.forbidden, "PolicyNotAuthorized", "nodes are visible to admins only") }
    }
}
