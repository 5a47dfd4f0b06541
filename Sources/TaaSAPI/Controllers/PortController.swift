import Foundation
import Hummingbird
import TaaSPolicy
import TaaSState
import TaaSWire

/// The port inventory, read-only, with Neutron's field names: each caller sees its project's ports.
struct PortController {
    let service: PolicyService

    func register(on router: Router<APIContext>) {
        router.get("/v2.0/ports") { request, context in
            let query = try ListQuery(request, known: Set(PortInfo.fields))
            let caller = context.caller
            let items = await service.read { t in t.portList(by: caller).map(PortInfo.init) }
            return Lists.response(PortInfo.self, query, items, request)
        }
        router.get("/v2.0/ports/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            let caller = context.caller
            let port = try await service.read { t in PortInfo(try t.port(id, by: caller)) }
            return JSON.encoded(.ok, One<PortInfo, PortInfo>(port))
        }
    }
}
