/// A request or connection the server refused or cut off on its own, before or instead of a
/// handler's answer: reported through `HTTPServerConfiguration.rejectionObserver`, so that the
/// application can log and count what its handlers never see.
///
/// Carries no request bytes beyond the path (for naming the route; never log it raw).
public struct HTTPRejection: Sendable, Hashable, CustomStringConvertible {
    /// The status answered before closing, or nil when the connection was closed without one.
    public var status: HTTPStatus?
    /// Stable snake_case: a parse error's code (`invalid_header_name`, `body_too_large`, … —
    /// see ``HTTPParseError``), or one of ``Reason``'s.
    public var reason: String
    /// The peer's IP address, as in ``HTTPRequestContext/remoteAddress``.
    public var remoteAddress: String
    /// The request's path, when its request line had been read (parse errors only).
    public var path: String?

    public init(status: HTTPStatus?, reason: String, remoteAddress: String, path: String?) {
        self.status = status
        self.reason = reason
        self.remoteAddress = remoteAddress
        self.path = path
    }

    /// Status, reason and peer; not the path.
    public var description: String {
        "\(status.map { String($0.rawValue) } ?? "closed") \(reason) from \(remoteAddress)"
    }
}

extension HTTPRejection {
    /// The reasons of rejections that are not parse errors.
    public enum Reason {
        /// 408: the head was not complete within `headerTimeout` of its first byte.
        public static let headerTimeout = "header_timeout"
        /// 408: the body was not complete within `bodyTimeout` of the end of the head.
        public static let bodyTimeout = "body_timeout"
        /// Closed without an answer: a new connection sent no request within `headerTimeout`.
        public static let firstByteTimeout = "first_byte_timeout"
        /// Closed without an answer: the client ended the connection in the middle of a request.
        public static let incompleteRequest = "incomplete_request"
        /// Closed mid-response: the client did not read it within `writeTimeout`.
        public static let writeTimeout = "write_timeout"
        /// Closed without an answer: the client sent bytes that did not make a TLS session
        /// (plain HTTP, TLS below 1.2, no acceptable cipher).
        public static let tlsHandshakeFailed = "tls_handshake_failed"
    }
}
