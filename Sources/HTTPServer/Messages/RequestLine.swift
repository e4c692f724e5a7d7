/// A parsed request line, with the target already split for routing.
struct RequestLine: Sendable, Hashable {
    var method: String
    var target: String
    var path: String
    var query: String?
    var version: HTTPVersion
    /// The authority of an absolute-form target; it replaces the Host field.
    var authority: String?
}

/// Resumable progress through a request line (and the empty lines allowed before it).
struct RequestLineProgress: Sendable, Hashable {
    var scanned = 0
    var spaces = 0
    var emptyLines = 0
}

/// Scans and parses `method SP request-target SP HTTP-version`.
///
/// Unlike header lines, the request line is checked byte by byte as it arrives, so that
/// non-HTTP traffic (a TLS ClientHello on the plain port, binary garbage) is refused at its
/// first byte instead of after 8 KiB. The check at each byte depends only on the bytes before
/// it, so any split of the input gives the same error.
enum RequestLineParser {
    /// Returns the length of the complete line, or nil when more bytes are needed.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, progress: inout RequestLineProgress,
        maxContent: Int
    ) throws(HTTPParseError) -> Int? {
        let end = bytes.count
        let classes = ByteClass.table
        var index = start + progress.scanned
        defer { progress.scanned = index - start }
        while index < end {
            let byte = bytes[index]
            if byte == ASCII.cr {
                guard index + 1 < end else { return nil }
                guard bytes[index + 1] == ASCII.lf else { throw .bareCarriageReturn }
                return index - start
            }
            if byte == ASCII.lf { throw .bareLineFeed }
            if index - start >= maxContent { throw .requestLineTooLong }
            if byte == ASCII.space {
                // No leading space, no empty component, no third space.
                if index == start || bytes[index - 1] == ASCII.space || progress.spaces == 2 {
                    throw .invalidRequestLine
                }
                progress.spaces += 1
            } else {
                switch progress.spaces {
                case 0: if classes[Int(byte)] & ByteClass.token == 0 { throw .invalidMethod }
                case 1: if classes[Int(byte)] & ByteClass.target == 0 { throw .invalidTarget }
                default: if classes[Int(byte)] & ByteClass.visible == 0 { throw .invalidVersion }
                }
            }
            index += 1
        }
        return nil
    }

    /// Parses a complete, scanned line of `length` bytes with exactly two single spaces.
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int
    ) throws(HTTPParseError) -> RequestLine {
        let end = start + length
        var firstSpace = start
        while bytes[firstSpace] != ASCII.space { firstSpace += 1 }
        var secondSpace = firstSpace + 1
        while bytes[secondSpace] != ASCII.space { secondSpace += 1 }

        let version = try parseVersion(bytes, from: secondSpace + 1, to: end)
        let method = string(bytes, start, firstSpace)
        let targetStart = firstSpace + 1
        let target = string(bytes, targetStart, secondSpace)

        switch bytes[targetStart] {
        case ASCII.slash:
            let (path, query) = splitQuery(bytes, from: targetStart, to: secondSpace)
            return RequestLine(
                method: method, target: target, path: path, query: query, version: version)
        case ASCII.star:
            guard secondSpace - targetStart == 1, method == "OPTIONS" else { throw .invalidTarget }
            return RequestLine(method: method, target: target, path: "*", version: version)
        default:
            return try parseAbsoluteForm(
                bytes, from: targetStart, to: secondSpace, method: method, target: target,
                version: version)
        }
    }

    private static func parseVersion(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int
    ) throws(HTTPParseError) -> HTTPVersion {
        // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
        guard end - start == 8, bytes[start] == UInt8(ascii: "H"), bytes[start + 1] == UInt8(ascii: "T"),
            bytes[start + 2] == UInt8(ascii: "T"), bytes[start + 3] == UInt8(ascii: "P"),
            bytes[start + 4] == ASCII.slash
        else { throw .invalidVersion }
        let major = bytes[start + 5]
        let dot = bytes[start + 6]
        let minor = bytes[start + 7]
        guard (ASCII.zero...ASCII.nine).contains(major), dot == ASCII.dot,
            (ASCII.zero...ASCII.nine).contains(minor)
        else { throw .invalidVersion }
        switch (major, minor) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http1_0
        default: throw .unsupportedVersion
        }
    }

    /// absolute-form: `http://` or `https://` (scheme case-insensitive), a non-empty authority
    /// without userinfo, then an optional path and query.
    private static func parseAbsoluteForm(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, method: String,
        target: String, version: HTTPVersion
    ) throws(HTTPParseError) -> RequestLine {
        var index = start
        for byte in "http".utf8 {
            guard index < end, ASCII.lowercased(bytes[index]) == byte else { throw .invalidTarget }
            index += 1
        }
        if index < end, ASCII.lowercased(bytes[index]) == UInt8(ascii: "s") { index += 1 }
        for byte in "://".utf8 {
            guard index < end, bytes[index] == byte else { throw .invalidTarget }
            index += 1
        }
        let authorityStart = index
        while index < end, bytes[index] != ASCII.slash, bytes[index] != ASCII.question {
            // '@' (userinfo) is excluded from the class: it is deprecated for http(s) URIs and
            // a classic way to make a target look like it names another host.
            guard ByteClass.is(bytes[index], ByteClass.authority) else { throw .invalidTarget }
            index += 1
        }
        guard index > authorityStart else { throw .invalidTarget }
        let authority = string(bytes, authorityStart, index)
        var path = "/"
        var query: String?
        if index < end {
            if bytes[index] == ASCII.slash {
                (path, query) = splitQuery(bytes, from: index, to: end)
            } else {
                query = string(bytes, index + 1, end)
            }
        }
        return RequestLine(
            method: method, target: target, path: path, query: query, version: version,
            authority: authority)
    }

    private static func splitQuery(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int
    ) -> (path: String, query: String?) {
        var index = start
        while index < end, bytes[index] != ASCII.question { index += 1 }
        if index == end { return (string(bytes, start, end), nil) }
        return (string(bytes, start, index), string(bytes, index + 1, end))
    }

    /// Request-line bytes are ASCII by the time this runs, so decoding cannot lose anything.
    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
