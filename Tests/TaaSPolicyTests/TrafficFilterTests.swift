import TaaSPolicy
import Testing

/// A tap flow's traffic filter is checked as Neutron checks security group rules and flow
/// classifiers: every refusal is a 400 that names the field.
@Suite struct TrafficFilterTests {
    static func make(_ r: TrafficFilter.Request) throws -> TrafficFilter? { try TrafficFilter.make(r) }

    func refused(_ r: TrafficFilter.Request, naming field: String) {
        do {
            _ = try TrafficFilter.make(r)
            Issue.record("expected a refusal naming \(field)")
        } catch {
            #expect(error.kind == .badRequest && error.type == "InvalidInput" && error.message.contains("for \(field).") , "\(error)")
        }
    }

    @Test func nothingGivenIsNoFilter() throws {
        #expect(try Self.make(.init()) == nil)
        #expect(try Self.make(.init(protocol: "any")) == nil, "any: every protocol, as Neutron")
    }

    @Test func valuesAreNormalizedAsNeutronDoes() throws {
        let f = try #require(try Self.make(.init(ethertype: "ipv4", protocol: "TCP", destinationPortMin: 443)))
        #expect(f.ethertype == .ipv4 && f.protocol == "tcp" && f.protocolNumber == 6)
        #expect(f.destinationPorts == .init(min: 443, max: 65535), "an absent end is open")
        #expect(try Self.make(.init(protocol: "17"))?.protocol == "17")
        #expect(try Self.make(.init(protocol: "17"))?.protocolNumber == 17)
        #expect(try Self.make(.init(ethertype: "IPv6", protocol: "icmp"))?.protocol == "ipv6-icmp")
        // A prefix sets the ethertype; a bare address is a whole-length prefix; host bits are kept.
        let p = try #require(try Self.make(.init(sourceIPPrefix: "2001:DB8::1")))
        #expect(p.ethertype == .ipv6 && p.sourceIPPrefix?.text == "2001:db8::1/128")
        let v4 = try #require(try Self.make(.init(destinationIPPrefix: "10.1.2.3/8")))
        #expect(v4.destinationIPPrefix?.text == "10.1.2.3/8" && v4.destinationIPPrefix?.network.lo == 0x0a00_0000)
        #expect(v4.ethertype == .ipv4)
    }

    @Test func inconsistentCombinationsNameTheField() {
        refused(.init(ethertype: "IPv5"), naming: "ethertype")
        refused(.init(protocol: "bogus"), naming: "protocol")
        refused(.init(protocol: "256"), naming: "protocol")
        refused(.init(ethertype: "IPv4", protocol: "ipv6-icmp"), naming: "protocol")
        refused(.init(destinationPortMin: 80), naming: "destination_port_range_min")
        refused(.init(protocol: "icmp", sourcePortMax: 80), naming: "source_port_range_max")
        refused(.init(protocol: "tcp", destinationPortMin: 90, destinationPortMax: 80), naming: "destination_port_range_max")
        refused(.init(protocol: "udp", sourcePortMin: 70000), naming: "source_port_range_min")
        refused(.init(ethertype: "IPv4", sourceIPPrefix: "2001:db8::/32"), naming: "source_ip_prefix")
        refused(.init(sourceIPPrefix: "10.0.0.0/8", destinationIPPrefix: "2001:db8::/32"), naming: "destination_ip_prefix")
        refused(.init(destinationIPPrefix: "10.0.0.0/33"), naming: "destination_ip_prefix")
        refused(.init(destinationIPPrefix: "10.0.0"), naming: "destination_ip_prefix")
        refused(.init(sourceIPPrefix: "2001:db8:::1/64"), naming: "source_ip_prefix")
    }

    @Test func prefixesKeepTheirNetworkAndMask() throws {
        let p = try #require(IPPrefix("2001:db8:aaaa:bbbb:cccc::1/72"))
        #expect(p.mask.hi == .max && p.mask.lo == 0xff00_0000_0000_0000)
        #expect(p.network.hi == 0x2001_0db8_aaaa_bbbb && p.network.lo == 0xcc00_0000_0000_0000)
        #expect(IPPrefix("::ffff:192.0.2.1")?.lo == 0x0000_ffff_c000_0201)
        #expect(IPPrefix("0.0.0.0/0")?.mask.lo == 0)
    }
}
