import HTTPServer
import Testing
import TestSupport

@Suite("Body framing: Content-Length and Transfer-Encoding", .ownThreads)
struct FramingTests {
    @Test func parsesContentLengthBody() throws {
        let request = try #require(
            parseSingle("POST /v1/cards HTTP/1.1\r\nHost: a\r\nContent-Length: 14\r\n\r\n{\"pan\":\"4111\"}"))
        #expect(request.method == "POST")
        #expect(request.body == octets("{\"pan\":\"4111\"}"))
    }

    @Test func noFramingMeansEmptyBody() throws {
        let request = try #require(parseSingle(requestHead("POST / HTTP/1.1")))
        #expect(request.body.isEmpty)
        #expect(parseSingle(requestHead("POST / HTTP/1.1", "Content-Length: 0"))?.body == [])
        #expect(parseSingle(requestHead("POST / HTTP/1.1", "Content-Length: 000"))?.body == [])
    }

    @Test func getAndHeadWithFramedBodyAreParsed() {
        #expect(parseSingle(requestHead("GET / HTTP/1.1", "Content-Length: 2") + "ab")?.body == octets("ab"))
        #expect(parseSingle(requestHead("HEAD / HTTP/1.1", "Transfer-Encoding: chunked") + "2\r\nab\r\n0\r\n\r\n")?.body == octets("ab"))
    }

    @Test func contentLengthAcceptsLeadingZerosAndOWS() {
        #expect(parseSingle(requestHead("POST / HTTP/1.1", "Content-Length: \t 003 ") + "abc")?.body == octets("abc"))
    }

    @Test(arguments: [
        ["Content-Length: 3", "Transfer-Encoding: chunked"],
        ["Transfer-Encoding: chunked", "Content-Length: 3"],
        ["Transfer-Encoding: gzip", "Content-Length: 3"],
        ["content-length: 0", "TRANSFER-ENCODING: chunked"],
    ])
    func rejectsContentLengthWithTransferEncoding(_ fields: [String]) {
        expectParseError(postHead(fields) + "3\r\nabc\r\n0\r\n\r\n", .badRequest, "ambiguous_framing")
    }

    @Test func rejectsTransferEncodingOnHTTP10() {
        expectParseError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .badRequest, "ambiguous_framing")
    }

    @Test(arguments: [
        ["Content-Length: 3", "Content-Length: 3"],  // identical repeats are refused too
        ["Content-Length: 3", "Content-Length: 4"],
        ["Content-Length: 3, 3"],
        ["Content-Length: 3,4"],
        ["Content-Length: 3,"],
        ["Content-Length: ,3"],
    ])
    func rejectsDuplicateContentLength(_ fields: [String]) {
        expectParseError(postHead(fields) + "abcd", .badRequest, "duplicate_content_length")
    }

    @Test(arguments: [
        "+3", "-3", "3 3", "0x3", "3a", "", "1e3", "3.0", "٣",
        "1234567890123456789",  // 19 digits: refused before it could overflow
        "99999999999999999999999999",
    ])
    func rejectsInvalidContentLength(_ value: String) {
        expectParseError(postHead(["Content-Length: \(value)"]) + "abc", .badRequest, "invalid_content_length")
    }

    @Test func rejectsDeclaredLengthOverLimitBeforeTheBody() {
        var limits = HTTPParserLimits()
        limits.maxBodyBytes = 10
        #expect(parseSingle(postHead(["Content-Length: 10"]) + "0123456789", limits: limits)?.body.count == 10)
        // The head alone is enough to refuse: nothing of the body has been sent.
        expectParseError(postHead(["Content-Length: 11"]), .payloadTooLarge, "body_too_large", limits: limits)
        expectParseError(postHead(["Content-Length: 999999999999999999"]), .payloadTooLarge, "body_too_large")
    }

    @Test func aFailedRequestKeepsItsPathForTheErrorResponse() throws {
        var limits = HTTPParserLimits()
        limits.maxBodyBytes = 10
        var parser = HTTPRequestParser(limits: limits)
        parser.append(octets("GET /first HTTP/1.1\r\nHost: a\r\n\r\n" + postHead(["Content-Length: 11"], requestLine: "POST /v1/x?q HTTP/1.1")))
        #expect(try parser.next() != nil)
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(parser.failedRequestPath == "/v1/x")

        var garbled = HTTPRequestParser()
        garbled.append(octets("\u{1}\r\n"))
        #expect(throws: HTTPParseError.self) { try garbled.next() }
        #expect(garbled.failedRequestPath == nil, "no request line, no path")
    }

    @Test func defaultBodyLimitIs1MiB() {
        let body = [UInt8](repeating: 0x61, count: 1024 * 1024)
        let request = feed(octets(postHead(["Content-Length: \(body.count)"])) + body)
        #expect(request.first?.request?.body.count == body.count)
        expectParseError(postHead(["Content-Length: \(body.count + 1)"]), .payloadTooLarge, "body_too_large")
    }

    @Test func bodyMayContainAnyBytes() {
        let body: [UInt8] = [0, 13, 10, 13, 10, 0xFF, 0x80, 10]
        #expect(parseSingle(octets(postHead(["Content-Length: 8"])) + body)?.body == body)
    }

    @Test(arguments: [
        "gzip", "chunked, chunked", "gzip, chunked", "chunked, gzip", "identity", "chunked;q=1",
        "x-chunked", "", "chunked,",
    ])
    func rejectsUnsupportedTransferEncodings(_ value: String) {
        expectParseError(postHead(["Transfer-Encoding: \(value)"]) + "0\r\n\r\n", .notImplemented, "unsupported_transfer_encoding")
    }

    @Test func rejectsRepeatedTransferEncodingFields() {
        expectParseError(
            postHead(["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"]) + "0\r\n\r\n",
            .notImplemented, "unsupported_transfer_encoding")
    }

    @Test func transferEncodingNameAndValueAreCaseInsensitive() {
        #expect(parseSingle(postHead(["transfer-encoding: Chunked"]) + "1\r\na\r\n0\r\n\r\n")?.body == octets("a"))
        #expect(parseSingle(postHead(["Transfer-Encoding: CHUNKED "]) + "0\r\n\r\n")?.body == [])
    }
}

/// A POST head with `Host` and the given fields.
func postHead(_ fields: [String], requestLine: String = "POST /v1/cards HTTP/1.1") -> String {
    var text = requestLine + "\r\nHost: vault.example\r\n"
    for field in fields { text += field + "\r\n" }
    return text + "\r\n"
}
