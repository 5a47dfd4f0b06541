import Foundation
import Hummingbird
import HummingbirdTesting
import TaaSAPI
import TaaSPolicy
import TaaSTestSupport
import TaaSWire
import Testing

/// taasctl end to end against the API served live on loopback.
@Suite(.offCooperativePool) struct TaasctlTests {
    static var taasctl: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(".build/debug/taasctl").path
    }

    static func run(_ args: [String]) async throws -> (Int32, String, String) {
        let o = try await Command.runOffPool(Self.taasctl, args)
        return (o.status, o.stdout, o.stderr)
    }

    @Test func endToEnd() async throws {
        let e = try APIFixture.env()
        try await e.service.recordPorts(APIFixture.ports)
        try await e.app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            func ctl(_ args: String...) async throws -> (Int32, String, String) { try await Self.run(args + ["--url", url]) }

            // Names wherever a resource is referenced.
            var (code, out, err) = try await ctl("tap", "service", "create", "--name", "an", "--port", "analyzer")
            #expect(code == 0 && out.contains("| name ") && out.contains("| an "), "\(out)\(err)")
            (code, out, err) = try await ctl("tap", "flow", "create", "--name", "webflow", "--port", "web", "--tap-service", "an",
                                             "--direction", "BOTH", "--vlan-filter", "10,20-30")
            #expect(code == 0 && out.contains("10,20-30"), "\(out)\(err)")
            (code, out, _) = try await ctl("tap", "flow", "list")
            #expect(code == 0 && out.contains("webflow") && out.contains("BOTH"))
            (code, out, _) = try await ctl("tap", "service", "show", "an", "-f", "json")
            // taasctl prints the API's fields: they read back as the API's type.
            let shown = try? JSONDecoder().decode(TapServiceInfo.self, from: Data(out.utf8))
            #expect(code == 0 && shown?.name == "an" && shown?.status == "DOWN")
            (code, out, _) = try await ctl("tap", "service", "update", "an", "--description", "main analyzer", "-f", "yaml")
            #expect(code == 0 && out.contains("description: \"main analyzer\""), "\(out)")
            // Snap length: set at creation, shown, cleared with "none"; a tap flow has none.
            func object(_ text: String) -> JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null }
            func service(_ text: String) -> TapServiceInfo? { try? JSONDecoder().decode(TapServiceInfo.self, from: Data(text.utf8)) }
            (code, out, err) = try await ctl("tap", "service", "update", "an", "--snaplen", "128", "-f", "json")
            #expect(code == 0 && service(out)?.snaplen == 128, "\(out)\(err)")
            (code, out, err) = try await ctl("tap", "service", "update", "an", "--snaplen", "none", "-f", "json")
            #expect(code == 0 && object(out)["snaplen"] == .null, "\(out)\(err)")
            (code, _, err) = try await ctl("tap", "service", "update", "an", "--snaplen", "9")
            #expect(code == 1 && err.contains("snaplen: 9 is not from 14 to 65535"), "\(err)")
            (code, _, err) = try await ctl("tap", "flow", "update", "webflow", "--snaplen", "64")
            #expect(code == 64 && err.contains("has no snap length"), "\(err)")
            // Rate limits: set, cleared with "none"; a tap flow has none.
            (code, out, err) = try await ctl("tap", "service", "update", "an", "--max-kbps", "5000", "--max-kpps", "3", "-f", "json")
            #expect(code == 0 && service(out)?.rateLimit == RateLimitFields(maxKbps: 5000, maxKpps: 3), "\(out)\(err)")
            (code, out, err) = try await ctl("tap", "service", "update", "an", "--max-kbps", "none", "-f", "json")
            #expect(code == 0 && object(out)["max_kbps"] == .null && service(out)?.rateLimit == RateLimitFields(maxKpps: 3), "\(out)\(err)")
            (code, _, err) = try await ctl("tap", "flow", "update", "webflow", "--max-kbps", "64")
            #expect(code == 64 && err.contains("has no rate limit"), "\(err)")
            (code, _, err) = try await ctl("tap", "service", "update", "an", "--max-kbps", "0")
            #expect(code == 1 && err.contains("max_kbps"), "\(err)")
            // Traffic filters: flags to attributes, ports as N or N-M; the API names a bad field.
            (code, out, err) = try await ctl("tap", "flow", "create", "--name", "tls", "--port", "db", "--tap-service", "an", "--direction", "OUT",
                                             "--protocol", "tcp", "--destination-port", "443", "--source-port", "1024-65535",
                                             "--destination-ip-prefix", "10.0.0.0/8", "-f", "json")
            let tls = try? JSONDecoder().decode(TapFlowInfo.self, from: Data(out.utf8))
            #expect(code == 0 && tls?.traffic == TrafficFilterFields(ethertype: "IPv4", protocol: "tcp", destinationIPPrefix: "10.0.0.0/8",
                                                                     sourcePortRangeMin: 1024, sourcePortRangeMax: 65535,
                                                                     destinationPortRangeMin: 443, destinationPortRangeMax: 443), "\(out)\(err)")
            (code, _, err) = try await ctl("tap", "flow", "create", "--port", "db", "--tap-service", "an", "--direction", "IN",
                                           "--destination-port", "80")
            #expect(code == 1 && err.contains("destination_port_range_min") && err.contains("tcp, udp or sctp"), "\(err)")
            (code, _, err) = try await ctl("tap", "flow", "create", "--port", "db", "--tap-service", "an", "--direction", "IN",
                                           "--protocol", "udp", "--source-port", "5-x")
            #expect(code == 64 && err.contains("--source-port"), "\(err)")
            (code, out, _) = try await ctl("port", "list")
            #expect(code == 0 && out.contains("binding:host_id") && out.contains("node2"))
            // Several tool ports: --port repeated, shown as port_ids.
            (code, out, err) = try await ctl("tap", "service", "create", "--name", "ids", "--port", "web", "--port", "analyzer", "-f", "json")
            #expect(code == 1 && err.contains("PortInUse"), "analyzer is an's port: \(out)\(err)")
            (code, out, err) = try await ctl("tap", "service", "create", "--name", "ids", "--port", "web", "--port", "db", "-f", "json")
            #expect(code == 0 && service(out)?.portIDs == [APIFixture.ports[1].id, APIFixture.ports[2].id], "\(out)\(err)")
            (code, out, _) = try await ctl("tap", "service", "list")
            #expect(code == 0 && out.contains("\(APIFixture.ports[1].id),\(APIFixture.ports[2].id)"), "\(out)")
            (code, _, err) = try await ctl("tap", "service", "delete", "ids")
            #expect(code == 0, "\(err)")

            // Ambiguous names are an error that lists the candidates.
            _ = try await ctl("tap", "service", "create", "--name", "dup", "--port", "web")
            (code, _, err) = try await ctl("tap", "service", "create", "--name", "dup", "--port", "db")
            #expect(code == 0, "\(err)")
            (code, _, err) = try await ctl("tap", "service", "show", "dup")
            #expect(code == 1 && err.contains("are named \"dup\""), "\(err)")

            // API refusals, unreachable servers and bad usage have their own exit codes and one line.
            (code, _, err) = try await ctl("tap", "flow", "create", "--port", "analyzer", "--tap-service", "an", "--direction", "IN")
            #expect(code == 1 && err.hasPrefix("taasctl: 409 PortIsTapServiceDestination"), "\(err)")
            (code, _, err) = try await Self.run(["tap", "service", "list", "--url", "http://127.0.0.1:1"])
            #expect(code == 3 && err.contains("cannot reach taasd"), "\(err)")
            (code, _, _) = try await ctl("tap", "flow", "create", "--port", "web", "--tap-service", "an", "--direction", "UP")
            #expect(code == 64)

            (code, _, _) = try await ctl("tap", "service", "delete", "an")
            #expect(code == 0)
            (code, out, _) = try await ctl("tap", "flow", "list", "-f", "json")
            let remaining = try? JSONDecoder().decode([TapFlowInfo].self, from: Data(out.utf8))
            #expect(code == 0 && remaining?.isEmpty == true, "\(out)")
        }
    }
}
