import HTTPServer

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A request to send: one per connection, so `Host`, `Content-Length`, `Transfer-Encoding` and
/// `Connection` are the client's to set — values given for them are replaced.
public struct HTTPClientRequest: Sendable {
    public var method: String
    /// `https://host[:port][/path][?query]`, or `http://` to a loopback host.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: String = "GET", url: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

extension HTTPClientRequest: CustomStringConvertible {
    /// No header values and no body: they may carry credentials or card data.
    public var description: String { "\(method) \(url) \(headers) (\(body.count) bytes)" }
}

/// A complete response: status, header fields as received, and the body with its framing removed.
public struct HTTPClientResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Where a request goes, parsed from its URL: `scheme "://" host [":" port] [path] ["?" query]`.
/// No user information (`user@`), no fragment; an IPv6 host in brackets.
struct Endpoint: Sendable, Hashable {
    var isTLS: Bool
    /// Without brackets: what is resolved, and the name the certificate must carry.
    var host: String
    var port: Int
    /// The origin-form request target: the path (at least `/`) and the query.
    var target: String

    init(url: String) throws(HTTPClientError) {
        let rest: Substring
        if url.hasPrefix("https://") {
            isTLS = true
            rest = url.dropFirst(8)
        } else if url.hasPrefix("http://") {
            isTLS = false
            rest = url.dropFirst(7)
        } else {
            throw .invalidURL("the scheme is not http or https")
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let target = rest[authorityEnd...]
        guard !authority.contains("@") else { throw .invalidURL("user information is not supported") }
        guard !target.contains("#") else { throw .invalidURL("a fragment is never sent") }
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidURL("the path or query holds spaces, controls or non-ASCII bytes")
        }
        self.target = target.hasPrefix("/") ? String(target) : "/" + target

        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("an unclosed IPv6 bracket") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL("text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
        }
        guard !host.isEmpty, host.utf8.allSatisfy({ Self.isHostByte($0) }) else {
            throw .invalidURL("the host is empty or not a name or address")
        }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else { throw .invalidURL("the port is not in 1...65535") }
            self.port = port
        } else {
            port = isTLS ? 443 : 80
        }
    }

    /// `localhost` or a loopback literal: the only hosts plain HTTP may go to.
    var isLoopbackHost: Bool {
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else { return host == "localhost" || host == "::1" }
        return UInt32(bigEndian: address.s_addr) >> 24 == 127
    }

    /// The `Host` field: the authority as the URL gave it, without a default port.
    var hostField: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isTLS ? 443 : 80) ? name : "\(name):\(port)"
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"):
            true
        default:
            false
        }
    }
}
