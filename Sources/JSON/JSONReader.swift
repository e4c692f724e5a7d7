/// A request-validation error naming the offending field by its dotted path (`card.expirationDate`,
/// `items[2].sku`; empty for the top-level value). Messages never contain field values; an unknown
/// key is named only when it looks like an identifier, otherwise it is shown as `<unrecognized key>`.
public enum JSONFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(String)
    /// `expected` is a JSON type name: "string", "integer", "number", "boolean", "object", "array".
    case wrongType(String, expected: String)
    case unknownField(String)
    /// `reason` completes the sentence "<path> ...", e.g. "must be 4 digits".
    case invalid(String, reason: String)

    public var path: String {
        switch self {
        case .missing(let path), .wrongType(let path, _), .unknownField(let path), .invalid(let path, _): path
        }
    }

    /// One sentence for a 400 body, e.g. "card.expirationDate must be a string".
    public var message: String {
        let subject = path.isEmpty ? "the request body" : path
        return switch self {
        case .missing: "\(subject) is required"
        case .wrongType(_, let expected): "\(subject) must be \(article(expected)) \(expected)"
        case .unknownField: "\(subject) is not an allowed field"
        case .invalid(_, let reason): "\(subject) \(reason)"
        }
    }

    public var description: String { message }
}

private func article(_ word: String) -> String {
    switch word.utf8.first {
    case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): "an"
    default: "a"
    }
}

/// Typed, path-aware access to a JSON object for request validation:
///
///     let body = try JSONReader.object(try JSONParser.parse(bytes))
///     try body.rejectUnknownKeys(allowed: ["card", "reference"])
///     let card = try body.object("card")
///     let number = try card.string("number")          // .missing("card.number") / .wrongType(...)
///     let reference = try body.optionalString("reference")
///
/// `optional…` accessors return `nil` for an absent key; a present value of the wrong type — `null`
/// included — is an error, as it is for a JSON Schema that does not list `null` among a field's
/// types. Where a contract gives `null` a meaning, test for it with `isNull` before reading; where
/// it means "absent" for a whole object (a merge), read through `droppingNullMembers()`.
public struct JSONReader: Sendable {
    public let object: JSONObject
    /// Path of this object; "" for the top level.
    public let path: String

    public init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// `value` must be an object.
    public static func object(_ value: JSONValue, path: String = "") throws(JSONFieldError) -> JSONReader {
        guard case .object(let object) = value else { throw .wrongType(path, expected: "object") }
        return JSONReader(object, path: path)
    }

    /// The path of a member of this object, e.g. `card.number`.
    public func path(_ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    /// An `.invalid` error for `key`, for checks beyond type (formats, ranges).
    public func invalid(_ key: String, reason: String) -> JSONFieldError {
        .invalid(path(key), reason: reason)
    }

    /// True when `key` is present, even with a `null` value.
    public func has(_ key: String) -> Bool {
        object[key] != nil
    }

    /// The raw value, `nil` when absent.
    public func value(_ key: String) -> JSONValue? {
        object[key]
    }

    /// True when `key` is present with the value `null`.
    public func isNull(_ key: String) -> Bool {
        object[key]?.isNull == true
    }

    /// This object without its `null` members, for bodies whose contract reads `null` as "absent".
    public func droppingNullMembers() -> JSONReader {
        JSONReader(JSONObject(object.pairs.filter { !$0.value.isNull }.map { ($0.key, $0.value) }), path: path)
    }

    // MARK: Required

    public func string(_ key: String) throws(JSONFieldError) -> String {
        try required(key, "string") { $0.stringValue }
    }

    /// An integer written without fraction or exponent that fits in `Int`.
    public func int(_ key: String) throws(JSONFieldError) -> Int {
        try convertInt(key, try required(key, "integer") { $0.numberValue })
    }

    public func double(_ key: String) throws(JSONFieldError) -> Double {
        try convertDouble(key, try required(key, "number") { $0.numberValue })
    }

    public func bool(_ key: String) throws(JSONFieldError) -> Bool {
        try required(key, "boolean") { $0.boolValue }
    }

    public func object(_ key: String) throws(JSONFieldError) -> JSONReader {
        JSONReader(try required(key, "object") { $0.objectValue }, path: path(key))
    }

    public func array(_ key: String) throws(JSONFieldError) -> [JSONValue] {
        try required(key, "array") { $0.arrayValue }
    }

    /// An array whose every element is an object; element paths are `key[i]`.
    public func objectArray(_ key: String) throws(JSONFieldError) -> [JSONReader] {
        try objects(in: try array(key), key)
    }

    // MARK: Optional (absent → nil; null is a wrong type)

    public func optionalString(_ key: String) throws(JSONFieldError) -> String? {
        try optional(key, "string") { $0.stringValue }
    }

    public func optionalInt(_ key: String) throws(JSONFieldError) -> Int? {
        guard let number = try optional(key, "integer", { $0.numberValue }) else { return nil }
        return try convertInt(key, number)
    }

    public func optionalDouble(_ key: String) throws(JSONFieldError) -> Double? {
        guard let number = try optional(key, "number", { $0.numberValue }) else { return nil }
        return try convertDouble(key, number)
    }

    public func optionalBool(_ key: String) throws(JSONFieldError) -> Bool? {
        try optional(key, "boolean") { $0.boolValue }
    }

    public func optionalObject(_ key: String) throws(JSONFieldError) -> JSONReader? {
        try optional(key, "object") { $0.objectValue }.map { JSONReader($0, path: path(key)) }
    }

    public func optionalArray(_ key: String) throws(JSONFieldError) -> [JSONValue]? {
        try optional(key, "array") { $0.arrayValue }
    }

    public func optionalObjectArray(_ key: String) throws(JSONFieldError) -> [JSONReader]? {
        guard let elements = try optionalArray(key) else { return nil }
        return try objects(in: elements, key)
    }

    // MARK: Unknown keys

    /// Throws `.unknownField` for the first key (in document order) not in `allowed`.
    public func rejectUnknownKeys(allowed: Set<String>) throws(JSONFieldError) {
        for (key, _) in object where !allowed.contains(key) {
            throw .unknownField(path(displayableKey(key)))
        }
    }

    // MARK: Helpers

    private func required<T>(_ key: String, _ expected: String, _ extract: (JSONValue) -> T?) throws(JSONFieldError) -> T {
        guard let value = object[key] else { throw .missing(path(key)) }
        guard let result = extract(value) else { throw .wrongType(path(key), expected: expected) }
        return result
    }

    private func optional<T>(_ key: String, _ expected: String, _ extract: (JSONValue) -> T?) throws(JSONFieldError) -> T? {
        guard let value = object[key] else { return nil }
        guard let result = extract(value) else { throw .wrongType(path(key), expected: expected) }
        return result
    }

    private func convertInt(_ key: String, _ number: JSONNumber) throws(JSONFieldError) -> Int {
        guard number.isIntegerSyntax else { throw .wrongType(path(key), expected: "integer") }
        guard let value = number.int else { throw .invalid(path(key), reason: "is out of range") }
        return value
    }

    private func convertDouble(_ key: String, _ number: JSONNumber) throws(JSONFieldError) -> Double {
        guard let value = number.double else { throw .invalid(path(key), reason: "is out of range") }
        return value
    }

    private func objects(in elements: [JSONValue], _ key: String) throws(JSONFieldError) -> [JSONReader] {
        var readers: [JSONReader] = []
        readers.reserveCapacity(elements.count)
        for (i, element) in elements.enumerated() {
            let elementPath = "\(path(key))[\(i)]"
            guard case .object(let object) = element else { throw .wrongType(elementPath, expected: "object") }
            readers.append(JSONReader(object, path: elementPath))
        }
        return readers
    }
}

/// Client-chosen keys are echoed only when they look like field names: 1–64 ASCII letters, digits,
/// `_` or `-`, with at most 4 digits (so a card number used as a key is never echoed).
func displayableKey(_ key: String) -> String {
    var digits = 0
    var length = 0
    for b in key.utf8 {
        length += 1
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"), UInt8(ascii: "-"): break
        default: return "<unrecognized key>"
        }
    }
    guard length >= 1 && length <= 64 && digits <= 4 else { return "<unrecognized key>" }
    return key
}
