import Foundation
import Hummingbird
import TaaSPolicy
import TaaSState
import TaaSVersion
import TaaSWire

/// The Neutron-TaaS-compatible REST API.
public enum TaaSAPI {
    /// Largest request body accepted.
    public static let maxBodySize = 1 << 20

    public static func makeRouter(service: PolicyService, statuses: StatusBoard = StatusBoard(), auth: AuthMode, maxBodySize: Int = maxBodySize,
                                  nodes: any NodeInventory = NoNodes(),
                                  operations: any ControllerOperations = NoOperations(),
                                  scheme: String = "http", serveMetrics: Bool = true) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.middlewares.add(NeutronMiddleware(auth: auth))

        // Version discovery as Neutron answers it: clients (keystoneauth) need absolute links.
        let versions: @Sendable (Request, APIContext) -> Response = { request, _ in
            let host = request.head.authority ?? request.headers.first { $0.name.canonicalName == "host" }?.value ?? "localhost"
            return JSON.encoded(.ok, APIVersion.List([APIVersion(id: "v2.0", status: "CURRENT",
                                                                 links: [Link(rel: "self", href: "\(scheme)://\(host)/v2.0/")])]))
        }
        router.get("/", use: versions)
        router.get("/v2.0", use: versions)
        router.get("/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: OpenAPIDocument.served)))
        }
        OperationRoutes.register(on: router, service: service, statuses: statuses, operations: operations, serveMetrics: serveMetrics)
        router.get("/v2.0/extensions") { _, _ in JSON.encoded(.ok, APIExtension.List(extensions)) }

        TapServiceController(service: service, statuses: statuses).register(on: router, maxBody: maxBodySize)
        TapFlowController(service: service, statuses: statuses).register(on: router, maxBody: maxBodySize)
        TapMirrorController(service: service, statuses: statuses).register(on: router, maxBody: maxBodySize)
        NodeController(inventory: nodes).register(on: router)
        PortController(service: service).register(on: router)
        return router
    }

    /// What taasd adds to TaaS.
    static let extensions = [
        APIExtension(alias: "taas", name: "Tap as a Service", description: "Port mirroring with tap services and tap flows",
                     updated: "2026-11-25T00:00:00Z"),
        APIExtension(alias: "taas-vlan-filter", name: "VLAN filtering for TaaS", description: "vlan_filter on tap flows",
                     updated: "2026-11-25T00:00:00Z"),
        APIExtension(alias: "tap-mirror", name: "Tap mirrors", description: "Mirroring to remote analyzers over GRE or ERSPAN v1",
                     updated: "2026-11-25T00:00:00Z"),
        APIExtension(alias: "taas-snaplen", name: "Truncated copies for TaaS",
                     description: "snaplen on tap services and tap mirrors: every copy cut to that many bytes, also before tunnels",
                     updated: "2026-12-06T00:00:00Z"),
        APIExtension(alias: "taas-rate-limit", name: "Rate limits for TaaS",
                     description: "max_kbps, max_burst_kbps, max_kpps on tap services and tap mirrors: copies policed by a meter where they are made",
                     updated: "2026-12-06T00:00:00Z"),
        APIExtension(alias: "taas-tool-balancing", name: "Load-balanced tools for TaaS",
                     description: "port_ids on tap services: each copy goes to exactly one tool port, by a symmetric hash of its 5-tuple",
                     updated: "2026-12-07T00:00:00Z"),
        APIExtension(alias: "taas-traffic-filter", name: "Traffic filters for TaaS",
                     description: "ethertype, protocol, source/destination IP prefixes and port ranges on tap flows: only matching frames are copied",
                     updated: "2026-12-06T00:00:00Z"),
    ]
    /// `/metrics` alone, for a listener of its own (`--metrics`).
    public static func makeMetricsRouter(operations: any ControllerOperations) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/metrics") { _, _ in await OperationRoutes.metrics(operations) }
        return router
    }
}

/// Every error becomes Neutron's error body; the caller is identified first.
struct NeutronMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let auth: AuthMode
    /// Also health and metrics: probes and Prometheus scrapers carry no token.
    static let publicPaths: Set<String> = ["/", "/v2.0", "/v2.0/", "/openapi.json", "/healthz", "/metrics"]

    /// The methods routed for a path, or nil when nothing is routed there.
    static func allowedMethods(_ path: String) -> [String]? {
        let p = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let resources: Set<String> = ["tap_services", "tap_flows", "tap_mirrors"]
        switch p.count {
        case 0: return ["GET"]
        case 1: return ["v2.0", "openapi.json", "healthz", "metrics"].contains(p[0]) ? ["GET"] : nil
        case 2: return p[0] == "v2.0" && ["extensions", "ports"].contains(p[1]) ? ["GET"] : nil
        case 3 where p[0] == "v2.0" && p[1] == "ports": return ["GET"]
        case 3 where p[0] == "v2.0" && p[1] == "taas":
            return resources.contains(p[2]) ? ["GET", "POST"] : ["nodes", "status"].contains(p[2]) ? ["GET"] : nil
        case 4 where p[0] == "v2.0" && p[1] == "taas":
            return resources.contains(p[2]) ? ["GET", "PUT", "DELETE"] : p[2] == "nodes" ? ["GET"] : nil
        case 5 where p[0] == "v2.0" && p[1] == "taas" && p[2] == "tap_flows" && p[4] == "statistics": return ["GET"]
        default: return nil
        }
    }

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        do {
            // Discovery and the API description are public, as Neutron's version document is.
            let isPublic = request.method == .get && Self.publicPaths.contains(request.uri.path)
            context.caller = isPublic ? .admin : try await auth.caller(for: request)
            return try await next(request, context)
        } catch let e as APIError {
            return e.response
        } catch let e as PolicyError {
            return APIError(e).response
        } catch let e as StoreFailure {
            return APIError(.serviceUnavailable, "PolicyStoreUnavailable", "the policy store did not take the write, nothing was changed: \(e)")
                .response
        } catch let e as HTTPError {
            switch e.status {
            case .notFound:
                // The router answers 404 for a known path asked with another method: that is a 405.
                if let allowed = Self.allowedMethods(request.uri.path), !allowed.contains(request.method.rawValue) {
                    var r = APIError(.methodNotAllowed, "HTTPMethodNotAllowed",
                                     "\(request.method) is not allowed on \(request.uri.path); allowed: \(allowed.joined(separator: ", "))").response
                    r.headers[.allow] = allowed.joined(separator: ", ")
                    return r
                }
                return APIError(.notFound, "HTTPNotFound", "no such path: \(request.method) \(request.uri.path)").response
            case .methodNotAllowed: return APIError(.methodNotAllowed, "HTTPMethodNotAllowed", "\(request.method) is not allowed on \(request.uri.path)").response
            default: return APIError(e.status, "HTTPError", e.body ?? "\(e.status)").response
            }
        }
    }
}
