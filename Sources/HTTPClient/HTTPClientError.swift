/// Why an exchange failed. `code` is stable snake_case for logs and metrics; no case carries
/// request or response bytes, so an error never holds a header value or a body (card data).
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which limit a timeout hit.
    public enum Phase: String, Sendable, Equatable {
        case connect, read, total
    }

    /// The client could not start (trust anchors unreadable, no threads).
    case setup(String)
    /// The URL is not `http(s)://host[:port][/path][?query]`.
    case invalidURL(String)
    /// Plain `http://` to a host that is not loopback: only TLS leaves the machine.
    case plaintextOffLoopback(String)
    /// A method, header name or header value that cannot be sent as it is.
    case invalidRequest(String)
    /// The host name did not resolve.
    case resolve(String)
    /// No address of the host accepted a connection.
    case connect(String)
    /// The TLS handshake failed: untrusted chain, wrong name, old protocol, no common cipher.
    case tls(String)
    case timedOut(Phase)
    /// The server closed the connection before the response was complete.
    case connectionClosed
    /// The response broke HTTP/1.1's framing rules (with the rule's code, e.g. `invalid_chunk_size`).
    case malformedResponse(String)
    /// The response's head or body exceeded `HTTPClientConfiguration.limits`.
    case responseTooLarge
    /// `queueLimit` exchanges were already running or waiting.
    case busy
    /// The caller was cancelled before a thread took the exchange up.
    case cancelled

    public var code: String {
        switch self {
        case .setup: "client_setup_failed"
        case .invalidURL: "invalid_url"
        case .plaintextOffLoopback: "plaintext_off_loopback"
        case .invalidRequest: "invalid_request"
        case .resolve: "resolve_failed"
        case .connect: "connect_failed"
        case .tls: "tls_failed"
        case .timedOut(let phase): "\(phase.rawValue)_timeout"
        case .connectionClosed: "connection_closed"
        case .malformedResponse: "malformed_response"
        case .responseTooLarge: "response_too_large"
        case .busy: "client_busy"
        case .cancelled: "cancelled"
        }
    }

    public var description: String {
        switch self {
        case .setup(let reason), .invalidURL(let reason), .invalidRequest(let reason), .resolve(let reason),
            .connect(let reason), .tls(let reason), .malformedResponse(let reason):
            "\(code): \(reason)"
        case .plaintextOffLoopback(let host):
            "\(code): plain HTTP to '\(host)', which is not a loopback host; use https://"
        case .timedOut, .connectionClosed, .responseTooLarge, .busy, .cancelled:
            code
        }
    }
}
