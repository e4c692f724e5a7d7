/// The header fields whose meaning the parser itself needs.
enum KnownField: Sendable {
    case host
    case contentLength
    case transferEncoding
    case connection
    case expect
}

/// Byte offsets of one validated `name: value` line.
package struct FieldLine {
    var nameStart: Int
    var nameEnd: Int
    var valueStart: Int
    var valueEnd: Int
    var valueIsASCII: Bool
}

/// Validates field lines (`field-name ":" OWS field-value OWS`, RFC 9112 §5) and recognizes
/// the fields that decide framing, without building any String for the checks.
package enum FieldLineParser {
    /// Validates a complete, non-empty line of `length` bytes at `start`.
    package static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int
    ) throws(HTTPParseError) -> FieldLine {
        let end = start + length
        let classes = ByteClass.table
        if ASCII.isWhitespace(bytes[start]) { throw .obsoleteLineFolding }
        var index = start
        while index < end, classes[Int(bytes[index])] & ByteClass.token != 0 { index += 1 }
        // No name, no colon, whitespace before the colon, or a non-token byte in the name.
        guard index > start, index < end, bytes[index] == ASCII.colon else {
            throw .invalidHeaderName
        }
        let nameEnd = index
        var valueStart = index + 1
        while valueStart < end, ASCII.isWhitespace(bytes[valueStart]) { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart, ASCII.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        var high: UInt8 = 0
        for position in valueStart..<valueEnd {
            let byte = bytes[position]
            // NUL, other controls except HTAB, and DEL. CR and LF never get here: the line
            // scanner has already refused them as bare line endings.
            guard classes[Int(byte)] & ByteClass.fieldValue != 0 else { throw .invalidHeaderValue }
            high |= byte
        }
        return FieldLine(
            nameStart: start, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd,
            valueIsASCII: high < 0x80)
    }

    package static func name(_ bytes: UnsafeBufferPointer<UInt8>, _ line: FieldLine) -> String {
        RequestLineParser.string(bytes, line.nameStart, line.nameEnd)
    }

    /// The value as a String. Non-ASCII (obs-text) values must be valid UTF-8: a lossy decode
    /// would let two different byte strings look equal to the application.
    package static func value(
        _ bytes: UnsafeBufferPointer<UInt8>, _ line: FieldLine
    ) throws(HTTPParseError) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[line.valueStart..<line.valueEnd])
        if line.valueIsASCII {
            return String(decoding: slice, as: UTF8.self)
        }
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw .invalidHeaderValue
        }
        return text
    }

    static func known(_ bytes: UnsafeBufferPointer<UInt8>, _ line: FieldLine) -> KnownField? {
        let length = line.nameEnd - line.nameStart
        switch length {
        case 4: return matches(bytes, line.nameStart, host) ? .host : nil
        case 6: return matches(bytes, line.nameStart, expect) ? .expect : nil
        case 10: return matches(bytes, line.nameStart, connection) ? .connection : nil
        case 14: return matches(bytes, line.nameStart, contentLength) ? .contentLength : nil
        case 17: return matches(bytes, line.nameStart, transferEncoding) ? .transferEncoding : nil
        default: return nil
        }
    }

    // StaticStrings are compile-time constants: no lazy global, no allocation.
    private static let host: StaticString = "host"
    private static let expect: StaticString = "expect"
    private static let connection: StaticString = "connection"
    private static let contentLength: StaticString = "content-length"
    private static let transferEncoding: StaticString = "transfer-encoding"

    private static func matches(
        _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ lowercase: StaticString
    ) -> Bool {
        let literal = lowercase.utf8Start
        for offset in 0..<lowercase.utf8CodeUnitCount where ASCII.lowercased(bytes[start + offset]) != literal[offset] {
            return false
        }
        return true
    }

    /// ASCII case-insensitive equality of a value with a lowercase literal.
    package static func equalsIgnoringCase(_ value: Substring.UTF8View, _ lowercase: String) -> Bool {
        value.elementsEqual(lowercase.utf8) { ASCII.lowercased($0) == $1 }
    }

    /// The comma-separated elements of a list value (RFC 9110 §5.6.1), trimmed of OWS, with
    /// empty elements dropped.
    static func listElements(_ value: String) -> [Substring] {
        value.split(separator: ",", omittingEmptySubsequences: false).compactMap { element in
            let trimmed = element.drop(while: { $0 == " " || $0 == "\t" })
            let end = trimmed.lastIndex(where: { $0 != " " && $0 != "\t" })
            guard let end else { return nil }
            return trimmed[...end]
        }
    }
}
