/// A JSON value. Objects keep their members in order; numbers keep their exact source text.
///
/// Equality is structural on the representation: object members compare in order, and numbers
/// compare by text (`1.0` and `1` are different values), so `parse(write(v)) == v` always holds.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public var isNull: Bool { if case .null = self { true } else { false } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var numberValue: JSONNumber? { if case .number(let n) = self { n } else { nil } }
    /// The number as an exact `Int` (see `JSONNumber.int`).
    public var intValue: Int? { numberValue?.int }
    public var doubleValue: Double? { numberValue?.double }
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }

    /// The JSON type name used in error messages: "null", "boolean", "number", "string", "array", "object".
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// The literal must be finite.
    public init(floatLiteral value: Double) {
        guard let number = JSONNumber(value) else { preconditionFailure("JSON numbers must be finite") }
        self = .number(number)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Keys must be unique (a duplicate is a programmer error and traps).
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

// MARK: - JSONNumber

/// A JSON number, kept as its exact text (valid RFC 8259 number grammar), so large integers and
/// long decimals survive untouched. Equality and hashing compare the text.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The exact number text, e.g. `-12`, `0.50`, `1E+9`.
    public let text: String
    /// True when the text has no fraction and no exponent.
    public let isIntegerSyntax: Bool

    init(validatedText: String, isIntegerSyntax: Bool) {
        self.text = validatedText
        self.isIntegerSyntax = isIntegerSyntax
    }

    public init(_ value: some BinaryInteger) {
        self.init(validatedText: String(value), isIntegerSyntax: true)
    }

    /// `nil` for NaN and infinities. The text is Swift's shortest round-tripping form (`1.0`, `1e-07`).
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        self.init(validatedText: value.description, isIntegerSyntax: false)
    }

    /// `nil` unless `text` is exactly one RFC 8259 number (no surrounding whitespace).
    public init?(text: String) {
        var text = text
        let scanned = text.withUTF8 { buffer in try? scanNumber(buffer, at: 0, maxBytes: Int.max) }
        guard let scan = scanned, scan.end == text.utf8.count else { return nil }
        self.init(validatedText: text, isIntegerSyntax: scan.isInteger)
    }

    /// The value as an `Int` only when it is written as an integer (no fraction, no exponent) and
    /// fits; so `1.0` and `1e2` are not ints, and `9007199254740993` is exact.
    public var int: Int? {
        guard isIntegerSyntax else { return nil }
        return Int(text)
    }

    /// The nearest `Double`; `nil` when the magnitude overflows `Double` (underflow gives ±0).
    public var double: Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    public var description: String { text }

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}

// MARK: - JSONObject

/// A JSON object: key/value pairs with unique keys, in insertion (or source) order.
/// Lookup is a linear scan for small objects and hashed for larger ones.
public struct JSONObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    /// Objects with more members than this keep a hash index.
    static let indexThreshold = 12

    public private(set) var pairs: [Element]
    private var index: [String: Int]?

    public init() {
        pairs = []
        index = nil
    }

    /// Keys must be unique (a duplicate is a programmer error and traps).
    public init(_ pairs: KeyValuePairs<String, JSONValue>) {
        self.init()
        self.pairs.reserveCapacity(pairs.count)
        for (key, value) in pairs { appendUnique(key, value) }
    }

    /// Keys must be unique (a duplicate is a programmer error and traps).
    public init(_ pairs: [(String, JSONValue)]) {
        self.init()
        self.pairs.reserveCapacity(pairs.count)
        for (key, value) in pairs { appendUnique(key, value) }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// For the parser, which has already rejected duplicates.
    init(uncheckedPairs: [Element], index: [String: Int]?) {
        self.pairs = uncheckedPairs
        self.index = index
    }

    private mutating func appendUnique(_ key: String, _ value: JSONValue) {
        precondition(position(of: key) == nil, "duplicate key in JSONObject")
        append(key, value)
    }

    private mutating func append(_ key: String, _ value: JSONValue) {
        pairs.append((key, value))
        if index != nil {
            index![key] = pairs.count - 1
        } else if pairs.count > Self.indexThreshold {
            index = Self.buildIndex(pairs)
        }
    }

    static func buildIndex(_ pairs: [Element]) -> [String: Int] {
        var index = [String: Int](minimumCapacity: pairs.count * 2)
        for (i, pair) in pairs.enumerated() { index[pair.key] = i }
        return index
    }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        return pairs.firstIndex { $0.key == key }
    }

    /// Reading: the value for `key`, or `nil` when absent (a JSON `null` member is `.null`).
    /// Writing: replaces the value in place, appends a new key at the end, or (with `nil`) removes.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { pairs[$0].value } }
        set {
            if let i = position(of: key) {
                if let newValue {
                    pairs[i].value = newValue
                } else {
                    pairs.remove(at: i)
                    index = pairs.count > Self.indexThreshold ? Self.buildIndex(pairs) : nil
                }
            } else if let newValue {
                append(key, newValue)
            }
        }
    }

    public var keys: [String] { pairs.map(\.key) }
    public var values: [JSONValue] { pairs.map(\.value) }
    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }
    public var underestimatedCount: Int { pairs.count }

    public func makeIterator() -> IndexingIterator<[Element]> { pairs.makeIterator() }

    /// Same keys, values and order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.pairs.count == rhs.pairs.count else { return false }
        for (l, r) in zip(lhs.pairs, rhs.pairs) where l.key != r.key || l.value != r.value {
            return false
        }
        return true
    }
}
