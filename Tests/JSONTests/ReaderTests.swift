import Testing
import TestSupport
@testable import JSON

func reader(_ text: String) throws -> JSONReader {
    try JSONReader.object(JSONParser.parse(text))
}

/// The `JSONFieldError` thrown by `body`, `nil` when it succeeds.
func fieldError(_ body: () throws -> Void) -> JSONFieldError? {
    do {
        try body()
        return nil
    } catch {
        return error as? JSONFieldError
    }
}

@Suite(.ownThreads) struct Reader {
    let body = #"""
        {"owner":{"name":{"first":"Ada","last":null,"middle":7},"age":36,"vip":true},
         "card":{"expirationDate":1225,"amount":1.5,"big":99999999999999999999,"exp":1e2},
         "tags":["a",1],"items":[{"sku":"x"},{"sku":2},3],"nothing":null}
        """#

    @Test func typedAccess() throws {
        let r = try reader(body)
        let owner = try r.object("owner")
        #expect(owner.path == "owner")
        let name = try owner.object("name")
        #expect(name.path == "owner.name")
        #expect(try name.string("first") == "Ada")
        #expect(fieldError { _ = try name.optionalString("last") } == .wrongType("owner.name.last", expected: "string"))
        #expect(try name.optionalString("absent") == nil)
        #expect(try owner.int("age") == 36)
        #expect(try owner.bool("vip") == true)
        #expect(try owner.optionalBool("vip") == true)
        #expect(try owner.optionalInt("age") == 36)
        #expect(try r.object("card").double("amount") == 1.5)
        #expect(try r.object("card").double("expirationDate") == 1225)
        #expect(try r.array("tags") == ["a", 1])
        #expect(fieldError { _ = try r.optionalArray("nothing") } == .wrongType("nothing", expected: "array"))
        #expect(fieldError { _ = try r.optionalObject("nothing") } == .wrongType("nothing", expected: "object"))
        #expect(try r.optionalObject("owner")?.path == "owner")
        #expect(r.has("nothing"))
        #expect(!r.has("absent"))
        #expect(r.value("nothing") == .null)
    }

    @Test func errorsNameNestedPaths() throws {
        let r = try reader(body)
        let name = try r.object("owner").object("name")
        #expect(fieldError { _ = try name.string("nickname") } == .missing("owner.name.nickname"))
        #expect(fieldError { _ = try name.string("middle") } == .wrongType("owner.name.middle", expected: "string"))
        #expect(fieldError { _ = try name.string("last") } == .wrongType("owner.name.last", expected: "string"))
        #expect(fieldError { _ = try name.optionalInt("first") } == .wrongType("owner.name.first", expected: "integer"))
        #expect(fieldError { _ = try name.object("first") } == .wrongType("owner.name.first", expected: "object"))
        #expect(fieldError { _ = try r.object("card").string("expirationDate") }?.message == "card.expirationDate must be a string")
        #expect(fieldError { _ = try r.int("owner") }?.message == "owner must be an integer")
        #expect(fieldError { _ = try r.bool("tags") }?.message == "tags must be a boolean")
        #expect(fieldError { _ = try r.array("owner") }?.message == "owner must be an array")
        #expect(fieldError { _ = try r.object("nothing") }?.message == "nothing must be an object")
        #expect(fieldError { _ = try r.string("absent") }?.message == "absent is required")
        #expect(fieldError { _ = try r.object("owner").object("name").string("x") }?.path == "owner.name.x")
    }

    @Test func integerRules() throws {
        let card = try reader(body).object("card")
        #expect(fieldError { _ = try card.int("amount") } == .wrongType("card.amount", expected: "integer"))
        #expect(fieldError { _ = try card.int("exp") } == .wrongType("card.exp", expected: "integer"))
        #expect(fieldError { _ = try card.int("big") } == .invalid("card.big", reason: "is out of range"))
        #expect(fieldError { _ = try card.int("big") }?.message == "card.big is out of range")
        #expect(try card.int("expirationDate") == 1225)
        let r = try reader(#"{"huge":1e400}"#)
        #expect(fieldError { _ = try r.double("huge") } == .invalid("huge", reason: "is out of range"))
    }

    @Test func objectArrays() throws {
        let r = try reader(body)
        #expect(fieldError { _ = try r.objectArray("items") } == .wrongType("items[2]", expected: "object"))
        let items = try reader(#"{"items":[{"sku":"x"},{"sku":2}]}"#).objectArray("items")
        #expect(items.map(\.path) == ["items[0]", "items[1]"])
        #expect(try items[0].string("sku") == "x")
        #expect(fieldError { _ = try items[1].string("sku") }?.message == "items[1].sku must be a string")
        #expect(try reader("{}").optionalObjectArray("items") == nil)
    }

    @Test func topLevelMustBeAnObject() throws {
        #expect(fieldError { _ = try JSONReader.object([1]) } == .wrongType("", expected: "object"))
        #expect(fieldError { _ = try JSONReader.object([1]) }?.message == "the request body must be an object")
        #expect(fieldError { _ = try JSONReader.object("s", path: "card") }?.message == "card must be an object")
        let nested = try JSONReader.object(["a": 1], path: "outer")
        #expect(nested.path("a") == "outer.a")
    }

    @Test func unknownKeys() throws {
        let r = try reader(#"{"number":"x","cvv":"1","extra":true,"more":1}"#)
        try r.rejectUnknownKeys(allowed: ["number", "cvv", "extra", "more", "unused"])
        #expect(fieldError { try r.rejectUnknownKeys(allowed: ["number", "cvv"]) } == .unknownField("extra"))
        #expect(fieldError { try r.rejectUnknownKeys(allowed: ["number", "cvv"]) }?.message == "extra is not an allowed field")
        let nested = try reader(#"{"card":{"number":"x","expirationDate":"12/25","exp":1}}"#).object("card")
        #expect(fieldError { try nested.rejectUnknownKeys(allowed: ["number", "expirationDate"]) } == .unknownField("card.exp"))
        try reader("{}").rejectUnknownKeys(allowed: [])
    }

    @Test func customValidation() throws {
        let card = try reader(#"{"card":{"expirationDate":"13/25"}}"#).object("card")
        let error = card.invalid("expirationDate", reason: "must be a valid MM/YY date")
        #expect(error.message == "card.expirationDate must be a valid MM/YY date")
        #expect(error.path == "card.expirationDate")
        #expect(error.description == error.message)
    }
}

@Suite(.ownThreads) struct NoInputInErrors {
    static let pan = "4111111111111111"

    /// Invalid documents that carry a card number in every position a parser might quote.
    static let documents: [String] = [
        #"{"number":"4111111111111111",}"#, #"{"number":4111111111111111x}"#, #"{"number":04111111111111111}"#,
        #"{"number":"4111111111111111\q"}"#, #"{"number":"4111111111111111\u00"}"#, "{\"number\":\"4111111111111111\u{1}\"}",
        #"{"4111111111111111":1,"4111111111111111":2}"#, #"["4111111111111111"#, #"[4111111111111111"#,
        #"4111111111111111 4111111111111111"#, #"{"number" "4111111111111111"}"#, #"{4111111111111111:1}"#,
        #"[4111111111111111.]"#, #"[4111111111111111e]"#, #"{"n":"4111111111111111"}x4111111111111111"#,
        #"{"n":"\uD800 4111111111111111"}"#, #"4111111111111111nul"#, #"nul4111111111111111"#,
        #"["4111111111111111",,]"#, #"{"n":"4111111111111111"]"#, #"'4111111111111111'"#,
    ]

    @Test(arguments: documents)
    func parseErrorsNeverEchoInput(_ document: String) throws {
        let error = try #require(parseError(document))
        #expect(!error.reason.contains(Self.pan))
        #expect(!error.description.contains(Self.pan))
        #expect(!error.reason.utf8.contains { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })  // no digits at all
    }

    @Test func limitErrorsNeverEchoInput() throws {
        let tight = JSONLimits(maxDepth: 1, maxStringBytes: 8, maxElements: 1, maxNumberBytes: 8)
        for document in [#"["4111111111111111"]"#, #"4111111111111111"#, #"[[4111111111111111]]"#, #"[4111111111111111,1]"#, #""\n4111111111111111""#] {
            let error = try #require(parseError(document, limits: tight))
            #expect(!error.description.contains(Self.pan))
        }
        var bytes = Array(#"{"number":"4111111111111111"#.utf8)
        bytes.append(0xFF)
        bytes += Array(#""}"#.utf8)
        #expect(try #require(parseError(bytes)).description.contains(Self.pan) == false)
    }

    @Test func fieldErrorsNeverEchoValues() throws {
        let r = try reader(#"{"card":{"number":4111111111111111,"cvv":["4111111111111111"]}}"#)
        let card = try r.object("card")
        let errors = [
            fieldError { _ = try card.string("number") },
            fieldError { _ = try card.string("cvv") },
            fieldError { _ = try card.int("cvv") },
            fieldError { _ = try card.bool("number") },
            fieldError { _ = try card.objectArray("cvv") },
            fieldError { try card.rejectUnknownKeys(allowed: ["cvv"]) },
        ]
        for error in errors {
            let error = try #require(error)
            #expect(!error.message.contains(Self.pan))
            #expect(!error.path.contains(Self.pan))
        }
    }

    @Test(arguments: [
        "4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "pan4111111111111111", "card_12345",
        "é", "a.b", "with space", "", String(repeating: "a", count: 65),
    ])
    func unknownKeysThatLookLikeDataAreNotEchoed(_ key: String) throws {
        var out = Array("{".utf8)
        JSONWriter.appendKey(key, to: &out)
        out += Array("1}".utf8)
        let r = try JSONReader.object(JSONParser.parse(out), path: "card")
        let error = try #require(fieldError { try r.rejectUnknownKeys(allowed: ["number"]) })
        #expect(error == .unknownField("card.<unrecognized key>"))
        #expect(error.message == "card.<unrecognized key> is not an allowed field")
    }

    @Test func identifierLikeUnknownKeysAreNamed() throws {
        for key in ["exp", "expiration_date", "x-request-id", "address2", "line1234", String(repeating: "a", count: 64)] {
            let r = try JSONReader.object(.object(JSONObject([(key, .null)])))
            #expect(fieldError { try r.rejectUnknownKeys(allowed: []) } == .unknownField(key))
        }
    }
}
