/// Compact JSON output: no whitespace, object keys in the `JSONObject`'s order, numbers as their
/// `JSONNumber.text`. Strings escape `"`, `\`, all control characters (`\n`, `\r`, `\t`, `\b`, `\f`
/// in short form, others as `\u00XX`) and U+2028/U+2029; everything else is raw UTF-8.
public enum JSONWriter {
    public static func write(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        append(value, to: &out)
        return out
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: write(value), as: UTF8.self)
    }

    /// Appends `value` serialized to `out`.
    public static func append(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let b):
            out.append(contentsOf: b ? "true".utf8 : "false".utf8)
        case .number(let n):
            out.append(contentsOf: n.text.utf8)
        case .string(let s):
            appendString(s, to: &out)
        case .array(let elements):
            out.append(0x5B)
            var first = true
            for element in elements {
                if !first { out.append(0x2C) }
                first = false
                append(element, to: &out)
            }
            out.append(0x5D)
        case .object(let object):
            out.append(0x7B)
            var first = true
            for (key, value) in object {
                if !first { out.append(0x2C) }
                first = false
                appendString(key, to: &out)
                out.append(0x3A)
                append(value, to: &out)
            }
            out.append(0x7D)
        }
    }

    /// Appends `string` as a quoted, escaped JSON string literal, for hand-built responses:
    /// `out += #"{"token":"#.utf8; JSONWriter.appendString(token, to: &out); out.append(UInt8(ascii: "}"))`.
    public static func appendString(_ string: some StringProtocol, to out: inout [UInt8]) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { appendEscaped($0, to: &out) }
        if done == nil {
            Array(string.utf8).withUnsafeBufferPointer { appendEscaped($0, to: &out) }
        }
    }

    /// Appends `"key":` (escaped), for hand-built objects.
    public static func appendKey(_ key: some StringProtocol, to out: inout [UInt8]) {
        appendString(key, to: &out)
        out.append(0x3A)
    }

    /// Appends the quoted, escaped literal for raw UTF-8 bytes (which must be valid UTF-8).
    public static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        let n = utf8.count
        var runStart = 0
        var i = 0
        while i < n {
            let b = utf8[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C && b != 0xE2 {
                i += 1
                continue
            }
            if b == 0xE2 {
                // U+2028 (E2 80 A8) and U+2029 (E2 80 A9) end lines in JavaScript.
                guard i + 2 < n, utf8[i + 1] == 0x80, utf8[i + 2] & 0xFE == 0xA8 else {
                    i += 1
                    continue
                }
                flush(utf8, runStart, i, &out)
                out.append(contentsOf: utf8[i + 2] == 0xA8 ? #"\u2028"#.utf8 : #"\u2029"#.utf8)
                i += 3
                runStart = i
                continue
            }
            flush(utf8, runStart, i, &out)
            switch b {
            case 0x22: out.append(contentsOf: #"\""#.utf8)
            case 0x5C: out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            default:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hexDigit(b >> 4))
                out.append(hexDigit(b & 0x0F))
            }
            i += 1
            runStart = i
        }
        flush(utf8, runStart, n, &out)
        out.append(0x22)
    }

    @inline(__always)
    private static func flush(_ utf8: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ out: inout [UInt8]) {
        if start < end { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<end])) }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10
    }
}
