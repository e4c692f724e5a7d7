import HTTPServer
import TLS

/// How an `HTTPClient` connects, what it trusts, and how long and how much it waits for.
public struct HTTPClientConfiguration: Sendable {
    /// Whose certificates `https://` servers must present. Plain `http://` is allowed only to a
    /// loopback host (`127.0.0.1`, `localhost`, `::1`).
    public var trust = TLSTrustAnchors.system
    /// For the TCP connection and the TLS handshake together.
    public var connectTimeout: Duration = .seconds(5)
    /// The longest wait for the server to accept more of the request or send more of the
    /// response, once connected.
    public var readTimeout: Duration = .seconds(15)
    /// For the whole exchange, from the first connection attempt to the last byte of the body.
    public var totalTimeout: Duration = .seconds(30)
    /// Bounds on the response, with the server's meaning: `maxRequestLineBytes` bounds the status
    /// line, `maxHeaderBytes` and `maxHeaderCount` the header section (and a chunked body's
    /// trailers), `maxBodyBytes` the body however it is framed, `maxChunkLineBytes` chunk-size
    /// lines. Beyond them the exchange fails with `response_too_large`.
    public var limits = HTTPParserLimits()
    /// Threads of the client's own that run the blocking socket and TLS calls; each runs one
    /// exchange at a time.
    public var threads = 2
    /// Exchanges admitted at once (running or waiting for a thread); one more fails at once with
    /// `client_busy` instead of queueing without end.
    public var queueLimit = 64

    public init() {}
}
