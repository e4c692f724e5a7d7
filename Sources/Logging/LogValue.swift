/// A metadata value: written as the matching JSON value (`null` included).
///
/// Literals build values directly: `["route": "/vault/v1/cards/{token}", "status": 200,
/// "ms": 1.25, "cached": false, "tags": ["a", "b"], "peer": ["ip": "10.0.0.1"]]`.
///
/// A number whose digits would be redacted (see ``Redactor``) is written as the JSON string
/// `"[REDACTED]"` rather than a bare number, so the line stays valid JSON. A non-finite
/// `double` is written as the string `"NaN"`, `"Infinity"` or `"-Infinity"` (JSON has no
/// such numbers).
public enum LogValue: Sendable, Hashable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([LogValue])
    case dictionary([String: LogValue])
    /// JSON `null`: a key that is present without a value.
    case null
}

extension LogValue: ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension LogValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .int(value) }
}

extension LogValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension LogValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension LogValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: LogValue...) { self = .array(elements) }
}

extension LogValue: ExpressibleByDictionaryLiteral {
    /// A repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, LogValue)...) {
        self = .dictionary(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension LogValue: CustomStringConvertible {
    /// The value as it appears in a log line: JSON, redacted.
    public var description: String {
        var writer = JSONLineWriter()
        writer.writeValue(self)
        Redactor.redact(bytes: &writer.bytes)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
