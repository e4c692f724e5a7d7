import Testing
import TestSupport
@testable import JSON

/// `null` is a value of its own type: an optional field may be absent, but `null` there is as wrong
/// as a number where a string belongs, unless the caller reads it as documented (`isNull`,
/// `droppingNullMembers`).
@Suite(.ownThreads) struct ReaderNulls {
    static let body = #"{"label":null,"flag":null,"count":null,"amount":null,"list":null,"inner":null,"kept":"x"}"#

    @Test func nullIsAWrongTypeForEveryOptionalAccessor() throws {
        let r = try reader(Self.body)
        #expect(fieldError { _ = try r.optionalString("label") } == .wrongType("label", expected: "string"))
        #expect(fieldError { _ = try r.optionalBool("flag") } == .wrongType("flag", expected: "boolean"))
        #expect(fieldError { _ = try r.optionalInt("count") } == .wrongType("count", expected: "integer"))
        #expect(fieldError { _ = try r.optionalDouble("amount") } == .wrongType("amount", expected: "number"))
        #expect(fieldError { _ = try r.optionalObjectArray("list") } == .wrongType("list", expected: "array"))
        #expect(fieldError { _ = try r.optionalObject("inner") }?.message == "inner must be an object")
        #expect(try r.optionalString("absent") == nil && r.optionalBool("absent") == nil && r.optionalInt("absent") == nil)
    }

    @Test func documentedNullsAreReadExplicitly() throws {
        let r = try reader(Self.body)
        #expect(r.isNull("label") && !r.isNull("kept") && !r.isNull("absent"))
        let merged = r.droppingNullMembers()
        #expect(merged.object.map(\.key) == ["kept"])
        #expect(try merged.optionalString("label") == nil && merged.optionalString("kept") == "x")
        #expect(try reader(#"{"inner":{"a":null}}"#).object("inner").droppingNullMembers().path == "inner")
    }
}
