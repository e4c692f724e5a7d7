import HTTPServer

/// Parses one response as its bytes arrive, with the server's message pieces: `LineScanner` for
/// CRLF-only lines bounded while they arrive, `FieldLineParser` for field lines, and
/// `ChunkedBodyDecoder` for chunked bodies — so the client is as strict as the server about
/// what it reads. Interim (1xx) responses are skipped.
///
/// Framing (RFC 9112 §6.3): no body after HEAD or with 1xx, 204 and 304; otherwise
/// `Transfer-Encoding: chunked`, or one `Content-Length`, or — neither given — until the server
/// closes. Both given, several lengths, or another transfer coding: refused, since a proxy on the
/// way could have read the body differently.
struct ResponseParser {
    private enum State {
        case statusLine(scanned: Int)
        case headers(scanned: Int)
        case fixedBody(remaining: Int)
        case chunkedBody(ChunkedBodyDecoder)
        case untilClose
        case done
    }

    private let limits: HTTPParserLimits
    private let isHEAD: Bool
    private var state = State.statusLine(scanned: 0)
    private var buffer: [UInt8] = []
    private var index = 0
    private var status = HTTPStatus.ok
    private var headers = HTTPHeaders()
    private var headerBytes = 0
    private var body: [UInt8] = []

    init(limits: HTTPParserLimits, isHEAD: Bool) {
        self.limits = limits
        self.isHEAD = isHEAD
    }

    /// Takes the next bytes received; returns the response once it is complete.
    mutating func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTPClientError) -> HTTPClientResponse? {
        if index > 0 && index == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            index = 0
        }
        buffer.append(contentsOf: bytes)
        do throws(HTTPParseError) {
            return try advance()
        } catch {
            throw Self.clientError(error)
        }
    }

    /// The server closed the connection: the response, if reading until close was its framing.
    mutating func finish() throws(HTTPClientError) -> HTTPClientResponse {
        guard case .untilClose = state else { throw .connectionClosed }
        state = .done
        return HTTPClientResponse(status: status, headers: headers, body: body)
    }

    private mutating func advance() throws(HTTPParseError) -> HTTPClientResponse? {
        while true {
            switch state {
            case .statusLine(let scanned):
                guard let length = try scanLine(scanned: scanned, maxContent: limits.maxRequestLineBytes) else {
                    return nil
                }
                status = try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) in
                    try Self.parseStatusLine(bytes, start: index, length: length)
                }
                index += length + 2
                headers = HTTPHeaders()
                headerBytes = 0
                state = .headers(scanned: 0)

            case .headers(let scanned):
                guard let length = try scanLine(scanned: scanned, maxContent: limits.maxHeaderBytes - headerBytes - 2)
                else { return nil }
                if length == 0 {
                    index += 2
                    if let response = try finishHead() { return response }
                    continue  // to the body, or to the final response after a 1xx
                }
                let start = index
                let (name, value) = try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) in
                    let line = try FieldLineParser.parse(bytes, start: start, length: length)
                    return (FieldLineParser.name(bytes, line), try FieldLineParser.value(bytes, line))
                }
                guard headers.count < limits.maxHeaderCount else { throw .tooManyHeaders }
                headers.add(name, value)
                headerBytes += length + 2
                index += length + 2
                state = .headers(scanned: 0)

            case .fixedBody(let remaining):
                let available = min(remaining, buffer.count - index)
                body += buffer[index..<index + available]
                index += available
                guard available == remaining else {
                    state = .fixedBody(remaining: remaining - available)
                    return nil
                }
                return complete()

            case .chunkedBody(var decoder):
                var position = index
                let finished = try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) in
                    try decoder.decode(bytes, index: &position, body: &body, limits: limits)
                }
                index = position
                state = .chunkedBody(decoder)
                return finished ? complete() : nil

            case .untilClose:
                guard buffer.count - index <= limits.maxBodyBytes - body.count else { throw .bodyTooLarge }
                body += buffer[index...]
                index = buffer.count
                return nil

            case .done:
                return nil
            }
        }
    }

    /// The length of the complete line at `index`, or nil (with the progress kept) if its CRLF
    /// has not arrived.
    private mutating func scanLine(scanned: Int, maxContent: Int) throws(HTTPParseError) -> Int? {
        let start = index
        let scan = try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) in
            try LineScanner.scan(bytes, start: start, scanned: scanned, maxContent: maxContent, tooLong: .headersTooLarge)
        }
        switch scan {
        case .complete(let length):
            return length
        case .incomplete(let progress):
            if case .statusLine = state { state = .statusLine(scanned: progress) } else { state = .headers(scanned: progress) }
            return nil
        }
    }

    private mutating func finishHead() throws(HTTPParseError) -> HTTPClientResponse? {
        if (100...199).contains(status.rawValue) {
            state = .statusLine(scanned: 0)
            return nil
        }
        if isHEAD || status.rawValue == 204 || status.rawValue == 304 {
            return complete()
        }
        let codings = headers.values(for: "Transfer-Encoding")
        let lengths = headers.values(for: "Content-Length")
        if !codings.isEmpty {
            guard lengths.isEmpty else { throw Self.malformed("ambiguous_framing") }
            guard codings.count == 1, FieldLineParser.equalsIgnoringCase(codings[0][...].utf8, "chunked") else {
                throw Self.malformed("unsupported_transfer_encoding")
            }
            state = .chunkedBody(ChunkedBodyDecoder())
        } else if let text = lengths.first {
            guard lengths.count == 1 else { throw Self.malformed("duplicate_content_length") }
            guard !text.isEmpty, text.utf8.count <= 18, let length = Int(text), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            else { throw Self.malformed("invalid_content_length") }
            guard length <= limits.maxBodyBytes else { throw .bodyTooLarge }
            state = .fixedBody(remaining: length)
        } else {
            state = .untilClose
        }
        return nil
    }

    private mutating func complete() -> HTTPClientResponse {
        state = .done
        return HTTPClientResponse(status: status, headers: headers, body: body)
    }

    /// `HTTP-version SP 3DIGIT SP [ reason-phrase ]`; the space before an empty reason may be
    /// missing, as some servers send it.
    private static func parseStatusLine(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int
    ) throws(HTTPParseError) -> HTTPStatus {
        let line = bytes[start..<start + length]
        let prefix = Array("HTTP/1.".utf8)
        guard length >= 12, line.prefix(7).elementsEqual(prefix), line[start + 7] == 0x30 || line[start + 7] == 0x31,
            line[start + 8] == ASCII.space,
            line[(start + 9)..<(start + 12)].allSatisfy({ $0 >= ASCII.zero && $0 <= ASCII.nine }),
            length == 12 || line[start + 12] == ASCII.space
        else { throw malformed("invalid_status_line") }
        let code = line[(start + 9)..<(start + 12)].reduce(0) { $0 * 10 + Int($1 - ASCII.zero) }
        guard let status = HTTPStatus(rawValue: code) else { throw malformed("invalid_status_line") }
        return status
    }

    /// A framing fault of the response. Only `code` is read (`clientError`); the status is the
    /// one a gateway would answer with.
    private static func malformed(_ code: String) -> HTTPParseError {
        HTTPParseError(status: .badGateway, code: code, message: "The response is malformed.")
    }

    private static func clientError(_ error: HTTPParseError) -> HTTPClientError {
        switch error {
        case .headersTooLarge, .tooManyHeaders, .bodyTooLarge: .responseTooLarge
        default: .malformedResponse(error.code)
        }
    }
}
