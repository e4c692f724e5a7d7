import Testing
import TestSupport
@testable import JSON

func parseError(_ text: String, limits: JSONLimits = .init()) -> JSONParseError? {
    parseError(Array(text.utf8), limits: limits)
}

func parseError(_ bytes: [UInt8], limits: JSONLimits = .init()) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// Documents every strict parser must accept (JSONTestSuite `y_` style).
let acceptedDocuments: [String] = [
    "[]", "{}", "null", "true", "false", "0", "-0", "123", "-123", "1.5", "-0.0e-0", "1e2", "1E+2", "1e-2",
    "0.000001", "123456789012345678901234567890", "1e400", "-1e-400", "9007199254740993",
    #""""#, #""abc""#, #"" spaces and \/ slash ""#, " [1, 2 ,3 ] ", "\n\t\r {\"a\" : [ ] } \n",
    #"["\u0000"]"#, #""\uD83D\uDE00""#, #""\"\\\/\b\f\n\r\t""#, "\"é😀中\"", "\"\u{7F}\"",
    "[[[[]]]]", #"{"a":{"b":{"c":null}}}"#, #"{"":0}"#, #"{"a":1,"A":2}"#, #""\u2028\u2029""#,
    #"[0.5,-0.5,1E-7,0e0,0E+1]"#, #"{"a":[1,{"b":[true,false,null]}],"c":"d"}"#, #""\u00e9\u00E9""#,
    #"[" "]"#, #"{"x":"\uFFFF"}"#, #""\uDBFF\uDFFF""#,
]

/// Documents every strict parser must reject (JSONTestSuite `n_` style), as text.
let rejectedDocuments: [String] = [
    "", " ", "[1,]", #"{"a":1,}"#, "01", "-01", "00", "-", "1.", ".5", "1e", "1e+", "1E-", "+1", "0x10", "NaN",
    "Infinity", "-Infinity", "-1.e5", "2.e3", "1.5e", "[1.0e]", "- 1", "1 2",
    #""\x""#, #""\a""#, #""\U0041""#, "\"\t\"", "\"\n\"", "\"\u{1F}\"", "\"\0\"",
    #""\uD800""#, #""\uDC00""#, #""\uD800\u0041""#, #""\uD800x""#, #""\uD800\uD800""#, #""\uDFFF\uD800""#,
    #""\u12""#, #""\uZZZZ""#, #""\u12G4""#,
    "nul", "tru", "fals", "nulll", "True", "NULL", "[1]x", "[1] [2]", "{} {}", "[1]]", #"{"a":1}}"#, "]", "}",
    #"{"a":1,"a":2}"#, #"{"a":1,"b":2,"a":3}"#, #"{"é":1,"\u00e9":2}"#, #"{"a" 1}"#, "{a:1}", "{'a':1}", "['a']",
    "[1 2]", "[,1]", "[1,,2]", "{,}", #"{"a":}"#, #"{"a"}"#, #"{"a":1 "b":2}"#, "{1:2}", "[", "{", "[1", #"{"a":1"#,
    #""abc"#, #""a\"#, #"["a""b"]"#, "[true false]", "// c\n1", "/* */1", "1 /* */", "1 # c", "\u{FEFF}1",
    "[\u{00A0}1]", "[\u{0C}1]", "[\u{0B}1]", "'a'", "[-]", "[01]", "[1,]", "[1,\n]", #"{"a":[}"#,
]

/// Invalid UTF-8 inside strings, and other byte-level garbage.
let rejectedByteDocuments: [[UInt8]] = [
    [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
    [0x22, 0xC1, 0xBF, 0x22],  // overlong
    [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong 3-byte
    [0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22],  // overlong 4-byte
    [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8 encoded surrogate U+D800
    [0x22, 0xED, 0xBF, 0xBF, 0x22],  // encoded surrogate U+DFFF
    [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
    [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
    [0x22, 0xFF, 0x22], [0x22, 0xFE, 0x22],
    [0x22, 0x80, 0x22],  // lone continuation byte
    [0x22, 0xBF, 0x22],
    [0x22, 0xC3, 0x28, 0x22],  // invalid continuation
    [0x22, 0xE2, 0x28, 0xA1, 0x22],
    [0x22, 0xE2, 0x82, 0x28, 0x22],
    [0x22, 0xF0, 0x9F, 0x98, 0x22],  // truncated 4-byte sequence
    [0x22, 0xE2, 0x82],  // truncated at end of input
    [0x22, 0x5C, 0x6E, 0xC3, 0x22],  // after an escape (slow path)
    [0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22],
    [0x5B, 0xC3, 0xA9, 0x5D],  // non-ASCII outside a string
    [0x00], [0x31, 0x00], [0x5B, 0x31, 0x00, 0x5D],
    [0x7B, 0x22, 0xC0, 0x80, 0x22, 0x3A, 0x31, 0x7D],  // bad key
]

@Suite(.ownThreads) struct Acceptance {
    @Test(arguments: acceptedDocuments)
    func accepts(_ document: String) throws {
        let value = try JSONParser.parse(document)
        // Round trip: parse → write → parse gives the same value, and writing is idempotent.
        let written = JSONWriter.write(value)
        let reparsed = try JSONParser.parse(written)
        #expect(reparsed == value)
        #expect(JSONWriter.write(reparsed) == written)
    }

    @Test(arguments: rejectedDocuments)
    func rejects(_ document: String) throws {
        let error = try #require(parseError(document))
        #expect(error.offset >= 0 && error.offset <= document.utf8.count)
        #expect(!error.reason.isEmpty)
    }

    @Test(arguments: rejectedByteDocuments)
    func rejectsBytes(_ bytes: [UInt8]) throws {
        let error = try #require(parseError(bytes))
        #expect(error.offset >= 0 && error.offset <= bytes.count)
    }

    @Test func validMultiByteUTF8() throws {
        let bytes: [UInt8] = [
            0x22, 0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xEF, 0xBF, 0xBF, 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80,
            0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22,
        ]
        let value = try JSONParser.parse(bytes)
        #expect(value == .string("\u{80}\u{7FF}\u{800}\u{FFFF}\u{D7FF}\u{E000}\u{10000}\u{10FFFF}"))
    }
}

@Suite(.ownThreads) struct Values {
    @Test func scalarsAndStructure() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse(" true ") == .bool(true))
        #expect(try JSONParser.parse("false") == false)
        #expect(try JSONParser.parse("-12") == -12)
        #expect(try JSONParser.parse("1.5") == 1.5)
        #expect(try JSONParser.parse(#""hi""#) == "hi")
        #expect(try JSONParser.parse(#"[1,"a",null,[true]]"#) == [1, "a", nil, [true]])
        let value = try JSONParser.parse(#"{"b":1,"a":{"c":[]}}"#)
        #expect(value == ["b": 1, "a": ["c": []]])
        #expect(value.objectValue?.keys == ["b", "a"])
        #expect(value != ["a": ["c": []], "b": 1])  // order matters for equality
    }

    @Test func escapesDecode() throws {
        #expect(try JSONParser.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try JSONParser.parse(#""a\u0041\u00e9\u20AC\uD83D\uDE00z""#) == .string("aAé€😀z"))
        #expect(try JSONParser.parse(#""\u0000""#) == .string("\0"))
        #expect(try JSONParser.parse(#""prefix é \n suffix é""#) == .string("prefix é \n suffix é"))
    }

    @Test func hugeNumbersKeptAsText() throws {
        let text = "123456789012345678901234567890.123456789012345678901234567890e-12"
        let value = try JSONParser.parse("[\(text)]")
        let number = try #require(value.arrayValue?.first?.numberValue)
        #expect(number.text == text)
        #expect(number.int == nil)
        #expect(String(decoding: JSONWriter.write(value), as: UTF8.self) == "[\(text)]")
        #expect(try JSONParser.parse("1e400").numberValue?.text == "1e400")
    }

    @Test func allInputForms() throws {
        let text = #"{"a":[1,2,"é"]}"#
        let expected: JSONValue = ["a": [1, 2, "é"]]
        let bytes = Array(text.utf8)
        #expect(try JSONParser.parse(text) == expected)
        #expect(try JSONParser.parse(bytes) == expected)
        #expect(try JSONParser.parse(bytes[...]) == expected)
        #expect(try JSONParser.parse(text.utf8) == expected)
        #expect(try JSONParser.parse(text.utf8.lazy.map { $0 }) == expected)  // non-contiguous: copied
        #expect(try JSONParser.parse(Substring("x" + text + "y").dropFirst().dropLast().utf8) == expected)
        let fromRaw = bytes.withUnsafeBytes { try? JSONParser.parse($0) }
        #expect(fromRaw == expected)
        let fromBuffer = bytes.withUnsafeBufferPointer { try? JSONParser.parse($0) }
        #expect(fromBuffer == expected)
        #expect(parseError([UInt8]())?.reason == "unexpected end of input, expected a value")
    }

    @Test func keysCompareAsSwiftStrings() throws {
        // "é" precomposed and decomposed are the same Swift String, so they are duplicates.
        #expect(parseError("{\"\u{E9}\":1,\"e\u{301}\":2}")?.reason == "duplicate key in object")
        #expect(try JSONParser.parse(#"{"a":1,"\u0061b":2}"#).objectValue?.keys == ["a", "ab"])
    }
}

@Suite(.ownThreads) struct Errors {
    @Test(arguments: [
        ("[1,]", 3, "trailing comma in array"),
        (#"{"a":1,}"#, 7, "trailing comma in object"),
        ("01", 0, "leading zeros are not allowed in numbers"),
        ("-", 1, "number is missing its digits"),
        ("1.", 2, "expected a digit after the decimal point"),
        ("1e", 2, "expected a digit in the exponent"),
        (".5", 0, "unexpected character, expected a value"),
        (#""\x""#, 1, "invalid escape sequence in string"),
        ("\"a\tb\"", 2, "unescaped control character in string"),
        (#"["\uD800"]"#, 2, "unpaired surrogate in \\u escape"),
        (#""\uDC00""#, 1, "unpaired surrogate in \\u escape"),
        (#""\u12""#, 1, "invalid \\u escape in string"),
        ("nul", 0, "invalid literal, expected true, false or null"),
        ("[1]x", 3, "unexpected content after the JSON value"),
        (#"{"a":1,"a":2}"#, 7, "duplicate key in object"),
        (#"{"a" 1}"#, 5, "expected ':' after object key"),
        ("[1 2]", 3, "expected ',' or ']' in array"),
        (#"{"a":1 "b":2}"#, 7, "expected ',' or '}' in object"),
        ("{1:2}", 1, "expected a string key in object"),
        (#"  "abc"#, 2, "unterminated string"),
        ("[", 1, "unexpected end of input, expected a value"),
        ("[1", 2, "unexpected end of input in array"),
        ("", 0, "unexpected end of input, expected a value"),
    ])
    func reasonAndOffset(_ document: String, _ offset: Int, _ reason: String) throws {
        let error = try #require(parseError(document))
        #expect(error.reason == reason)
        #expect(error.offset == offset)
        #expect(error.description == "invalid JSON at byte \(offset): \(reason)")
    }

    @Test func invalidUTF8Offset() throws {
        let error = try #require(parseError([0x5B, 0x22, 0x61, 0xC3, 0x28, 0x22, 0x5D]))
        #expect(error == JSONParseError(offset: 3, reason: "invalid UTF-8 in string"))
    }

    @Test func duplicateKeysInLargeObjects() throws {
        // Past the index threshold, duplicates are found by hashing rather than scanning.
        var members = (0..<40).map { #""k\#($0)":\#($0)"# }
        let ok = try JSONParser.parse("{" + members.joined(separator: ",") + "}")
        #expect(ok.objectValue?.count == 40)
        #expect(ok.objectValue?["k39"] == 39)
        #expect(ok.objectValue?["k0"] == 0)
        for duplicateAt in [1, 11, 12, 13, 39] {
            members = (0..<40).map { #""k\#($0)":\#($0)"# }
            members.append(#""k\#(duplicateAt)":0"#)
            #expect(parseError("{" + members.joined(separator: ",") + "}")?.reason == "duplicate key in object")
        }
        // The same key at different levels is fine.
        #expect(parseError(#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#) == nil)
    }
}

@Suite(.ownThreads) struct Limits {
    @Test func depth() throws {
        let limits = JSONLimits()
        #expect(limits.maxDepth == 32)
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(parseError(ok) == nil)
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(parseError(deep) == JSONParseError(offset: 32, reason: "nesting is deeper than the limit"))
        let objects = String(repeating: #"{"a":"#, count: 33) + "1" + String(repeating: "}", count: 33)
        #expect(parseError(objects)?.reason == "nesting is deeper than the limit")
        let mixed = String(repeating: #"[{"a":"#, count: 16) + "1" + String(repeating: "}]", count: 16)
        #expect(parseError(mixed) == nil)
        // A hostile document can't recurse past the limit (no stack exhaustion).
        #expect(parseError(String(repeating: "[", count: 1_000_000))?.reason == "nesting is deeper than the limit")
        #expect(parseError(deep, limits: JSONLimits(maxDepth: 40)) == nil)
        #expect(parseError("[]", limits: JSONLimits(maxDepth: 0))?.reason == "nesting is deeper than the limit")
        #expect(parseError("1", limits: JSONLimits(maxDepth: 0)) == nil)
    }

    @Test func stringLength() throws {
        let limits = JSONLimits(maxStringBytes: 8)
        #expect(parseError(#""12345678""#, limits: limits) == nil)
        #expect(parseError(#""123456789""#, limits: limits)?.reason == "string is longer than the limit")
        #expect(parseError(#""\n2345678""#, limits: limits) == nil)
        #expect(parseError(#""\n23456789""#, limits: limits)?.reason == "string is longer than the limit")
        #expect(parseError(#""\u00e9\u00e9\u00e9\u00e9""#, limits: limits) == nil)  // 8 decoded bytes
        #expect(parseError(#""\u00e9\u00e9\u00e9\u00e9x""#, limits: limits)?.reason == "string is longer than the limit")
        #expect(parseError(#"{"123456789":1}"#, limits: limits)?.reason == "string is longer than the limit")
        #expect(JSONLimits().maxStringBytes == 65536)
        let big = "\"" + String(repeating: "a", count: 65537) + "\""
        #expect(parseError(big)?.reason == "string is longer than the limit")
    }

    @Test func elementCount() throws {
        let limits = JSONLimits(maxElements: 5)
        #expect(parseError("[1,2,3,4,5]", limits: limits) == nil)
        #expect(parseError("[1,2,3,4,5,6]", limits: limits)?.reason == "document has more elements than the limit")
        #expect(parseError("[[1,2],[3]]", limits: limits) == nil)  // 2 + 3 values
        #expect(parseError("[[1,2],[3,4]]", limits: limits)?.reason == "document has more elements than the limit")
        #expect(parseError(#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}"#, limits: limits) != nil)
        #expect(JSONLimits().maxElements == 10_000)
        let many = "[" + Array(repeating: "0", count: 10_001).joined(separator: ",") + "]"
        #expect(parseError(many)?.reason == "document has more elements than the limit")
    }

    @Test func numberLength() throws {
        let limits = JSONLimits(maxNumberBytes: 5)
        #expect(parseError("-1234", limits: limits) == nil)
        #expect(parseError("-12345", limits: limits)?.reason == "number is longer than the limit")
        #expect(parseError(String(repeating: "9", count: 257))?.reason == "number is longer than the limit")
        #expect(parseError(String(repeating: "9", count: 256)) == nil)
    }
}
