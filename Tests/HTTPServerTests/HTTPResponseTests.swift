import HTTPServer
import Testing
import TestSupport

@Suite("Response serialization and status codes", .ownThreads)
struct HTTPResponseTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func serializesStatusLineHeadersLengthAndBody() {
        let response = HTTPResponse(
            status: .created, headers: ["Content-Type": "application/json", "X-Request-ID": "r1"],
            body: octets("{\"token\":\"t\"}"))
        #expect(
            text(response.serialized(closing: false))
                == "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Request-ID: r1\r\n"
                + "Content-Length: 13\r\n\r\n{\"token\":\"t\"}")
    }

    @Test func closingAddsConnectionClose() {
        let response = HTTPResponse(status: .badRequest, headers: ["Connection": "keep-alive"], body: octets("no"))
        #expect(
            text(response.serialized(closing: true))
                == "HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno")
        // Not closing: a Connection field the caller set (keep-alive for HTTP/1.0) is kept.
        #expect(
            text(response.serialized(closing: false))
                == "HTTP/1.1 400 Bad Request\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nno")
    }

    @Test func emptyBodyStillHasContentLength() {
        #expect(text(HTTPResponse(status: .ok).serialized(closing: false)) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func serializerOwnsFraming() {
        let response = HTTPResponse(
            status: .ok, headers: ["Content-Length": "999", "transfer-encoding": "chunked", "X-A": "1"],
            body: octets("abc"))
        #expect(text(response.serialized(closing: false)) == "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 3\r\n\r\nabc")
    }

    @Test func noContentAndInformationalHaveNoLengthOrBody() {
        #expect(text(HTTPResponse(status: .noContent, body: octets("x")).serialized(closing: false)) == "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(text(HTTPResponse(status: .notModified).serialized(closing: true)) == "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n")
    }

    @Test func headResponseHasLengthButNoBody() {
        let response = HTTPResponse(status: .ok, body: octets("hello"))
        #expect(text(response.serialized(closing: false, headRequest: true)) == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    }

    @Test func responseSplittingIsImpossible() {
        let response = HTTPResponse(
            status: .ok,
            headers: [
                "X-A": "a\r\nSet-Cookie: evil=1", "X-B": "b\0c", "Bad Name": "x", "X-C\r\nInjected": "y",
                "": "z", "X-D": "  tab\there \u{1} ", "X-E": "é",
            ])
        let serialized = text(response.serialized(closing: false))
        #expect(
            serialized
                == "HTTP/1.1 200 OK\r\nX-A: aSet-Cookie: evil=1\r\nX-B: bc\r\nX-D: tab\there\r\nX-E: é\r\n"
                + "Content-Length: 0\r\n\r\n")
    }

    @Test func unknownStatusHasEmptyReason() {
        #expect(text(HTTPResponse(status: HTTPStatus(299)).serialized(closing: false)).hasPrefix("HTTP/1.1 299 \r\n"))
    }

    @Test func rawValuesOutsideThreeDigitsAreRefused() {
        #expect(HTTPStatus(rawValue: 99) == nil)
        #expect(HTTPStatus(rawValue: 1000) == nil)
        #expect(HTTPStatus(rawValue: -1) == nil)
        #expect(HTTPStatus(rawValue: 422) == .unprocessableEntity)
        #expect(HTTPStatus(7).rawValue == 100)
        #expect(HTTPStatus(12345).rawValue == 999)
    }

    @Test func continueBytes() {
        #expect(text(HTTPResponse.continueBytes) == "HTTP/1.1 100 Continue\r\n\r\n")
    }

    @Test(arguments: [
        (HTTPStatus.continue, 100, "Continue"), (.ok, 200, "OK"), (.created, 201, "Created"),
        (.noContent, 204, "No Content"), (.multiStatus, 207, "Multi-Status"),
        (.badRequest, 400, "Bad Request"), (.unauthorized, 401, "Unauthorized"),
        (.forbidden, 403, "Forbidden"), (.notFound, 404, "Not Found"),
        (.methodNotAllowed, 405, "Method Not Allowed"), (.requestTimeout, 408, "Request Timeout"),
        (.conflict, 409, "Conflict"), (.gone, 410, "Gone"), (.payloadTooLarge, 413, "Content Too Large"),
        (.uriTooLong, 414, "URI Too Long"), (.expectationFailed, 417, "Expectation Failed"),
        (.misdirectedRequest, 421, "Misdirected Request"),
        (.unprocessableEntity, 422, "Unprocessable Content"), (.tooManyRequests, 429, "Too Many Requests"),
        (.requestHeaderFieldsTooLarge, 431, "Request Header Fields Too Large"),
        (.internalServerError, 500, "Internal Server Error"), (.notImplemented, 501, "Not Implemented"),
        (.serviceUnavailable, 503, "Service Unavailable"),
        (.httpVersionNotSupported, 505, "HTTP Version Not Supported"),
    ])
    func statusCodes(_ status: HTTPStatus, _ code: Int, _ reason: String) {
        #expect(status.rawValue == code)
        #expect(status.reasonPhrase == reason)
        #expect(HTTPStatus(rawValue: code) == status)
    }

    @Test func parseErrorResponseNeverEchoesTheRequest() throws {
        var parser = HTTPRequestParser()
        parser.append(octets("GET /4111111111111111 HTTP/1.1\r\nHost: a\r\nX-Evil: \u{1}4111111111111111\r\n\r\n"))
        var caught: HTTPParseError?
        do { _ = try parser.next() } catch { caught = error }
        let error = try #require(caught)
        #expect(error.code == "invalid_header_value")
        let wire = text(error.response.serialized(closing: true))
        #expect(
            wire
                == "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: \(error.response.body.count)\r\n"
                + "Connection: close\r\n\r\n{\"error\":{\"code\":\"invalid_header_value\",\"message\":\"\(error.message)\"}}")
        #expect(!wire.contains("4111"))
        #expect(!"\(error)".contains("4111"))
    }

    @Test func descriptionsRedactSecrets() throws {
        let request = try #require(
            parseSingle(
                postHead(["Authorization: Bearer secret-key", "Content-Length: 16"],
                    requestLine: "POST /v1/cards?pan=4111111111111111 HTTP/1.1") + "4111111111111111"))
        for rendered in ["\(request)", String(reflecting: request), "\(request.headers)", "\(request.head)"] {
            #expect(!rendered.contains("secret-key"))
            #expect(!rendered.contains("4111"))
        }
        var dumped = ""
        dump(request, to: &dumped)
        #expect(!dumped.contains("secret-key"))
        #expect(!dumped.contains("4111"))
        let response = HTTPResponse(status: .ok, headers: ["Set-Cookie": "s=secret-key"], body: octets("4111111111111111"))
        #expect(!"\(response)".contains("4111") && !"\(response)".contains("secret-key"))
    }
}

@Suite("Parser limits", .ownThreads)
struct ParserLimitsTests {
    @Test func defaults() {
        let limits = HTTPParserLimits()
        #expect(limits.maxRequestLineBytes == 8 * 1024)
        #expect(limits.maxHeaderBytes == 32 * 1024)
        #expect(limits.maxHeaderCount == 100)
        #expect(limits.maxBodyBytes == 1024 * 1024)
        #expect(limits.maxChunkLineBytes == 1024)
        #expect(limits.maxLeadingEmptyLines == 8)
    }
}

@Suite("HTTPHeaders", .ownThreads)
struct HTTPHeadersTests {
    @Test func lookupIsCaseInsensitiveAndOrdered() {
        var headers: HTTPHeaders = ["Content-Type": "a", "X-B": "b"]
        headers.add("content-type", "c")
        #expect(headers["CONTENT-TYPE"] == "a")
        #expect(headers.values(for: "Content-type") == ["a", "c"])
        #expect(headers.count == 3)
        #expect(headers.map(\.name) == ["Content-Type", "X-B", "content-type"])
        #expect(headers.contains("x-b"))
        #expect(!headers.contains("x-bb"))
        #expect(headers["X-"] == nil)
    }

    @Test func replaceOrAddKeepsFirstPositionAndDropsTheRest() {
        var headers: HTTPHeaders = ["A": "1", "B": "2", "a": "3", "C": "4"]
        headers.replaceOrAdd("a", "new")
        #expect(headers.map(\.name) == ["A", "B", "C"])
        #expect(headers["A"] == "new")
        headers.replaceOrAdd("D", "5")
        #expect(headers.map(\.name) == ["A", "B", "C", "D"])
        headers.remove("b")
        #expect(headers.map(\.name) == ["A", "C", "D"])
    }

    @Test func emptyHeaders() {
        let headers = HTTPHeaders()
        #expect(headers.isEmpty)
        #expect(headers.count == 0)
        #expect(headers == [:])
    }
}
