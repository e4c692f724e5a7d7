import HTTPServer
import Testing
import TestSupport

@Suite("Request line", .ownThreads)
struct RequestLineTests {
    @Test func parsesOriginForm() throws {
        let request = try #require(parseSingle(requestHead("GET /v1/clients/abc/cards?RejectDuplicateCard HTTP/1.1")))
        #expect(request.method == "GET")
        #expect(request.target == "/v1/clients/abc/cards?RejectDuplicateCard")
        #expect(request.path == "/v1/clients/abc/cards")
        #expect(request.query == "RejectDuplicateCard")
        #expect(request.version == .http1_1)
        #expect(request.headers["host"] == "vault.example")
        #expect(request.body.isEmpty)
        #expect(request.keepAlive)
    }

    @Test(arguments: [
        ("/", "/", nil),
        ("/a?", "/a", ""),
        ("/a?b?c", "/a", "b?c"),
        ("/a%20b?x=%2F", "/a%20b", "x=%2F"),  // not percent-decoded
        ("/a/../b", "/a/../b", nil),  // not normalized either: routing decides
    ] as [(String, String, String?)])
    func splitsPathAndQuery(target: String, path: String, query: String?) throws {
        let request = try #require(parseSingle(requestHead("GET \(target) HTTP/1.1")))
        #expect(request.target == target)
        #expect(request.path == path)
        #expect(request.query == query)
    }

    @Test func methodIsCaseSensitiveTokenKeptAsSent() throws {
        #expect(parseSingle(requestHead("get / HTTP/1.1"))?.method == "get")
        #expect(parseSingle(requestHead("M-SEARCH / HTTP/1.1"))?.method == "M-SEARCH")
    }

    @Test(arguments: ["G(ET / HTTP/1.1", "GE\"T / HTTP/1.1", "GET\t/ HTTP/1.1", "G\u{7F}T / HTTP/1.1"])
    func rejectsNonTokenMethod(_ line: String) {
        expectParseError(requestHead(line), .badRequest, "invalid_method")
    }

    @Test func rejectsNonASCIIMethodAndTLSHandshakeAtFirstByte() {
        expectParseError(octets("G") + [0xC3, 0x89] + octets("T / HTTP/1.1\r\n\r\n"), .badRequest, "invalid_method")
        // A TLS ClientHello on the plain-text port is refused at its first byte.
        var parser = HTTPRequestParser()
        parser.append([0x16])
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(parser.failure?.code == "invalid_method")
    }

    @Test(arguments: [
        "GET  / HTTP/1.1",  // two spaces
        " GET / HTTP/1.1",  // leading space
        "GET / HTTP/1.1 ",  // trailing space
        "GET / HTTP/1.1 x",  // third component
        "GET /",  // HTTP/0.9 style
        "GET",
        "GET /  HTTP/1.1",
    ])
    func rejectsMalformedStructure(_ line: String) {
        expectParseError(line + "\r\nHost: a\r\n\r\n", .badRequest, "invalid_request_line")
    }

    @Test(arguments: [
        "GET abc HTTP/1.1",  // no leading slash
        "GET /a\tb HTTP/1.1",  // control character
        "GET /a\u{7F} HTTP/1.1",  // DEL
        "GET /a\u{0}b HTTP/1.1",  // NUL
        "GET /a#frag HTTP/1.1",  // fragments are never sent
        "GET * HTTP/1.1",  // asterisk form is for OPTIONS only
        "OPTIONS *x HTTP/1.1",
        "CONNECT vault.example:443 HTTP/1.1",  // authority-form: we are not a proxy
        "GET ftp://h/a HTTP/1.1",
        "GET http:/h/a HTTP/1.1",
        "GET http:///a HTTP/1.1",  // empty authority
        "GET http://user@evil.example/ HTTP/1.1",  // userinfo
        "GET http://h\"/ HTTP/1.1",
    ])
    func rejectsInvalidTargets(_ line: String) {
        expectParseError(requestHead(line), .badRequest, "invalid_target")
    }

    @Test func rejectsNonASCIITarget() {
        expectParseError(octets("GET /caf") + [0xC3, 0xA9] + octets(" HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest, "invalid_target")
        expectParseError(octets("GET /") + [0x80] + octets(" HTTP/1.1\r\nHost: a\r\n\r\n"), .badRequest, "invalid_target")
    }

    @Test func acceptsAsteriskForOptions() throws {
        let request = try #require(parseSingle(requestHead("OPTIONS * HTTP/1.1")))
        #expect(request.target == "*")
        #expect(request.path == "*")
        #expect(request.query == nil)
    }

    @Test func absoluteFormTakesHostFromTarget() throws {
        let request = try #require(
            parseSingle("GET http://vault.example:8443/v1/x?y=1 HTTP/1.1\r\nX-A: 1\r\nHost: other\r\n\r\n"))
        #expect(request.target == "http://vault.example:8443/v1/x?y=1")
        #expect(request.path == "/v1/x")
        #expect(request.query == "y=1")
        #expect(request.headers.values(for: "Host") == ["vault.example:8443"])
        #expect(request.headers.map(\.name) == ["X-A", "Host"])

        let bare = try #require(parseSingle(requestHead("GET HTTPS://[::1]:8443 HTTP/1.1")))
        #expect(bare.path == "/")
        #expect(bare.query == nil)
        #expect(bare.headers["Host"] == "[::1]:8443")
        #expect(parseSingle(requestHead("GET http://h?q HTTP/1.1"))?.query == "q")
        // RFC 9112 §3.2: Host is still required on HTTP/1.1.
        expectParseError("GET http://h/ HTTP/1.1\r\n\r\n", .badRequest, "missing_host")
    }

    @Test func acceptsHTTP10() throws {
        let request = try #require(parseSingle("GET / HTTP/1.0\r\n\r\n"))
        #expect(request.version == .http1_0)
        #expect(!request.keepAlive)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0", "HTTP/1.9"])
    func rejectsOtherVersionsWith505(_ version: String) {
        expectParseError(requestHead("GET / \(version)"), .httpVersionNotSupported, "unsupported_version")
    }

    @Test(arguments: ["http/1.1", "HTTP/1.1x", "HTTP/11", "HTTP/1.", "HTTP/1,1", "HTTPS/1.1", "HTTP/a.b"])
    func rejectsMalformedVersions(_ version: String) {
        expectParseError(requestHead("GET / \(version)"), .badRequest, "invalid_request_line")
    }

    @Test func requestLineLimitBoundary() {
        var limits = HTTPParserLimits()
        limits.maxRequestLineBytes = 64
        let prefix = "GET /"
        let suffix = " HTTP/1.1"
        let fits = prefix + String(repeating: "a", count: 64 - prefix.count - suffix.count) + suffix
        #expect(fits.utf8.count == 64)
        #expect(parseSingle(requestHead(fits), limits: limits) != nil)
        let over = prefix + String(repeating: "a", count: 65 - prefix.count - suffix.count) + suffix
        expectParseError(requestHead(over), .uriTooLong, "request_line_too_long", limits: limits)
    }

    @Test func requestLineLimitIsEnforcedBeforeTheLineEnds() {
        var limits = HTTPParserLimits()
        limits.maxRequestLineBytes = 100
        var parser = HTTPRequestParser(limits: limits)
        parser.append(octets("GET /" + String(repeating: "a", count: 95)))
        #expect((try? parser.next()) == nil)
        #expect(parser.phase == .head)
        parser.append(octets("a"))  // byte 101, no CRLF in sight
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(parser.failure?.status == .uriTooLong)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func defaultRequestLineLimitIs8KiB() {
        let target = "/" + String(repeating: "a", count: 8 * 1024 - "GET / HTTP/1.1".utf8.count)
        #expect(parseSingle(requestHead("GET \(target) HTTP/1.1")) != nil)
        expectParseError(requestHead("GET \(target)a HTTP/1.1"), .uriTooLong, "request_line_too_long")
    }

    @Test func ignoresBoundedLeadingEmptyLines() {
        let eight = String(repeating: "\r\n", count: 8)
        #expect(parseSingle(eight + requestHead()) != nil)
        expectParseError(eight + "\r\n" + requestHead(), .badRequest, "invalid_request_line")
        expectParseError("\n" + requestHead(), .badRequest, "bare_line_feed")
        // Empty lines between keep-alive requests are tolerated the same way.
        let pair = parseOutcomes(requestHead() + "\r\n" + requestHead("GET /2 HTTP/1.1"))
        #expect(pair.compactMap(\.request).map(\.path) == ["/", "/2"])
    }
}
