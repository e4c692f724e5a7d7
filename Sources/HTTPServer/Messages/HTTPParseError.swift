import JSON

/// Why a request could not be parsed, and what to answer.
///
/// Every parse error means: answer `status` with `Connection: close`, then close the connection
/// (see ``response``). After an error the framing of the byte stream is unknown, so nothing
/// that follows on the connection can be trusted to be a request. `code` is stable snake_case
/// for logs, metrics and error envelopes; `message` is fixed text and never echoes request
/// bytes, so it cannot carry card data or reflect attacker input.
public struct HTTPParseError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    public var code: String
    public var message: String

    public init(status: HTTPStatus, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.rawValue) \(code): \(message)" }

    /// The response to send before closing: `status`, the error envelope every Coffer API uses,
    /// `{"error":{"code":"<code>","message":"<message>"}}`, and (when serialized with
    /// `closing: true`) `Connection: close`.
    public var response: HTTPResponse {
        let body = JSONWriter.write(.object(["error": .object(["code": .string(code), "message": .string(message)])]))
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: body)
    }
}

extension HTTPParseError {
    private static func bad(_ code: String, _ message: String) -> HTTPParseError {
        HTTPParseError(status: .badRequest, code: code, message: message)
    }

    // Request line.
    static let invalidRequestLine = bad(
        "invalid_request_line", "The request line is not 'METHOD SP request-target SP HTTP-version'.")
    static let tooManyEmptyLines = bad(
        "invalid_request_line", "Too many empty lines before the request line.")
    static let invalidMethod = bad("invalid_method", "The method is not a token.")
    static let invalidTarget = bad(
        "invalid_target", "The request target is not an origin-form, absolute-form or '*' target.")
    static let invalidVersion = bad("invalid_request_line", "The HTTP version is malformed.")
    static let unsupportedVersion = HTTPParseError(
        status: .httpVersionNotSupported, code: "unsupported_version",
        message: "Only HTTP/1.0 and HTTP/1.1 are supported.")
    static let requestLineTooLong = HTTPParseError(
        status: .uriTooLong, code: "request_line_too_long", message: "The request line is too long.")

    // Line endings.
    static let bareLineFeed = bad("bare_line_feed", "Lines must end with CRLF; a bare LF was received.")
    static let bareCarriageReturn = bad(
        "bare_carriage_return", "A CR was received that is not followed by LF.")

    // Header fields.
    static let obsoleteLineFolding = bad(
        "obsolete_line_folding", "A header line starts with whitespace (obsolete line folding).")
    static let invalidHeaderName = bad(
        "invalid_header_name", "A header line has no colon or its name is not a token.")
    static let invalidHeaderValue = bad(
        "invalid_header_value", "A header value contains a control character or invalid UTF-8.")
    package static let headersTooLarge = HTTPParseError(
        status: .requestHeaderFieldsTooLarge, code: "headers_too_large",
        message: "The header section is too large.")
    package static let tooManyHeaders = HTTPParseError(
        status: .requestHeaderFieldsTooLarge, code: "too_many_headers",
        message: "The request has too many header fields.")
    static let missingHost = bad("missing_host", "An HTTP/1.1 request must carry a Host header.")
    static let duplicateHost = bad("duplicate_host", "The request carries more than one Host header.")
    static let invalidHost = bad("invalid_host", "The Host header is not a valid authority.")

    // Framing.
    static let ambiguousFraming = bad(
        "ambiguous_framing", "Content-Length and Transfer-Encoding must not be sent together.")
    static let transferEncodingOnHTTP10 = bad(
        "ambiguous_framing", "Transfer-Encoding is not defined for HTTP/1.0 requests.")
    static let duplicateContentLength = bad(
        "duplicate_content_length", "Content-Length must be sent exactly once with one value.")
    static let invalidContentLength = bad(
        "invalid_content_length", "Content-Length must be a decimal number of bytes.")
    static let unsupportedTransferEncoding = HTTPParseError(
        status: .notImplemented, code: "unsupported_transfer_encoding",
        message: "The only supported Transfer-Encoding is 'chunked'.")
    package static let bodyTooLarge = HTTPParseError(
        status: .payloadTooLarge, code: "body_too_large", message: "The request body is too large.")

    // Chunked bodies.
    static let invalidChunkSize = bad(
        "invalid_chunk_size", "A chunk size is not 1 to 8 hexadecimal digits.")
    static let chunkLineTooLong = bad("invalid_chunk_size", "A chunk-size line is too long.")
    static let invalidChunkExtension = bad(
        "invalid_chunk_extension", "A chunk extension is malformed.")
    static let invalidChunkFraming = bad(
        "invalid_chunk_framing", "Chunk data is not followed by CRLF.")

    // Expectations.
    static let unsupportedExpectation = HTTPParseError(
        status: .expectationFailed, code: "unsupported_expectation",
        message: "The only supported expectation is 100-continue.")
}
