import Foundation
import TaaSWire
import Testing

/// The API's own JSON reader and writer: they read and write what Foundation's `JSONDecoder` and
/// `JSONEncoder` do (compared on the same inputs), refuse what is not JSON with where and why,
/// and never trap, however deep or broken the text.
@Suite struct JSONTextTests {
    static func foundation(_ text: String) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
    static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try JSONValue(parsing: Array(text.utf8)) }

    @Test(arguments: [
        "true", "false", "null", "0", "-0", "1", "-7", "1.5", "-2.25e-3", "1.0", "1e2", "2.0000000000000001", "12345678901234567890",
        "-9223372036854775808", "9223372036854775807", "9223372036854775808", "0.1", "1E+2",
        #""""#, #""text""#, #""a\"b\\c\/d\n\r\t\b\f""#, #""\u00e9\u4e2d\ud83d\ude00""#, #""é中😀""#,
        "[]", "{}", " [ 1 , \"x\" , null , { \"b\" : false } ] ", #"{"a": {"b": [[], {}]}, "c": -1}"#, #"{"a":1,"a":2}"#,
    ])
    func readsWhatFoundationReads(_ text: String) throws {
        let expected = try #require(Self.foundation(text), "Foundation reads \(text)")
        #expect(try Self.parse(text) == expected, "\(text)")
    }

    @Test(arguments: [
        "", " ", "{not json", "{", "[1", "[1,]", "{\"a\":1,}", "01", "-", "1.", ".5", "1e", "+1", "tru", "nulls", "1 2", "[1]x",
        #""unterminated"#, "\"a\u{01}b\"", #""\x""#, #""\u12""#, #""\ud83d""#, #""\ude00""#, #""\ud83dx""#, "1E400", "{1: 2}",
        "[\"a\" \"b\"]", "{\"a\" 1}",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONSyntaxError.self, "\(text)") { try Self.parse(text) }
    }

    @Test func namesWhereAndWhy() {
        #expect(throws: JSONSyntaxError(offset: 7, reason: "expected ',' or '}'")) { try Self.parse(#"{"a":1 "b":2}"#) }
        #expect(throws: JSONSyntaxError(offset: 1, reason: "expected a member name")) { try Self.parse("{not json") }
        #expect(throws: JSONSyntaxError(offset: 5, reason: "unexpected character")) { try Self.parse(#"{"a":}"#) }
        #expect(throws: JSONSyntaxError(offset: 4, reason: "unexpected text after the JSON value")) { try Self.parse("[1] x") }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: [0x22, 0xff, 0x22]) }
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: [0x22, 0x5c, 0x6e, 0xc3, 0x22]) }
    }

    @Test func deepNestingIsRefusedNotFollowed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try Self.parse(deep) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try Self.parse(fine) }
    }

    /// Random documents: what one writes the other reads back, and Foundation agrees on both ends.
    @Test func randomDocumentsRoundTrip() throws {
        var rng = SplitMix(seed: 15)
        for _ in 0..<500 {
            let v = Self.random(&rng, depth: 0)
            let written = try JSONWriter().encode(v)
            #expect(try JSONValue(parsing: written) == v)
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(written)) == v)
            let sorted = JSONEncoder()
            sorted.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            #expect(written == Array(try sorted.encode(v)), "same bytes as Foundation with sorted keys")
        }
    }

    @Test func typesAreWrittenAsFoundationWritesThem() throws {
        let flow = TapFlowInfo(id: "f", projectID: "p", name: "n \"quoted\"", description: "a/b\n", tapServiceID: "s", sourcePort: "web",
                               direction: "BOTH", vlanFilter: nil, traffic: TrafficFilterFields(ethertype: "IPv4", sourcePortRangeMin: 80),
                               status: "ACTIVE", statusReason: nil)
        let mirror = TapMirrorInfo(id: "m", projectID: "p", name: "", description: "", portID: "a", directions: ["OUT": 2, "IN": 1],
                                   remoteIP: "192.0.2.1", mirrorType: "gre", snaplen: 128, rateLimit: RateLimitFields(maxKbps: 100),
                                   status: "DOWN", statusReason: "no route")
        let status = ControllerStatus(nodes: 1, openflowConnected: 1, ovsdbConnected: 0, statisticsReads: 2, tapServices: ["ACTIVE": 1],
                                      tapFlows: ["DOWN": 3, "ACTIVE": 2], tapMirrors: [:])
        try same(Many<TapFlowInfo, TapFlowInfo>([flow, flow], links: [Link(rel: "next", href: "/v2.0/taas/tap_flows?limit=2&marker=f")]))
        try same(One<TapMirrorInfo, TapMirrorInfo>(mirror))
        try same(ControllerStatus.Envelope(status))
        try same(NeutronErrorBody(type: "T", message: "m\u{01}"))
        try same([1.0, 0.5, -0.0, 1e20, 1e-5, 123456789.125])
        // `fields=` trims as with Foundation.
        var writer = JSONWriter()
        writer.userInfo[.onlyFields] = Set(["name", "status"])
        let trimmed = try JSONValue(parsing: writer.encode(Many<TapFlowInfo, TapFlowInfo>([flow])))
        #expect(trimmed == ["tap_flows": [["name": "n \"quoted\"", "status": "ACTIVE"]]])
        // Keys come in the order the type writes them, Neutron's: the id first.
        #expect(String(decoding: try JSONWriter().encode(One<TapFlowInfo, TapFlowInfo>(flow)), as: UTF8.self).hasPrefix(#"{"tap_flow":{"id":"f","#))
        #expect(throws: EncodingError.self) { try JSONWriter().encode([Double.nan]) }
    }

    /// Containers asked for in the ways `Codable` allows, beyond what the API's types do: the
    /// same JSON as Foundation's.
    @Test func unusualContainersAreWrittenAsFoundationWritesThem() throws {
        struct Twice: Encodable {
            enum K: String, CodingKey { case a, b, c, d, e }
            func encode(to encoder: any Encoder) throws {
                var first = encoder.container(keyedBy: K.self)
                try first.encode(1, forKey: .a)
                var nested = first.nestedContainer(keyedBy: K.self, forKey: .b)
                try nested.encode("x", forKey: .a)
                var list = first.nestedUnkeyedContainer(forKey: .c)
                try list.encode(true)
                var inner = list.nestedContainer(keyedBy: K.self)
                try inner.encodeNil(forKey: .e)
                var second = encoder.container(keyedBy: K.self)
                try second.encode([2.5], forKey: .d)
            }
        }
        class Base: Encodable {
            enum K: String, CodingKey { case base }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: K.self)
                try c.encode("b", forKey: .base)
            }
        }
        final class Derived: Base {
            enum L: String, CodingKey { case own, parent, late }
            override func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: L.self)
                try c.encode("d", forKey: .own)
                try super.encode(to: c.superEncoder(forKey: .parent))
                try super.encode(to: c.superEncoder())
                try c.encode("e", forKey: .late)
            }
        }
        try same(Twice())
        try same([Twice(), Twice()])
        try same(Derived())
        try same(["k": [Derived()]])
    }

    /// The same JSON as Foundation's encoder gives (compared as values: key order differs).
    func same<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try JSONWriter().encode(value)
        let theirs = try JSONEncoder().encode(value)
        let foundation = try JSONDecoder().decode(JSONValue.self, from: theirs)
        #expect(try JSONValue(parsing: ours) == foundation, sourceLocation: sourceLocation)
        #expect(try JSONValue(encoding: value) == foundation, "what taasctl's tables read", sourceLocation: sourceLocation)
    }

    static func random(_ rng: inout SplitMix, depth: Int) -> JSONValue {
        let strings = ["", "a", "tap_flow", "é中😀", "q\"b\\s/", "ctl\u{01}\u{1f}\n\t", "\u{7f}\u{2028}"]
        switch rng.next() % (depth > 4 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2: return .int(Int(truncatingIfNeeded: rng.next()) >> Int(rng.next() % 64))
        // Never integral: an integral number reads back as .int, as Foundation reads it.
        case 3: return .number(Double(Int(truncatingIfNeeded: rng.next() % 100_000) - 50_000) / 64 + 1.0 / 128)
        case 4: return .string(strings[Int(rng.next() % UInt64(strings.count))])
        case 5: return .array((0..<Int(rng.next() % 4)).map { _ in random(&rng, depth: depth + 1) })
        default:
            var o: [String: JSONValue] = [:]
            for _ in 0..<Int(rng.next() % 4) { o[strings[Int(rng.next() % UInt64(strings.count))] + "\(rng.next() % 9)"] = random(&rng, depth: depth + 1) }
            return .object(o)
        }
    }
}

/// A small seeded generator: the same documents every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
