import HTTPServer
import Testing
import TestSupport

@Suite("Chunked bodies", .ownThreads)
struct ChunkedBodyTests {
    private let chunkedHead = postHead(["Transfer-Encoding: chunked"])

    @Test func decodesChunks() throws {
        let request = try #require(parseSingle(chunkedHead + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
        #expect(request.body == octets("hello world"))
        #expect(request.headers["Transfer-Encoding"] == "chunked")
    }

    @Test func decodesHexSizesInEitherCase() {
        let data = String(repeating: "x", count: 0x1A)
        #expect(parseSingle(chunkedHead + "1A\r\n\(data)\r\n1a\r\n\(data)\r\n0\r\n\r\n")?.body.count == 0x34)
        #expect(parseSingle(chunkedHead + "0000000A\r\n0123456789\r\n00\r\n\r\n")?.body.count == 10)
    }

    @Test func emptyChunkedBody() {
        #expect(parseSingle(chunkedHead + "0\r\n\r\n")?.body == [])
    }

    @Test(arguments: [
        "5;name=value", "5;flag", "5 ;a=b", "5\t;\ta\t=\tb", "5;a=b;c;d=\"\"",
        "5;a=\"quoted; \\\"value\\\"\"", "5;a=\"tab\there\"",
    ])
    func ignoresWellFormedExtensions(_ sizeLine: String) {
        #expect(parseSingle(chunkedHead + sizeLine + "\r\nhello\r\n0;last=1\r\n\r\n")?.body == octets("hello"))
    }

    @Test func parsesAndDiscardsTrailers() throws {
        let request = try #require(
            parseSingle(chunkedHead + "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other:\tdef \r\n\r\n"))
        #expect(request.body == octets("hello"))
        #expect(request.headers["X-Checksum"] == nil)
    }

    @Test(arguments: [
        "x", "-5", "+5", "0x5", " 5", "5 ", "5\t", "", "g", "5x", "000000005", "123456789",
    ])
    func rejectsInvalidChunkSizes(_ sizeLine: String) {
        expectParseError(chunkedHead + sizeLine + "\r\nhello\r\n0\r\n\r\n", .badRequest, "invalid_chunk_size")
    }

    @Test(arguments: [
        "5;", "5;=b", "5;a=", "5;a=\"open", "5;a=b ", "5;a b", "5;a=b c", "5;a=\"x\u{1}\"", "5;a\u{7F}",
        "5;a=\"x\\", "5; ;a", "5;a=b;",
    ])
    func rejectsMalformedExtensions(_ sizeLine: String) {
        expectParseError(chunkedHead + sizeLine + "\r\nhello\r\n0\r\n\r\n", .badRequest, "invalid_chunk_extension")
    }

    @Test func boundsTheChunkSizeLine() {
        var limits = HTTPParserLimits()
        limits.maxChunkLineBytes = 32
        let fits = "5;" + String(repeating: "a", count: 30)
        #expect(parseSingle(chunkedHead + fits + "\r\nhello\r\n0\r\n\r\n", limits: limits) != nil)
        // One byte over, and no CRLF ever arrives: refused as soon as the line is too long.
        expectParseError(chunkedHead + fits + "a", .badRequest, "invalid_chunk_size", limits: limits)
        // The default is 1 KiB.
        expectParseError(chunkedHead + "5;" + String(repeating: "a", count: 1024), .badRequest, "invalid_chunk_size")
    }

    @Test(arguments: [
        "5\r\nhelloX\r\n0\r\n\r\n",  // no CRLF after the data
        "3\r\nhello\r\n0\r\n\r\n",  // more data than declared
        "5\r\nhello\n0\r\n\r\n",  // bare LF after the data
        "5\r\nhello\rX0\r\n\r\n",  // CR not followed by LF
        "5\r\nhello0\r\n\r\n",
    ])
    func requiresCRLFAfterChunkData(_ body: String) {
        expectParseError(chunkedHead + body, .badRequest, "invalid_chunk_framing")
    }

    @Test func chunkLineEndingsAreStrict() {
        expectParseError(chunkedHead + "5\nhello\r\n0\r\n\r\n", .badRequest, "bare_line_feed")
        expectParseError(chunkedHead + "5\rhello\r\n0\r\n\r\n", .badRequest, "bare_carriage_return")
        expectParseError(chunkedHead + "5\r\nhello\r\n0\n\r\n", .badRequest, "bare_line_feed")
        expectParseError(chunkedHead + "5\r\nhello\r\n0\r\n\n", .badRequest, "bare_line_feed")
    }

    @Test func bodyLimitCountsAllChunks() {
        var limits = HTTPParserLimits()
        limits.maxBodyBytes = 10
        #expect(parseSingle(chunkedHead + "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", limits: limits)?.body.count == 10)
        // Refused when the size of the chunk that goes over is read, before its data.
        expectParseError(chunkedHead + "5\r\n01234\r\n6\r\n", .payloadTooLarge, "body_too_large", limits: limits)
        expectParseError(chunkedHead + "b\r\n", .payloadTooLarge, "body_too_large", limits: limits)
        expectParseError(chunkedHead + "ffffffff\r\n", .payloadTooLarge, "body_too_large")
    }

    @Test func trailersAreValidatedLikeHeaders() {
        expectParseError(chunkedHead + "0\r\nX-A: a\r\n b\r\n\r\n", .badRequest, "obsolete_line_folding")
        expectParseError(chunkedHead + "0\r\nX A: a\r\n\r\n", .badRequest, "invalid_header_name")
        expectParseError(chunkedHead + "0\r\nNoColon\r\n\r\n", .badRequest, "invalid_header_name")
        expectParseError(chunkedHead + "0\r\nX-A: \u{0}\r\n\r\n", .badRequest, "invalid_header_value")
        expectParseError(octets(chunkedHead + "0\r\nX-A: ") + [0xFF] + octets("\r\n\r\n"), .badRequest, "invalid_header_value")
        expectParseError(chunkedHead + "0\r\nX-A: a\r\r\n\r\n", .badRequest, "bare_carriage_return")
    }

    @Test func trailersAreBoundedByTheHeaderLimits() {
        var limits = HTTPParserLimits()
        limits.maxHeaderCount = 3
        limits.maxHeaderBytes = 64
        let three = "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(parseSingle(chunkedHead + three, limits: limits) != nil)
        expectParseError(chunkedHead + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", .requestHeaderFieldsTooLarge, "too_many_headers", limits: limits)
        let fits = "X: " + String(repeating: "v", count: 64 - 5)  // 64 bytes with CRLF
        #expect(parseSingle(chunkedHead + "0\r\n" + fits + "\r\n\r\n", limits: limits) != nil)
        expectParseError(chunkedHead + "0\r\n" + fits + "v", .requestHeaderFieldsTooLarge, "headers_too_large", limits: limits)
    }

    @Test func chunkDataIsReleasedFromTheReceiveBufferAsItArrives() throws {
        var parser = HTTPRequestParser()
        parser.append(octets(chunkedHead + "8000\r\n"))
        #expect(try parser.next() == nil)
        parser.append([UInt8](repeating: 0x61, count: 0x4000))
        #expect(try parser.next() == nil)
        #expect(parser.bufferedByteCount == 0)
        #expect(parser.phase == .body)
        parser.append([UInt8](repeating: 0x62, count: 0x4000))
        parser.append(octets("\r\n0\r\n\r\n"))
        guard case .request(let request)? = try parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(request.body.count == 0x8000)
        #expect(request.body.first == 0x61 && request.body.last == 0x62)
    }
}
