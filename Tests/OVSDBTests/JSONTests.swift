import Foundation
import OVSDB
import Testing

@Suite struct JSONTests {
    @Test(arguments: [
        #"{"a":[1,-2,3.5,true,false,null,"x\"y\\z\n\u00e9\ud83d\ude00"]}"#,
        #"[]"#, #"{}"#, #"[[[]]]"#, #"{"b":{"c":"/"}}"#, #"[1e3,-0.5E-2,0]"#,
    ])
    func parsesAndWritesBack(text: String) throws {
        let v = try JSONParser.parse(text)
        #expect(try JSONParser.parse(v.serialized) == v)
    }

    @Test func valuesAreWhatTheTextSays() throws {
        let v = try JSONParser.parse(#"{"s":"\u00e9\ud83d\ude00\"","i":9007199254740993,"d":1.5,"t":true,"n":null}"#)
        #expect(v["s"] == .string("é😀\""))
        #expect(v["i"] == .int(9_007_199_254_740_993))
        #expect(v["d"] == .double(1.5))
        #expect(v["t"] == .bool(true))
        #expect(v["n"] == .null)
    }

    @Test(arguments: [
        ("", "end of input"), ("{", "expected a string key"), (#"{"a" 1}"#, "expected ':'"), ("[1,]", "unexpected character"),
        ("[1 2]", "expected ',' or ']'"), (#""abc"#, "unterminated"), ("[01x]", "expected ',' or ']'"), ("nul", "unexpected character"),
        (#"["\x"]"#, "invalid escape"), (#"["\ud800\u0041"]"#, "unpaired surrogate"), ("[1] 2", "after the value"),
        ("\"a\u{01}\"", "control character"), ("-", "unexpected character"), ("1.", "digits after"),
    ])
    func refusesMalformedText(text: String, problem: String) {
        #expect {
            _ = try JSONParser.parse(text)
        } throws: { ($0 as? JSONError)?.message.contains(problem) ?? false }
    }

    @Test func deepNestingIsRefusedNotRecursed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONError.self) { _ = try JSONParser.parse(deep) }
    }

    @Test func framerFindsMessagesAcrossArbitrarySplits() throws {
        let messages = [#"{"id":1,"result":{"a":"}{]["}}"#, #" [ "x\"}" ] "#, #"{"method":"echo","params":[],"id":"echo"}"#]
        let stream = Array(messages.joined().utf8)
        for chunk in [1, 2, 3, 7, 64] {
            var framer = JSONFramer()
            var buffer: [UInt8] = []
            var found: [String] = []
            var offset = 0
            while offset < stream.count {
                buffer += stream[offset..<min(offset + chunk, stream.count)]
                offset += chunk
                while let n = try framer.nextMessageLength(buffer) {
                    found.append(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespaces))
                    buffer.removeFirst(n)
                    framer.reset()
                }
            }
            #expect(found == messages.map { $0.trimmingCharacters(in: .whitespaces) }, "chunk \(chunk)")
        }
    }

    @Test func framerRefusesNonObjectsAndOversizedMessages() {
        var f = JSONFramer()
        #expect(throws: JSONFramer.Failure.notAnObjectOrArray(UInt8(ascii: "x"))) { _ = try f.nextMessageLength(Array("x{}".utf8)) }
        var small = JSONFramer(maxMessageSize: 10)
        #expect(throws: JSONFramer.Failure.tooLarge(10)) { _ = try small.nextMessageLength(Array(#"{"a":"0123456789"#.utf8)) }
    }
}
