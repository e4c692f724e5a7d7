import Testing
import TestSupport
@testable import JSON

@Suite(.ownThreads) struct Numbers {
    func number(_ text: String) throws -> JSONNumber {
        try #require(JSONParser.parse(text).numberValue)
    }

    @Test func intAccessor() throws {
        #expect(try number("0").int == 0)
        #expect(try number("-0").int == 0)
        #expect(try number("42").int == 42)
        #expect(try number("-42").int == -42)
        #expect(try number("9223372036854775807").int == Int.max)
        #expect(try number("-9223372036854775808").int == Int.min)
        #expect(try number("9223372036854775808").int == nil)
        #expect(try number("-9223372036854775809").int == nil)
        #expect(try number("1.0").int == nil)
        #expect(try number("1e2").int == nil)
        #expect(try number("1E0").int == nil)
        #expect(try number("100000000000000000000000").int == nil)
    }

    @Test func exactLargeIntegers() throws {
        let n = try number("9007199254740993")
        #expect(n.text == "9007199254740993")
        #expect(n.int == 9_007_199_254_740_993)
        #expect(n.double == 9_007_199_254_740_992)  // nearest double; the text stays exact
        #expect(JSONWriter.string(.number(n)) == "9007199254740993")
    }

    @Test func doubleAccessor() throws {
        #expect(try number("1.5").double == 1.5)
        #expect(try number("-2.5e3").double == -2500)
        #expect(try number("1E-2").double == 0.01)
        #expect(try number("7").double == 7)
        #expect(try number("1e400").double == nil)
        #expect(try number("-1e400").double == nil)
        #expect(try number("1e-400").double == 0)
    }

    @Test func constructors() throws {
        #expect(JSONNumber(42).text == "42")
        #expect(JSONNumber(UInt64.max).text == "18446744073709551615")
        #expect(JSONNumber(UInt64.max).int == nil)
        #expect(JSONNumber(Int8(-5)).int == -5)
        #expect(JSONNumber(1.0)?.text == "1.0")
        #expect(JSONNumber(1.0)?.int == nil)
        #expect(JSONNumber(0.1)?.text == "0.1")
        #expect(JSONNumber(1e-7)?.double == 1e-7)
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(-Double.infinity) == nil)
        for d in [0.0, -0.0, 1e300, -1e-300, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 123.456] {
            let n = try #require(JSONNumber(d))
            #expect(JSONNumber(text: n.text) != nil, "\(n.text) must be valid JSON")
            #expect(n.double == d)
        }
        #expect(JSONNumber(text: "12")?.int == 12)
        #expect(JSONNumber(text: "1.25")?.double == 1.25)
        for bad in ["", " 1", "1 ", "01", "+1", "1.", ".1", "1e", "0x1", "NaN", "inf", "--1", "1e+-1", "١"] {
            #expect(JSONNumber(text: bad) == nil, "\(bad)")
        }
        #expect(JSONNumber(text: "1.0") != JSONNumber(text: "1"))  // equality is on text
        #expect(JSONNumber(text: "1.0") == JSONNumber(1.0))
    }
}

@Suite(.ownThreads) struct Objects {
    @Test func orderedAndLookup() throws {
        var object: JSONObject = ["z": 1, "a": 2, "m": 3]
        #expect(object.keys == ["z", "a", "m"])
        #expect(object["a"] == 2)
        #expect(object["missing"] == nil)
        object["a"] = "two"  // replace in place
        object["b"] = nil  // removing an absent key is a no-op
        object["n"] = .null  // present with a null value
        #expect(object.keys == ["z", "a", "m", "n"])
        #expect(object["a"] == "two")
        #expect(object["n"] == .null)
        object["z"] = nil
        #expect(object.keys == ["a", "m", "n"])
        #expect(object.count == 3)
        #expect(Array(object.map(\.key)) == ["a", "m", "n"])
        #expect(JSONWriter.string(.object(object)) == #"{"a":"two","m":3,"n":null}"#)
    }

    @Test func initializers() {
        let fromPairs = JSONObject([("b", JSONValue.bool(true)), ("a", .null)])
        let fromKeyValuePairs = JSONObject(["b": true, "a": nil] as KeyValuePairs<String, JSONValue>)
        #expect(fromPairs == fromKeyValuePairs)
        #expect(fromPairs.keys == ["b", "a"])
        #expect(JSONObject().isEmpty)
        #expect(fromPairs != JSONObject([("a", JSONValue.null), ("b", .bool(true))]))
    }

    @Test func largeObjectsUseTheIndex() {
        var object = JSONObject()
        for i in 0..<100 { object["k\(i)"] = .number(JSONNumber(i)) }
        #expect(object.count == 100)
        for i in 0..<100 { #expect(object["k\(i)"] == .number(JSONNumber(i))) }
        for i in stride(from: 0, to: 100, by: 2) { object["k\(i)"] = nil }
        #expect(object.count == 50)
        #expect(object["k0"] == nil)
        #expect(object["k99"] == 99)
        #expect(object["k51"] == 51)
        object["k51"] = "x"
        #expect(object["k51"] == "x")
        #expect(object.keys.first == "k1")
        for i in stride(from: 1, to: 100, by: 2) where i > 5 { object["k\(i)"] = nil }
        #expect(object.keys == ["k1", "k3", "k5"])
        #expect(object["k5"] == 5)
        object["new"] = true
        #expect(object.keys == ["k1", "k3", "k5", "new"])
    }
}

@Suite(.ownThreads) struct Writer {
    @Test func compactOutput() {
        let value: JSONValue = ["b": [1, 2.5, "x", nil, true, false, [:], []], "a": ["nested": "y"]]
        #expect(JSONWriter.string(value) == #"{"b":[1,2.5,"x",null,true,false,{},[]],"a":{"nested":"y"}}"#)
        #expect(JSONWriter.write(value) == Array(JSONWriter.string(value).utf8))
        #expect(JSONWriter.string(.string("")) == #""""#)
        #expect(JSONWriter.string(-0.0) == "-0.0")
    }

    @Test func escaping() throws {
        #expect(JSONWriter.string("a\"b\\c/d") == #""a\"b\\c/d""#)
        #expect(JSONWriter.string("\n\r\t\u{08}\u{0C}") == #""\n\r\t\b\f""#)
        #expect(JSONWriter.string("\0\u{01}\u{1F}\u{7F}") == "\"\\u0000\\u0001\\u001f\u{7F}\"")
        #expect(JSONWriter.string("x\u{2028}y\u{2029}z") == #""x\u2028y\u2029z""#)
        #expect(JSONWriter.string("é€😀\u{2027}\u{202A}") == "\"é€😀\u{2027}\u{202A}\"")  // neighbours stay raw
        #expect(JSONWriter.string(["k\"\n": "v"]) == #"{"k\"\n":"v"}"#)
        // Every control character is escaped and decodes back.
        for byte in UInt8(0)..<0x20 {
            let s = String(UnicodeScalar(byte))
            let written = JSONWriter.write(.string(s))
            #expect(!written.dropFirst().dropLast().contains { $0 < 0x20 })
            #expect(try JSONParser.parse(written) == .string(s))
        }
    }

    @Test func appendHelpers() throws {
        var out = Array(#"{"token":"#.utf8)
        JSONWriter.appendString("tok_\"1\"\u{2028}", to: &out)
        out.append(UInt8(ascii: ","))
        JSONWriter.appendKey("note", to: &out)
        JSONWriter.appendString("abc\ndef".split(separator: "\n")[1], to: &out)  // Substring
        out.append(UInt8(ascii: ","))
        JSONWriter.appendKey("list", to: &out)
        JSONWriter.append([1, "two"], to: &out)
        out.append(UInt8(ascii: "}"))
        #expect(String(decoding: out, as: UTF8.self) == #"{"token":"tok_\"1\"\u2028","note":"def","list":[1,"two"]}"#)
        #expect(try JSONParser.parse(out) == ["token": "tok_\"1\"\u{2028}", "note": "def", "list": [1, "two"]])
    }

    @Test func roundTripsStrings() throws {
        let samples = ["", "plain", "quote\"back\\slash", "ctl\u{0}\u{1}\u{1F}", "uni é 中 😀 \u{10FFFF}", "\u{2028}\u{2029}", "\u{FEFF}bom"]
        for s in samples {
            #expect(try JSONParser.parse(JSONWriter.write(.string(s))) == .string(s))
            let object: JSONValue = .object(JSONObject([(s, .array([.string(s)]))]))
            #expect(try JSONParser.parse(JSONWriter.write(object)) == object)
        }
    }
}
