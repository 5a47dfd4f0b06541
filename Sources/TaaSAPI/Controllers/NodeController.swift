import Foundation
import Hummingbird
import TaaSState
import TaaSWire

/// The compute nodes taasd knows (admins only).
struct NodeController {
    let inventory: any NodeInventory

    func register(on router: Router<APIContext>) {
        router.get("/v2.0/taas/nodes") { request, context in
            try Self.adminOnly(context)
            let query = try ListQuery(request, known: Set(NodeInfo.fields))
            let items = await inventory.nodes().map(NodeInfo.init)
            return Lists.response(NodeInfo.self, query, items, request)
        }
        router.get("/v2.0/taas/nodes/:id") { _, context in
            try Self.adminOnly(context)
            let id = context.parameters.get("id") ?? ""
            guard let node = await inventory.nodes().first(where: { $0.id == id }) else {
                throw APIError(.notFound, "NodeNotFound", "node \(id) could not be found")
            }
            return JSON.encoded(.ok, One<NodeInfo, NodeInfo>(NodeInfo(node)))
        }
    }

    static func adminOnly(_ context: APIContext) throws {
        guard context.caller.isAdmin else { throw APIError(.forbidden, "PolicyNotAuthorized", "nodes are visible to admins only") }
    }
}
