import HTTPServer
import Testing
import TestSupport

@Suite("Keep-alive, pipelining and smuggling", .ownThreads)
struct ConnectionTests {
    @Test(arguments: [
        ("HTTP/1.1", nil, true),
        ("HTTP/1.1", "close", false),
        ("HTTP/1.1", "Close", false),
        ("HTTP/1.1", "CLOSE", false),
        ("HTTP/1.1", "keep-alive", true),
        ("HTTP/1.1", "Upgrade, close", false),
        ("HTTP/1.1", " keep-alive ,  Close ", false),
        ("HTTP/1.1", "closed", true),
        ("HTTP/1.1", "x-close", true),
        ("HTTP/1.0", nil, false),
        ("HTTP/1.0", "keep-alive", true),
        ("HTTP/1.0", "Keep-Alive", true),
        ("HTTP/1.0", "KEEP-ALIVE, TE", true),
        ("HTTP/1.0", "keep-alive, close", false),
        ("HTTP/1.0", "close", false),
    ] as [(String, String?, Bool)])
    func keepAliveSemantics(version: String, connection: String?, keepAlive: Bool) {
        var text = "GET / \(version)\r\nHost: a\r\n"
        if let connection { text += "Connection: \(connection)\r\n" }
        #expect(parseSingle(text + "\r\n")?.keepAlive == keepAlive)
    }

    @Test func connectionTokensAcrossSeveralFields() {
        #expect(parseSingle(requestHead("GET / HTTP/1.1", "Connection: keep-alive", "connection: close"))?.keepAlive == false)
        #expect(parseSingle("GET / HTTP/1.0\r\nConnection: TE\r\nConnection: Keep-Alive\r\n\r\n")?.keepAlive == true)
    }

    @Test func pipelinedRequestsComeOutInOrder() throws {
        let input =
            requestHead("GET /1 HTTP/1.1")
            + postHead(["Content-Length: 5"], requestLine: "POST /2 HTTP/1.1") + "hello"
            + postHead(["Transfer-Encoding: chunked"], requestLine: "PUT /3 HTTP/1.1") + "3\r\nabc\r\n0\r\n\r\n"
            + requestHead("DELETE /4 HTTP/1.1")
        let requests = parseOutcomes(input).compactMap(\.request)
        #expect(requests.map(\.method) == ["GET", "POST", "PUT", "DELETE"])
        #expect(requests.map(\.path) == ["/1", "/2", "/3", "/4"])
        #expect(requests.map(\.body) == [[], octets("hello"), octets("abc"), []])
    }

    @Test func bytesAfterARequestStayBufferedForTheNext() throws {
        var parser = HTTPRequestParser()
        parser.append(octets(requestHead("GET /1 HTTP/1.1") + "GET /2 HT"))
        guard case .request(let first)? = try parser.next() else {
            Issue.record("no first request")
            return
        }
        #expect(first.path == "/1")
        #expect(try parser.next() == nil)
        #expect(parser.phase == .head)
        #expect(parser.bufferedByteCount == "GET /2 HT".utf8.count)
        parser.append(octets("TP/1.1\r\nHost: a\r\n\r\n"))
        guard case .request(let second)? = try parser.next() else {
            Issue.record("no second request")
            return
        }
        #expect(second.path == "/2")
        #expect(parser.phase == .idle)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func nothingIsParsedAfterAClosingRequest() throws {
        let input = requestHead("GET /1 HTTP/1.1", "Connection: close") + requestHead("GET /2 HTTP/1.1")
        let result = parseOutcomes(input)
        #expect(result.count == 1)
        #expect(result.first?.request?.path == "/1")

        var parser = HTTPRequestParser()
        parser.append(octets(input))
        _ = try parser.next()
        #expect(parser.isClosed)
        #expect(try parser.next() == nil)
        parser.append(octets(requestHead("GET /3 HTTP/1.1")))
        #expect(try parser.next() == nil)
        #expect(parser.bufferedByteCount == 0)
        #expect(!parser.isMidRequest)
    }

    /// CL.TE request smuggling: a front end that honours Content-Length would forward the
    /// "smuggled" request as part of this body; one that honours chunked would see a second
    /// request. We refuse the first, and nothing after it ever comes out.
    @Test(arguments: [
        ["Content-Length: 6", "Transfer-Encoding: chunked"],
        ["Transfer-Encoding: chunked", "Content-Length: 6"],
        ["Content-Length: 6", "Content-Length: 5"],
        ["Transfer-Encoding: chunked", "Transfer-Encoding: identity"],
        ["Transfer-Encoding: xchunked"],
        ["Content-Length: 6, 0"],
    ])
    func smugglingAttemptYieldsOnlyAnError(_ fields: [String]) throws {
        let input = postHead(fields) + "0\r\n\r\n" + requestHead("GET /smuggled HTTP/1.1")
        let result = parseOutcomes(input)
        #expect(result.count == 1)
        #expect(result.first?.error != nil)

        var parser = HTTPRequestParser()
        parser.append(octets(input))
        var first: HTTPParseError?
        do { _ = try parser.next() } catch { first = error }
        #expect(first != nil)
        // The parser stays failed: the same error again, and new bytes are ignored.
        parser.append(octets(requestHead("GET /later HTTP/1.1")))
        var again: HTTPParseError?
        do { _ = try parser.next() } catch { again = error }
        #expect(again == first)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func obsFoldedTransferEncodingCannotSneakThrough() {
        let input = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 3\r\n\r\nabc"
        expectParseError(input, .badRequest, "obsolete_line_folding")
    }

    @Test func phaseTracksTheRequest() throws {
        var parser = HTTPRequestParser()
        #expect(parser.phase == .idle)
        #expect(!parser.isMidRequest)
        parser.append(octets("\r\n"))
        #expect(try parser.next() == nil)
        #expect(parser.phase == .idle)
        parser.append(octets("PO"))
        #expect(try parser.next() == nil)
        #expect(parser.phase == .head)
        #expect(parser.isMidRequest)
        parser.append(octets("ST / HTTP/1.1\r\nHost: a\r\n"))
        #expect(try parser.next() == nil)
        #expect(parser.phase == .head)
        parser.append(octets("Content-Length: 4\r\n\r\nab"))
        #expect(try parser.next() == nil)
        #expect(parser.phase == .body)
        parser.append(octets("cd"))
        #expect(try parser.next() != nil)
        #expect(parser.phase == .idle)
        #expect(!parser.isMidRequest)
    }

    @Test func manyPipelinedRequestsKeepTheBufferSmall() throws {
        let one = octets(postHead(["Content-Length: 3"]) + "abc")
        var parser = HTTPRequestParser()
        var count = 0
        for _ in 0..<2000 {
            parser.append(one + one)
            while let event = try parser.next() {
                if case .request(let request) = event, request.body == octets("abc") { count += 1 }
            }
            #expect(parser.bufferedByteCount == 0)
        }
        #expect(count == 4000)
    }
}
