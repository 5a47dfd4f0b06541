import Foundation
import TaaSWire
import Testing

/// Request bodies as the API reads them: every JSON type kept apart (true is no number, "7" no
/// integer), quoted in messages as sent.
@Suite struct JSONValueTests {
    func parse(_ text: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    @Test func eachTypeIsKeptApart() throws {
        #expect(try parse("true") == .bool(true) && parse("false") == .bool(false))
        #expect(try parse("1") == .int(1) && parse("-7") == .int(-7))
        #expect(try parse("1.5") == .number(1.5))
        #expect(try parse(#""7""#) == .string("7") && parse("null") == .null)
        #expect(try parse(#"{"a": [1, "x", null, {"b": false}]}"#)
                == .object(["a": .array([.int(1), .string("x"), .null, .object(["b": .bool(false)])])]))
        #expect(try parse("true").int == nil && parse("1").int == 1 && parse(#""1""#).int == nil)
        #expect(throws: DecodingError.self) { try parse("{nope") }
    }

    @Test func messagesQuoteWhatWasSent() throws {
        #expect(try parse(#"{"IN": "101", "OUT": [true, 2.5]}"#).description == #"{"IN": "101", "OUT": [true, 2.5]}"#)
        #expect(try parse(#""text""#).description == "text")
        #expect(try JSONEncoder().encode(parse(#"{"a":[1,"x",null]}"#)) == Data(#"{"a":[1,"x",null]}"#.utf8))
    }
}
