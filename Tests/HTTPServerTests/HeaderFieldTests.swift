import HTTPServer
import Testing
import TestSupport

@Suite("Header fields and line endings", .ownThreads)
struct HeaderFieldTests {
    @Test func parsesFieldsKeepingOrderAndCase() throws {
        let request = try #require(
            parseSingle(
                "GET / HTTP/1.1\r\nHost: vault.example\r\nX-Trace:  \t abc def \t \r\nx-trace:second\r\n"
                    + "Empty:\r\nAuthorization: Bearer k\r\n\r\n"))
        #expect(request.headers.map(\.name) == ["Host", "X-Trace", "x-trace", "Empty", "Authorization"])
        #expect(request.headers["X-TRACE"] == "abc def")
        #expect(request.headers.values(for: "x-trace") == ["abc def", "second"])
        #expect(request.headers["empty"] == "")
        #expect(request.headers["missing"] == nil)
        #expect(request.headers.count == 5)
    }

    @Test func acceptsTabsAndUTF8InValues() throws {
        let request = try #require(parseSingle(requestHead("GET / HTTP/1.1", "X-A: a\tb", "X-Name: Zoë")))
        #expect(request.headers["x-a"] == "a\tb")
        #expect(request.headers["x-name"] == "Zoë")
    }

    @Test(arguments: [
        "Host : x",  // space before the colon
        "X-A\t: x",  // tab before the colon
        "NoColonHere",
        ": value",  // empty name
        "Ho st: x",
        "X(y): z",
        "X\u{7F}: z",
        "X\u{1}: z",
    ])
    func rejectsInvalidNames(_ line: String) {
        expectParseError(requestHead("GET / HTTP/1.1", line), .badRequest, "invalid_header_name")
    }

    @Test func rejectsNonASCIIName() {
        expectParseError(octets("GET / HTTP/1.1\r\nX-") + [0xC3, 0xA9] + octets(": v\r\nHost: a\r\n\r\n"), .badRequest, "invalid_header_name")
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: a\r\n\r\n",  // whitespace between request line and first field
    ])
    func rejectsObsoleteLineFolding(_ input: String) {
        expectParseError(input, .badRequest, "obsolete_line_folding")
    }

    @Test(arguments: ["X-A: a\u{0}b", "X-A: a\u{1}", "X-A: \u{1B}[31m", "X-A: a\u{7F}", "X-A: \u{0}"])
    func rejectsControlCharactersInValues(_ line: String) {
        expectParseError(requestHead("GET / HTTP/1.1", line), .badRequest, "invalid_header_value")
    }

    @Test func rejectsInvalidUTF8InValues() {
        expectParseError(octets("GET / HTTP/1.1\r\nHost: a\r\nX-A: ") + [0xFF, 0xFE] + octets("\r\n\r\n"), .badRequest, "invalid_header_value")
        expectParseError(octets("GET / HTTP/1.1\r\nHost: a\r\nX-A: ") + [0xC3] + octets("\r\n\r\n"), .badRequest, "invalid_header_value")
    }

    @Test(arguments: [
        "GET / HTTP/1.1\n",
        "GET / HTTP/1.1\nHost: a\n\n",
        "GET / HTTP/1.1\r\nHost: a\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nc\r\n\r\n",  // LF inside a value
    ])
    func rejectsBareLineFeeds(_ input: String) {
        expectParseError(input, .badRequest, "bare_line_feed")
    }

    @Test(arguments: [
        "GET / HTTP/1.1\rHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n",  // CR inside a value
        "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n",
        "GET /\r HTTP/1.1\r\n\r\n",
    ])
    func rejectsBareCarriageReturns(_ input: String) {
        expectParseError(input, .badRequest, "bare_carriage_return")
    }

    @Test func requiresHostOnHTTP11() {
        expectParseError("GET / HTTP/1.1\r\n\r\n", .badRequest, "missing_host")
        expectParseError("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n", .badRequest, "missing_host")
        #expect(parseSingle("GET / HTTP/1.0\r\n\r\n") != nil)
    }

    @Test func rejectsSeveralHosts() {
        expectParseError(requestHead("GET / HTTP/1.1", "Host: vault.example"), .badRequest, "duplicate_host")
        expectParseError(requestHead("GET / HTTP/1.1", "HOST: other"), .badRequest, "duplicate_host")
        expectParseError("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", .badRequest, "duplicate_host")
    }

    @Test(arguments: ["a b", "a/b", "user@a", "a\\b", "a\"", "é.example"])
    func rejectsInvalidHostValues(_ value: String) {
        expectParseError("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n", .badRequest, "invalid_host")
    }

    @Test(arguments: ["vault.example", "vault.example:8443", "[::1]:8443", "127.0.0.1", ""])
    func acceptsValidHostValues(_ value: String) {
        #expect(parseSingle("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n")?.headers["Host"] == value)
    }

    @Test func headerCountBoundary() {
        var limits = HTTPParserLimits()
        limits.maxHeaderCount = 10
        let nine = (1...9).map { "X-\($0): v" }
        #expect(parseSingle(requestHead("GET / HTTP/1.1", nine), limits: limits)?.headers.count == 10)
        let ten = (1...10).map { "X-\($0): v" }
        expectParseError(requestHead("GET / HTTP/1.1", ten), .requestHeaderFieldsTooLarge, "too_many_headers", limits: limits)
    }

    @Test func defaultHeaderCountIs100() {
        let fields = (1...99).map { "X-\($0): v" }
        #expect(parseSingle(requestHead("GET / HTTP/1.1", fields))?.headers.count == 100)
        expectParseError(
            requestHead("GET / HTTP/1.1", fields + ["X-100: v"]), .requestHeaderFieldsTooLarge,
            "too_many_headers")
    }

    @Test func headerBytesBoundary() {
        var limits = HTTPParserLimits()
        limits.maxHeaderBytes = 100
        // "Host: vault.example\r\n" is 21 bytes; the filler line is "X: " + n bytes + CRLF.
        let fits = "X: " + String(repeating: "v", count: 100 - 21 - 5)
        #expect(parseSingle(requestHead("GET / HTTP/1.1", fits), limits: limits) != nil)
        let over = fits + "v"
        expectParseError(requestHead("GET / HTTP/1.1", over), .requestHeaderFieldsTooLarge, "headers_too_large", limits: limits)
    }

    @Test func headerBytesLimitIsEnforcedBeforeTheLineEnds() {
        var limits = HTTPParserLimits()
        limits.maxHeaderBytes = 1000
        var parser = HTTPRequestParser(limits: limits)
        parser.append(octets("GET / HTTP/1.1\r\nX: "))
        parser.append(octets(String(repeating: "v", count: 995)))
        #expect((try? parser.next()) == nil)
        parser.append(octets("v"))  // 999 content bytes + CRLF would be 1001: refused now
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(parser.failure?.code == "headers_too_large")
    }

    @Test func defaultHeaderBytesAre32KiB() {
        let filler = "X: " + String(repeating: "v", count: 32 * 1024 - 21 - 5)
        #expect(parseSingle(requestHead("GET / HTTP/1.1", filler)) != nil)
        expectParseError(requestHead("GET / HTTP/1.1", filler + "v"), .requestHeaderFieldsTooLarge, "headers_too_large")
    }
}

private func requestHead(_ requestLine: String, _ lines: [String]) -> String {
    var text = requestLine + "\r\nHost: vault.example\r\n"
    for line in lines { text += line + "\r\n" }
    return text + "\r\n"
}
