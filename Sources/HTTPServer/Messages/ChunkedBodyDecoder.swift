/// Removes `Transfer-Encoding: chunked` framing (RFC 9112 §7.1) from the receive buffer.
///
/// A resumable state machine: it consumes what has arrived, copies chunk data into the body as
/// soon as it arrives (so the receive buffer can be compacted), and remembers how far it got.
/// Strict on every point where implementations have disagreed and smuggling has followed:
/// 1–8 hex digits and nothing else as a size, extensions checked against their grammar and then
/// ignored, CRLF — and only CRLF — after each chunk's data, trailer fields validated like header
/// fields (against a budget as large as the header section's) and then discarded.
package struct ChunkedBodyDecoder: Sendable, Hashable {
    enum State: Sendable, Hashable {
        case sizeLine(scanned: Int)
        case data(remaining: Int)
        case dataEnd
        case trailers(scanned: Int, bytes: Int, count: Int)
        case done
    }

    private(set) var state = State.sizeLine(scanned: 0)

    package init() {}

    /// Decodes from `bytes[index...]`, appending chunk data to `body` and advancing `index`
    /// past every byte consumed. Returns true once the final CRLF has been consumed.
    package mutating func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, index: inout Int, body: inout [UInt8],
        limits: HTTPParserLimits
    ) throws(HTTPParseError) -> Bool {
        let end = bytes.count
        while true {
            switch state {
            case .sizeLine(let scanned):
                let scan = try LineScanner.scan(
                    bytes, start: index, scanned: scanned, maxContent: limits.maxChunkLineBytes,
                    tooLong: .chunkLineTooLong)
                guard case .complete(let length) = scan else {
                    if case .incomplete(let progress) = scan { state = .sizeLine(scanned: progress) }
                    return false
                }
                let size = try Self.parseSizeLine(bytes, start: index, end: index + length)
                index += length + 2
                if size == 0 {
                    state = .trailers(scanned: 0, bytes: 0, count: 0)
                } else {
                    guard size <= limits.maxBodyBytes - body.count else { throw .bodyTooLarge }
                    state = .data(remaining: size)
                }

            case .data(let remaining):
                let available = min(remaining, end - index)
                guard available > 0 else { return false }
                body.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<index + available]))
                index += available
                guard available == remaining else {
                    state = .data(remaining: remaining - available)
                    return false
                }
                state = .dataEnd

            case .dataEnd:
                guard index < end else { return false }
                guard bytes[index] == ASCII.cr else { throw .invalidChunkFraming }
                guard index + 1 < end else { return false }
                guard bytes[index + 1] == ASCII.lf else { throw .invalidChunkFraming }
                index += 2
                state = .sizeLine(scanned: 0)

            case .trailers(let scanned, let used, let count):
                let scan = try LineScanner.scan(
                    bytes, start: index, scanned: scanned,
                    maxContent: limits.maxHeaderBytes - used - 2, tooLong: .headersTooLarge)
                guard case .complete(let length) = scan else {
                    if case .incomplete(let progress) = scan {
                        state = .trailers(scanned: progress, bytes: used, count: count)
                    }
                    return false
                }
                if length == 0 {
                    index += 2
                    state = .done
                    return true
                }
                let line = try FieldLineParser.parse(bytes, start: index, length: length)
                if !line.valueIsASCII { _ = try FieldLineParser.value(bytes, line) }
                guard count < limits.maxHeaderCount else { throw .tooManyHeaders }
                index += length + 2
                state = .trailers(scanned: 0, bytes: used + length + 2, count: count + 1)

            case .done:
                return true
            }
        }
    }

    /// `chunk-size [ chunk-ext ]`: 1–8 hex digits (so the size always fits, whatever the
    /// platform), then optional extensions.
    static func parseSizeLine(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int
    ) throws(HTTPParseError) -> Int {
        var index = start
        var size = 0
        while index < end, let digit = ASCII.hexValue(bytes[index]) {
            guard index - start < 8 else { throw .invalidChunkSize }
            size = size << 4 | digit
            index += 1
        }
        guard index > start else { throw .invalidChunkSize }
        if index < end {
            try validateExtensions(bytes, from: index, to: end)
        }
        return size
    }

    /// `*( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] )` (RFC 9112 §7.1.1),
    /// with nothing else — not even trailing whitespace — allowed. The first element must start
    /// the way an extension does, else the size itself was malformed (`12 `, `5x`, `0x5`).
    static func validateExtensions(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int
    ) throws(HTTPParseError) {
        var index = start
        var first = true
        let classes = ByteClass.table
        func skipWhitespace() {
            while index < end, ASCII.isWhitespace(bytes[index]) { index += 1 }
        }
        func token() throws(HTTPParseError) {
            let tokenStart = index
            while index < end, classes[Int(bytes[index])] & ByteClass.token != 0 { index += 1 }
            guard index > tokenStart else { throw .invalidChunkExtension }
        }
        repeat {
            skipWhitespace()
            guard index < end, bytes[index] == ASCII.semicolon else {
                throw first ? .invalidChunkSize : .invalidChunkExtension
            }
            first = false
            index += 1
            skipWhitespace()
            try token()
            let afterName = index
            skipWhitespace()
            if index < end, bytes[index] == ASCII.equals {
                index += 1
                skipWhitespace()
                if index < end, bytes[index] == ASCII.quote {
                    try skipQuotedString(bytes, index: &index, end: end)
                } else {
                    try token()
                }
            } else {
                index = afterName
            }
        } while index < end
    }

    private static func skipQuotedString(
        _ bytes: UnsafeBufferPointer<UInt8>, index: inout Int, end: Int
    ) throws(HTTPParseError) {
        index += 1  // opening quote
        let classes = ByteClass.table
        while index < end {
            let byte = bytes[index]
            if byte == ASCII.quote {
                index += 1
                return
            }
            if byte == ASCII.backslash {
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                guard index + 1 < end, classes[Int(bytes[index + 1])] & ByteClass.fieldValue != 0 else {
                    throw .invalidChunkExtension
                }
                index += 2
                continue
            }
            guard classes[Int(byte)] & ByteClass.quotedText != 0 else { throw .invalidChunkExtension }
            index += 1
        }
        throw .invalidChunkExtension
    }
}
