/// The bounds the request parser enforces while bytes arrive.
///
/// Every buffer the parser keeps is bounded by one of these numbers, so a client can make the
/// server hold at most about `maxRequestLineBytes + maxHeaderBytes + maxBodyBytes` per
/// connection, and an oversized message is refused as soon as it is known to be oversized —
/// not after it has been received in full.
public struct HTTPParserLimits: Sendable, Hashable {
    /// Longest request line, without its CRLF. One byte more → 414 `request_line_too_long`.
    public var maxRequestLineBytes = 8 * 1024
    /// Largest header section: every field line with its CRLF, not counting the request line
    /// or the empty line that ends the head. One byte more → 431 `headers_too_large`.
    /// Trailer sections of chunked bodies get a budget of the same size.
    public var maxHeaderBytes = 32 * 1024
    /// Most field lines in the header section (and, separately, in a trailer section).
    /// One more → 431 `too_many_headers`.
    public var maxHeaderCount = 100
    /// Largest body, declared by `Content-Length` or summed over chunks. One byte more → 413
    /// `body_too_large`, raised when the declaration or the chunk size is read.
    public var maxBodyBytes = 1024 * 1024
    /// Longest chunk-size line (size plus extensions), without its CRLF. One byte more → 400
    /// `invalid_chunk_size`.
    public var maxChunkLineBytes = 1024
    /// Empty lines (CRLF) tolerated before a request line (RFC 9112 §2.2). One more → 400
    /// `invalid_request_line`.
    public var maxLeadingEmptyLines = 8

    public init() {}
}
