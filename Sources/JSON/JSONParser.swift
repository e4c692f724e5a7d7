/// Resource limits for `JSONParser`. Exceeding any of them is a `JSONParseError`.
public struct JSONLimits: Sendable, Equatable {
    /// Maximum nesting of arrays/objects; `[[1]]` has depth 2, a scalar document depth 0.
    public var maxDepth: Int
    /// Maximum length of one string or key, in bytes of its decoded UTF-8.
    public var maxStringBytes: Int
    /// Maximum number of array elements plus object members in the whole document.
    public var maxElements: Int
    /// Maximum length of one number's text.
    public var maxNumberBytes: Int

    public init(maxDepth: Int = 32, maxStringBytes: Int = 64 * 1024, maxElements: Int = 10_000, maxNumberBytes: Int = 256) {
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
        self.maxElements = maxElements
        self.maxNumberBytes = maxNumberBytes
    }
}

/// Why a document was rejected. `reason` is fixed human text that never contains any of the input
/// (request bodies carry card numbers); `offset` is the byte offset of the problem.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A strict RFC 8259 parser: no comments, trailing commas, NaN/Infinity, leading zeros or `+`;
/// strings must be valid UTF-8 without raw control characters, escapes must be valid and `\u`
/// surrogates paired; duplicate object keys and anything after the value are rejected. Keys are
/// compared after unescaping, as Swift `String`s (canonical equivalence: `"é"` and `"e\u0301"` clash).
/// A single pass over the bytes; strings without escapes are built straight from the input slice.
public enum JSONParser {
    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONLimits = .init()) throws(JSONParseError) -> JSONValue {
        if let result = bytes.withContiguousStorageIfAvailable({ parseResult($0, limits) }) {
            return try result.get()
        }
        return try Array(bytes).withUnsafeBufferPointer { parseResult($0, limits) }.get()
    }

    public static func parse(_ bytes: [UInt8], limits: JSONLimits = .init()) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { parseResult($0, limits) }.get()
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: JSONLimits = .init()) throws(JSONParseError) -> JSONValue {
        try bytes.withMemoryRebound(to: UInt8.self) { parseResult($0, limits) }.get()
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits = .init()) throws(JSONParseError) -> JSONValue {
        try parseResult(bytes, limits).get()
    }

    public static func parse(_ text: String, limits: JSONLimits = .init()) throws(JSONParseError) -> JSONValue {
        var text = text
        return try text.withUTF8 { parseResult($0, limits) }.get()
    }

    static func parseResult(_ bytes: UnsafeBufferPointer<UInt8>, _ limits: JSONLimits) -> Result<JSONValue, JSONParseError> {
        var parser = Parser(bytes: bytes, limits: limits)
        do throws(JSONParseError) {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }
}

// MARK: - Implementation

private enum Byte {
    static let quote: UInt8 = 0x22  // "
    static let backslash: UInt8 = 0x5C
    static let slash: UInt8 = 0x2F
    static let comma: UInt8 = 0x2C
    static let colon: UInt8 = 0x3A
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
    static let minus: UInt8 = 0x2D
    static let plus: UInt8 = 0x2B
    static let dot: UInt8 = 0x2E
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let lowerE: UInt8 = 0x65
    static let upperE: UInt8 = 0x45
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
}

@inline(__always) private func isDigit(_ b: UInt8) -> Bool { b &- Byte.zero < 10 }

/// Scans one number starting at `start`; returns the index just past it. Shared with `JSONNumber(text:)`.
func scanNumber(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, maxBytes: Int) throws(JSONParseError) -> (end: Int, isInteger: Bool) {
    let n = bytes.count
    var i = start
    if i < n && bytes[i] == Byte.minus { i += 1 }
    guard i < n else { throw JSONParseError(offset: i, reason: "number is missing its digits") }
    if bytes[i] == Byte.zero {
        i += 1
        if i < n && isDigit(bytes[i]) { throw JSONParseError(offset: i - 1, reason: "leading zeros are not allowed in numbers") }
    } else if isDigit(bytes[i]) {
        i += 1
        while i < n && isDigit(bytes[i]) { i += 1 }
    } else {
        throw JSONParseError(offset: i, reason: "number is missing its digits")
    }
    var isInteger = true
    if i < n && bytes[i] == Byte.dot {
        isInteger = false
        i += 1
        guard i < n && isDigit(bytes[i]) else { throw JSONParseError(offset: i, reason: "expected a digit after the decimal point") }
        while i < n && isDigit(bytes[i]) { i += 1 }
    }
    if i < n && (bytes[i] == Byte.lowerE || bytes[i] == Byte.upperE) {
        isInteger = false
        i += 1
        if i < n && (bytes[i] == Byte.plus || bytes[i] == Byte.minus) { i += 1 }
        guard i < n && isDigit(bytes[i]) else { throw JSONParseError(offset: i, reason: "expected a digit in the exponent") }
        while i < n && isDigit(bytes[i]) { i += 1 }
    }
    if i - start > maxBytes { throw JSONParseError(offset: start, reason: "number is longer than the limit") }
    return (i, isInteger)
}

/// Validates one multi-byte UTF-8 sequence whose lead byte is at `i` (>= 0x80); returns the index
/// after it. Rejects overlong forms, surrogates, code points above U+10FFFF and bad continuations.
@inline(__always)
private func validateUTF8Sequence(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) throws(JSONParseError) -> Int {
    let n = bytes.count
    let lead = bytes[i]
    let length: Int
    var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
    switch lead {
    case 0xC2...0xDF: length = 2
    case 0xE0: length = 3; low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED: length = 3; high = 0x9F
    case 0xF0: length = 4; low = 0x90
    case 0xF1...0xF3: length = 4
    case 0xF4: length = 4; high = 0x8F
    default: throw JSONParseError(offset: i, reason: "invalid UTF-8 in string")
    }
    guard i + length <= n else { throw JSONParseError(offset: i, reason: "invalid UTF-8 in string") }
    let second = bytes[i + 1]
    guard second >= low && second <= high else { throw JSONParseError(offset: i, reason: "invalid UTF-8 in string") }
    var j = i + 2
    while j < i + length {
        guard bytes[j] & 0xC0 == 0x80 else { throw JSONParseError(offset: i, reason: "invalid UTF-8 in string") }
        j += 1
    }
    return i + length
}

private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONLimits
    var pos = 0
    var elements = 0
    /// Reused for strings with escapes.
    var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    @inline(__always)
    func fail(_ reason: String, at offset: Int) -> JSONParseError {
        JSONParseError(offset: offset, reason: reason)
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard pos == bytes.count else { throw fail("unexpected content after the JSON value", at: pos) }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        let n = bytes.count
        while pos < n {
            switch bytes[pos] {
            case Byte.space, Byte.lineFeed, Byte.carriageReturn, Byte.tab: pos += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard pos < bytes.count else { throw fail("unexpected end of input, expected a value", at: pos) }
        switch bytes[pos] {
        case Byte.quote: return .string(try parseString())
        case Byte.openBrace: return .object(try parseObject(depth: depth + 1))
        case Byte.openBracket: return .array(try parseArray(depth: depth + 1))
        case Byte.minus, Byte.zero...Byte.nine: return .number(try parseNumber())
        case 0x74:  // t
            try expectLiteral("true")
            return .bool(true)
        case 0x66:  // f
            try expectLiteral("false")
            return .bool(false)
        case 0x6E:  // n
            try expectLiteral("null")
            return .null
        default:
            throw fail("unexpected character, expected a value", at: pos)
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        guard bytes.count - pos >= count else { throw fail("invalid literal, expected true, false or null", at: pos) }
        for k in 0..<count where bytes[pos + k] != start[k] {
            throw fail("invalid literal, expected true, false or null", at: pos)
        }
        pos += count
    }

    @inline(__always)
    mutating func countElement() throws(JSONParseError) {
        elements += 1
        if elements > limits.maxElements { throw fail("document has more elements than the limit", at: pos) }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        if depth > limits.maxDepth { throw fail("nesting is deeper than the limit", at: pos) }
        pos += 1  // [
        skipWhitespace()
        if pos < bytes.count && bytes[pos] == Byte.closeBracket {
            pos += 1
            return []
        }
        var array: [JSONValue] = []
        array.reserveCapacity(4)
        while true {
            try countElement()
            array.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unexpected end of input in array", at: pos) }
            switch bytes[pos] {
            case Byte.comma:
                pos += 1
                skipWhitespace()
                if pos < bytes.count && bytes[pos] == Byte.closeBracket { throw fail("trailing comma in array", at: pos) }
            case Byte.closeBracket:
                pos += 1
                return array
            default:
                throw fail("expected ',' or ']' in array", at: pos)
            }
        }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
        if depth > limits.maxDepth { throw fail("nesting is deeper than the limit", at: pos) }
        pos += 1  // {
        skipWhitespace()
        if pos < bytes.count && bytes[pos] == Byte.closeBrace {
            pos += 1
            return JSONObject()
        }
        var pairs: [JSONObject.Element] = []
        pairs.reserveCapacity(8)
        var index: [String: Int]? = nil
        while true {
            guard pos < bytes.count else { throw fail("unexpected end of input in object", at: pos) }
            guard bytes[pos] == Byte.quote else { throw fail("expected a string key in object", at: pos) }
            try countElement()
            let keyOffset = pos
            let key = try parseString()
            if index != nil {
                if index!.updateValue(pairs.count, forKey: key) != nil { throw fail("duplicate key in object", at: keyOffset) }
            } else {
                for pair in pairs where pair.key == key { throw fail("duplicate key in object", at: keyOffset) }
                if pairs.count >= JSONObject.indexThreshold {
                    var built = JSONObject.buildIndex(pairs)
                    built[key] = pairs.count
                    index = built
                }
            }
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unexpected end of input in object", at: pos) }
            guard bytes[pos] == Byte.colon else { throw fail("expected ':' after object key", at: pos) }
            pos += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            pairs.append((key, value))
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unexpected end of input in object", at: pos) }
            switch bytes[pos] {
            case Byte.comma:
                pos += 1
                skipWhitespace()
                if pos < bytes.count && bytes[pos] == Byte.closeBrace { throw fail("trailing comma in object", at: pos) }
            case Byte.closeBrace:
                pos += 1
                return JSONObject(uncheckedPairs: pairs, index: index)
            default:
                throw fail("expected ',' or '}' in object", at: pos)
            }
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = pos
        let (end, isInteger) = try scanNumber(bytes, at: start, maxBytes: limits.maxNumberBytes)
        pos = end
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        return JSONNumber(validatedText: text, isIntegerSyntax: isInteger)
    }

    /// `pos` is at the opening quote.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = pos + 1
        let n = bytes.count
        var i = start
        while i < n {
            let b = bytes[i]
            if b == Byte.quote {
                guard i - start <= limits.maxStringBytes else { throw fail("string is longer than the limit", at: pos) }
                pos = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            } else if b == Byte.backslash {
                return try parseEscapedString(contentStart: start, firstEscape: i)
            } else if b < 0x20 {
                throw fail("unescaped control character in string", at: i)
            } else if b < 0x80 {
                i += 1
            } else {
                i = try validateUTF8Sequence(bytes, at: i)
            }
        }
        throw fail("unterminated string", at: pos)
    }

    /// Slow path: decodes into `scratch` from the first backslash on.
    mutating func parseEscapedString(contentStart: Int, firstEscape: Int) throws(JSONParseError) -> String {
        let n = bytes.count
        let max = limits.maxStringBytes
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<firstEscape]))
        var i = firstEscape
        while i < n {
            if scratch.count > max { throw fail("string is longer than the limit", at: pos) }
            let b = bytes[i]
            if b == Byte.quote {
                pos = i + 1
                return String(decoding: scratch, as: UTF8.self)
            } else if b == Byte.backslash {
                guard i + 1 < n else { break }
                switch bytes[i + 1] {
                case Byte.quote: scratch.append(Byte.quote)
                case Byte.backslash: scratch.append(Byte.backslash)
                case Byte.slash: scratch.append(Byte.slash)
                case 0x62: scratch.append(0x08)  // b
                case 0x66: scratch.append(0x0C)  // f
                case 0x6E: scratch.append(Byte.lineFeed)  // n
                case 0x72: scratch.append(Byte.carriageReturn)  // r
                case 0x74: scratch.append(Byte.tab)  // t
                case 0x75:  // u
                    i = try decodeUnicodeEscape(at: i)
                    continue
                default:
                    throw fail("invalid escape sequence in string", at: i)
                }
                i += 2
            } else if b < 0x20 {
                throw fail("unescaped control character in string", at: i)
            } else if b < 0x80 {
                scratch.append(b)
                i += 1
            } else {
                let end = try validateUTF8Sequence(bytes, at: i)
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<end]))
                i = end
            }
        }
        throw fail("unterminated string", at: pos)
    }

    /// `i` is at the backslash of `\uXXXX`; appends the scalar's UTF-8 and returns the index after it.
    mutating func decodeUnicodeEscape(at i: Int) throws(JSONParseError) -> Int {
        let unit = try hex4(at: i + 2, escapeAt: i)
        var scalar: UInt32
        var end = i + 6
        switch unit {
        case 0xD800...0xDBFF:
            guard end + 1 < bytes.count, bytes[end] == Byte.backslash, bytes[end + 1] == 0x75 else {
                throw fail("unpaired surrogate in \\u escape", at: i)
            }
            let low = try hex4(at: end + 2, escapeAt: end)
            guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate in \\u escape", at: i) }
            scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            end += 6
        case 0xDC00...0xDFFF:
            throw fail("unpaired surrogate in \\u escape", at: i)
        default:
            scalar = unit
        }
        appendUTF8(scalar)
        return end
    }

    func hex4(at start: Int, escapeAt: Int) throws(JSONParseError) -> UInt32 {
        guard start + 4 <= bytes.count else { throw fail("invalid \\u escape in string", at: escapeAt) }
        var value: UInt32 = 0
        for k in start..<start + 4 {
            let b = bytes[k]
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x41...0x46: digit = b - 0x41 + 10
            case 0x61...0x66: digit = b - 0x61 + 10
            default: throw fail("invalid \\u escape in string", at: escapeAt)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
