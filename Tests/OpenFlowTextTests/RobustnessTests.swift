import OpenFlow
import OpenFlowText
import SeededRandom
import Testing

@Suite("Errors and robustness")
struct RobustnessTests {
    static func error(_ line: String) -> TextParseError? {
        do {
            _ = try FlowText.parse(line)
            return nil
        } catch {
            return error
        }
    }

    @Test func errorsNameTheToken() throws {
        let cases: [(String, String, Int?)] = [
            ("in_port=1,foo=3 actions=drop", "\"foo\"", 10),
            ("in_port=1 output:3", "missing actions=", nil),
            ("dl_dst=aa:bb:cc actions=drop", "\"aa:bb:cc\"", 7),
            ("in_port=1 actions=output:3,frobnicate", "\"frobnicate\"", 27),
            ("in_port=1 actions=set_field:1->no_such_field", "\"no_such_field\"", nil),
            ("in_port=1 actions=set_field:300.1.1.1->tun_dst", "\"300.1.1.1\"", nil),
            ("priority=70000 actions=drop", "\"70000\"", 9),
            ("table=256 actions=drop", "\"256\"", 6),
            ("ip,ipv6 actions=drop", "\"ipv6\"", 3),
            ("in_port=1,in_port=2 actions=drop", "in_port=2", 10),
            ("nw_src=10.0.0.1/33 actions=drop", "\"10.0.0.1/33\"", 7),
            ("dl_vlan=5000 actions=drop", "dl_vlan", 0),
            ("in_port=1 actions=write_actions(output:1", "unbalanced", nil),
            ("in_port=1 actions=output:1,,output:2", "empty action", 27),
            ("in_port=1 actions=drop,output:1", "\"drop\"", nil),
            ("in_port=1 actions=load:1->NXM_NX_REG0[]", "\"load\"", nil),
            ("in_port=1 actions=resubmit(1,2,ct)", "resubmit(1,2,ct)", nil),
            ("oxm:8000:0=0x123 actions=drop", "\"0x123\"", nil),
        ]
        for (line, fragment, position) in cases {
            let e = try #require(Self.error(line), "\(line) should not parse")
            #expect(e.message.contains(fragment), "\(line): \(e.message)")
            if let position { #expect(e.position == position, "\(line): \(e)") }
            #expect(!e.description.isEmpty)
        }
        #expect(throws: TextParseError.self) { try GroupText.parse("group_id=1,type=fancy") }
        #expect(throws: TextParseError.self) { try GroupText.parse("type=all,bucket=actions=output:1") }
        #expect(throws: TextParseError.self) { try GroupText.parse("group_id=1,type=all,bucket=weight:x,actions=drop") }
        #expect(throws: TextParseError.self) { try MeterText.parse("meter=1 kbps bands=\ntype=drop") }
        #expect(throws: TextParseError.self) { try MeterText.parse("meter=1 fast bands=") }
        #expect(throws: TextParseError.self) { try MeterText.parse("kbps bands=\ntype=drop rate=1") }
    }

    /// Mutated lines never crash the parsers; whatever parses prints back to a line that
    /// reads back to the same thing.
    @Test func mutatedLinesNeverCrash() throws {
        var rng = SplitMix(state: 0x5eed)
        let seeds = OVSComparisonTests.flows + [RoundTripTests.mirrorLine] + RoundTripTests.groupLines + RoundTripTests.meterTexts
        let alphabet = Array(",=:/()->.x0123456789abcdefipv6 \t_-!é".unicodeScalars)
        var parsed = 0, groups = 0, meters = 0
        for _ in 0..<20_000 {
            var s = Array(seeds.randomElement(using: &rng)!.unicodeScalars)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0...s.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0 where i < s.count: s.remove(at: i)
                case 1: s.insert(alphabet.randomElement(using: &rng)!, at: i)
                case 2 where i < s.count: s[i] = alphabet.randomElement(using: &rng)!
                default:
                    let j = Int.random(in: i...s.count, using: &rng)
                    s.insert(contentsOf: s[i..<j], at: j)
                }
            }
            let line = String(String.UnicodeScalarView(s))
            if let e = try? FlowText.parse(line) {
                parsed += 1
                let text = FlowText.render(e)
                let again = try FlowText.parse(text)
                #expect(again == e, "\(line)")
                #expect(FlowText.render(again) == text)
            }
            if let g = try? GroupText.parse(line) {
                groups += 1
                #expect(try GroupText.parse(GroupText.render(g)) == g, "\(line)")
            }
            if let m = try? MeterText.parse(line) {
                meters += 1
                // A burst size without the burst flag is not shown (as in ovs-ofctl), so compare the text.
                let text = MeterText.render(m)
                #expect(MeterText.render(try MeterText.parse(text)) == text, "\(line)")
            }
        }
        #expect(parsed > 300 && groups > 20 && meters > 20, "\(parsed) flows, \(groups) groups, \(meters) meters")
    }

    static func randomBytes(_ n: Int, _ rng: inout SplitMix) -> [UInt8] {
        (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static let fieldIDs: [OXMFieldID] = (0...39).map { OXMFieldID(.openflowBasic, UInt8($0)) }
        + (0..<16).map { .nxRegister(UInt8($0)) }
        + [.nxTunnelID, .nxTunnelIPv4Src, .nxTunnelIPv4Dst, .nxTunnelIPv6Src, .nxTunnelIPv6Dst, .packetRegister(1),
           OXMFieldID(.nxm0, 0), OXMFieldID(.nxm0, 4), OXMFieldID(.nxm0, 5), OXMFieldID(.nxm1, 26), OXMFieldID(.nxm1, 29),
           OXMFieldID(.nxm1, 33), OXMFieldID(.nxm1, 99), OXMFieldID(.experimenter, 42)]

    static func randomField(_ rng: inout SplitMix) -> OXMField {
        let id = fieldIDs.randomElement(using: &rng)!
        let width = Bool.random(using: &rng) || id.info == nil ? [1, 2, 3, 4, 6, 8, 16].randomElement(using: &rng)! : id.info!.width
        var value = randomBytes(width, &rng)
        if Bool.random(using: &rng) { value = value.map { $0 & 0x0f } }  // small values hit the named forms
        var mask: OXMValue? = nil
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: mask = OXMValue(bytes: randomBytes(width, &rng))
        case 1: mask = .ones(width: width)
        default: break
        }
        if let m = mask, Bool.random(using: &rng) { return OXMField(id, value: OXMValue(bytes: value).and(m), mask: m) }
        return OXMField(id, value: OXMValue(bytes: value), mask: mask)
    }

    static func randomAction(_ rng: inout SplitMix, depth: Int = 0) -> Action {
        let port = PortNumber([1, 7, 0xff05, 0xffff_ff05, 0xffff_fff8, 0xffff_fffd, 0xffff_ffff, 70000].randomElement(using: &rng)!)
        let u16 = UInt16.random(in: 0...UInt16.max, using: &rng), u8 = UInt8.random(in: 0...255, using: &rng)
        switch Int.random(in: 0..<26, using: &rng) {
        case 0: return .output(port: port, maxLength: Bool.random(using: &rng) ? 0 : u16)
        case 1: return .copyTTLOut
        case 2: return .copyTTLIn
        case 3: return .setMPLSTTL(u8)
        case 4: return .decMPLSTTL
        case 5: return .pushVLAN(ethertype: u16)
        case 6: return .popVLAN
        case 7: return .pushMPLS(ethertype: u16)
        case 8: return .popMPLS(ethertype: u16)
        case 9: return .setQueue(UInt32.random(in: 0...UInt32.max, using: &rng))
        case 10: return .group(UInt32.random(in: 0...UInt32.max, using: &rng))
        case 11: return .setNWTTL(u8)
        case 12: return .decNWTTL
        case 13, 14, 15: return .setField(randomField(&rng))
        case 16: return .pushPBB(ethertype: u16)
        case 17: return .popPBB
        case 18: return .resubmit(inPort: [0xfff8, 1, 0xfffe, u16].randomElement(using: &rng)!, table: [nil, 255, u8].randomElement(using: &rng)!)
        case 19: return .outputTruncated(port: u16, maxLength: UInt32.random(in: 0...UInt32.max, using: &rng))
        case 20: return .experimenter(id: UInt32.random(in: 0...UInt32.max, using: &rng), body: randomBytes(Int.random(in: 0...12, using: &rng), &rng))
        case 21 where depth < 2: return .clone((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomAction(&rng, depth: depth + 1) })
        case 22:
            let offset = UInt8.random(in: 0...31, using: &rng)
            return .multipath(Multipath(fields: Multipath.Fields.allCases.randomElement(using: &rng)!, basis: u16,
                                        algorithm: Multipath.Algorithm.allCases.randomElement(using: &rng)!, links: Int.random(in: 1...65536, using: &rng),
                                        argument: UInt32.random(in: 0...UInt32.max, using: &rng), register: UInt8.random(in: 0...15, using: &rng),
                                        offset: offset, bits: UInt8.random(in: 1...(32 - offset), using: &rng)))
        default: return .unknown(type: u16, body: randomBytes(4, &rng))
        }
    }

    static func randomEntry(_ rng: inout SplitMix) -> FlowEntry {
        var fields: [OXMField] = []
        if Bool.random(using: &rng) { fields.append(.ethType([0x0800, 0x86dd, 0x0806, 0x8847, 0x88cc].randomElement(using: &rng)!)) }
        if Bool.random(using: &rng) { fields.append(OXMField(.ipProto, [1, 6, 17, 58, 132, 47].randomElement(using: &rng)!)) }
        for _ in 0..<Int.random(in: 0...6, using: &rng) { fields.append(randomField(&rng)) }
        fields.shuffle(using: &rng)
        var instructions: [Instruction] = []
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: instructions.append(.gotoTable(UInt8.random(in: 0...255, using: &rng)))
            case 1: instructions.append(.writeMetadata(rng.next(), mask: Bool.random(using: &rng) ? .max : rng.next()))
            case 2: instructions.append(.writeActions((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomAction(&rng) }))
            case 3: instructions.append(.clearActions)
            case 4: instructions.append(.meter(UInt32.random(in: 0...UInt32.max, using: &rng)))
            case 5: instructions.append(.experimenter(id: 0x2320, body: randomBytes(4, &rng)))
            default: instructions.append(.applyActions((0..<Int.random(in: 0...5, using: &rng)).map { _ in randomAction(&rng) }))
            }
        }
        return FlowEntry(cookie: Bool.random(using: &rng) ? 0 : rng.next(), tableID: UInt8.random(in: 0...255, using: &rng),
                         priority: UInt16.random(in: 0...UInt16.max, using: &rng), idleTimeout: UInt16.random(in: 0...9, using: &rng),
                         hardTimeout: 0, flags: FlowMod.Flags(rawValue: UInt16.random(in: 0...UInt16.max, using: &rng)),
                         match: Match(fields), instructions: instructions)
    }

    /// Whatever the entry holds, its rendering reads back, and prints identically.
    @Test func randomEntriesReadBack() throws {
        var rng = SplitMix(state: 42)
        for _ in 0..<5_000 {
            let e = Self.randomEntry(&rng)
            let text = FlowText.render(e)
            let back = try FlowText.parse(text)
            #expect(FlowText.render(back) == text)
            #expect(try FlowText.parse(FlowText.render(back)) == back)
            #expect(e.canonical == back)
        }
    }

    /// Entries whose match is in encoding order and whose instructions are canonical round-trip exactly.
    @Test func canonicalEntriesRoundTrip() throws {
        var rng = SplitMix(state: 7)
        for _ in 0..<2_000 {
            let c = Self.randomEntry(&rng).canonical
            #expect(try FlowText.parse(FlowText.render(c)) == c)
        }
    }
}
