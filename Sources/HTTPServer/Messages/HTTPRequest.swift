/// The protocol version of a request. Only the two versions the parser accepts exist, so a
/// handler can switch exhaustively.
public enum HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    case http1_0
    case http1_1

    public var description: String {
        switch self {
        case .http1_0: "HTTP/1.0"
        case .http1_1: "HTTP/1.1"
        }
    }
}

/// A request's method, target and header fields, without the body.
///
/// Separate from ``HTTPRequest`` because the connection layer sees the head before the body
/// exists: for `Expect: 100-continue` it must decide whether to invite the body at all.
public struct HTTPRequestHead: Sendable, Hashable {
    /// Token characters only, case-sensitive (`GET`, `POST`, …).
    public var method: String
    /// The request target exactly as sent: origin-form (`/v1/x?y`), absolute-form
    /// (`http://host/v1/x`) or `*` (OPTIONS only).
    public var target: String
    /// The path part of the target (before `?`), not percent-decoded: routing decides how to
    /// decode. `/` for an absolute-form target without a path; `*` for the asterisk form.
    public var path: String
    /// Everything after the first `?`, raw; nil when the target has no `?`.
    public var query: String?
    public var version: HTTPVersion
    /// For an absolute-form target, the `Host` field has been replaced by the target's
    /// authority (RFC 9112 §3.2.2), so `headers["Host"]` is always the host to route on.
    public var headers: HTTPHeaders
    /// Whether the connection may carry another request after this one: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive` (and no `close`).
    public var keepAlive: Bool

    public init(
        method: String, target: String, path: String, query: String? = nil,
        version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:], keepAlive: Bool = true
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.keepAlive = keepAlive
    }
}

/// A complete request: head plus the de-framed body (chunked encoding already removed).
///
/// A value type the routing layer can pass around freely. `description` shows method, path
/// and sizes only — never the query, header values or body, which can carry secrets or card
/// data.
public struct HTTPRequest: Sendable, Hashable {
    public var method: String
    public var target: String
    public var path: String
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// The content, empty when the request had no framing or zero length.
    public var body: [UInt8]
    public var keepAlive: Bool

    public init(
        method: String, target: String, path: String, query: String? = nil,
        version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:], body: [UInt8] = [],
        keepAlive: Bool = true
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    public init(head: HTTPRequestHead, body: [UInt8]) {
        self.init(
            method: head.method, target: head.target, path: head.path, query: head.query,
            version: head.version, headers: head.headers, body: body, keepAlive: head.keepAlive)
    }

    public var head: HTTPRequestHead {
        HTTPRequestHead(
            method: method, target: target, path: path, query: query, version: version,
            headers: headers, keepAlive: keepAlive)
    }
}

extension HTTPRequestHead: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "\(method) \(path) \(version) (\(headers.count) header fields)"
    }

    public var debugDescription: String { "HTTPRequestHead(\(description))" }

    public var customMirror: Mirror {
        Mirror(
            self, children: ["method": method, "path": path, "version": version, "headers": headers],
            displayStyle: .struct)
    }
}

extension HTTPRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "\(method) \(path) \(version) (\(headers.count) header fields, \(body.count) body bytes)"
    }

    public var debugDescription: String { "HTTPRequest(\(description))" }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "method": method, "path": path, "version": version, "headers": headers,
                "bodyCount": body.count,
            ],
            displayStyle: .struct)
    }
}
