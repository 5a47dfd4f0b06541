import OpenFlow
import Testing

@Suite struct MatchValidationTests {
    @Test func validMatchesPass() throws {
        try Match([.inPort(1), .ethDst(EthernetAddress(1, 2, 3, 4, 5, 6))]).validate()
        try Match([.ethType(0x0800), OXMField(.ipProto, 6), OXMField(.tcpDst, 80)]).validate()
        try Match([.ethType(0x86dd), OXMField(.ipProto, 58), OXMField(.icmpv6Type, 135),
                   OXMField(.ipv6NDTarget, value: OXMValue(hi: 1, lo: 2))]).validate()
        try Match([.vlanVID(0x1000 | 10), OXMField(.vlanPCP, 3)]).validate()
        try Match([.vlanVID(0x1000, mask: 0x1000), OXMField(.vlanPCP, 3)]).validate()
        try Match([.tunnelID(0x100, mask: 0xf00), .register(3, 0x10, mask: 0xf0)]).validate()
        // An all-ones mask is exact, accepted even where masks are not.
        try Match([OXMField(.inPort, 1, mask: 0xffff_ffff)]).validate()
    }

    @Test(arguments: [
        ([OXMField(.tcpDst, 80)], ErrorCode.badMatchBadPrereq),
        ([OXMField(.ethType, 0x0800), OXMField(.tcpDst, 80)], .badMatchBadPrereq),
        ([OXMField(.ethType, 0x0800), OXMField(.ipProto, 17), OXMField(.tcpDst, 80)], .badMatchBadPrereq),
        ([OXMField(.ipv4Src, 1)], .badMatchBadPrereq),
        ([OXMField(.ethType, 0x86dd), OXMField(.ipv4Src, 1)], .badMatchBadPrereq),
        ([OXMField(.ethType, 0x0800), OXMField(.ipProto, 58), OXMField(.icmpv6Type, 1)], .badMatchBadPrereq),
        ([OXMField(.vlanPCP, 1)], .badMatchBadPrereq),
        ([OXMField(.vlanVID, 0), OXMField(.vlanPCP, 1)], .badMatchBadPrereq),
        ([OXMField(.inPhyPort, 1)], .badMatchBadPrereq),
        ([OXMField(.arpOp, 1)], .badMatchBadPrereq),
        ([OXMField(.inPort, 1), OXMField(.inPort, 2)], .badMatchDupField),
        ([OXMField(.inPort, 1, mask: 1)], .badMatchBadMask),
        ([OXMField(.ethDst, 0xffff, mask: 0xff)], .badMatchBadWildcards),
        ([OXMField(.inPort, 1, mask: 0)], .badMatchBadWildcards),
        ([OXMField(.ethType, 0x86dd), OXMField(.ipProto, 1), OXMField(.icmpv4Type, 8)], .badMatchBadPrereq),
    ] as [([OXMField], ErrorCode)])
    func invalidMatchesAreRejected(fields: [OXMField], expected: ErrorCode) {
        #expect(throws: ParseError.self) { try Match(fields).validate() }
        do { try Match(fields).validate() } catch { #expect(error.code == expected) }
    }

    @Test func addressesParseAndPrint() {
        #expect(EthernetAddress("aa:bb:cc:dd:ee:ff")?.description == "aa:bb:cc:dd:ee:ff")
        #expect(EthernetAddress("aa:bb:cc:dd:ee") == nil)
        #expect(EthernetAddress("aa:bb:cc:dd:ee:fg") == nil)
        #expect(IPv4Address("198.51.100.12")?.description == "198.51.100.12")
        #expect(IPv4Address("198.51.100.256") == nil)
        #expect(IPv4Address("1..2.3") == nil)
        #expect(OXMValue.ones(width: 6).integer == 0xffff_ffff_ffff)
        #expect(OXMValue.ones(width: 16).isAllOnes)
        #expect(OXMValue(bytes: [1, 2, 3]).bytes == [1, 2, 3])
        #expect(OXMValue(hi: 0x0102, lo: 0x0304).bytes.suffix(2) == [3, 4])
    }
}

@Suite struct FieldTableTests {
    /// The decoder's width table and the descriptive field table never disagree.
    @Test func knownWidthsMatchFieldInfo() {
        let classes: [OXMClass] = [.openflowBasic, .nxm1, .packetRegisters, .nxm0, .experimenter]
        for c in classes {
            for f in 0..<128 {
                let id = OXMFieldID(c, UInt8(f))
                #expect(id.knownWidth == id.info?.width, "\(c.rawValue):\(f)")
            }
        }
    }
}
