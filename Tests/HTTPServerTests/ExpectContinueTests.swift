import HTTPServer
import Testing
import TestSupport

@Suite("Expect: 100-continue", .ownThreads)
struct ExpectContinueTests {
    @Test func emitsHeadBeforeBody() throws {
        let input = postHead(["Expect: 100-continue", "Content-Length: 5"])
        var parser = HTTPRequestParser()
        parser.append(octets(input))
        guard case .expectsContinue(let head)? = try parser.next() else {
            Issue.record("no expectsContinue")
            return
        }
        #expect(head.method == "POST")
        #expect(head.path == "/v1/cards")
        #expect(head.headers["expect"] == "100-continue")
        #expect(parser.phase == .body)
        // Once only: no second event while the body is missing.
        #expect(try parser.next() == nil)
        parser.append(octets("hello"))
        guard case .request(let request)? = try parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(request.body == octets("hello"))
        #expect(request.head == head)
        #expect(try parser.next() == nil)
    }

    @Test func sameEventsWhateverTheSplit() {
        let input = postHead(["Expect: 100-Continue", "Content-Length: 5"]) + "hello"
        let result = parseOutcomes(input)
        #expect(result.count == 2)
        guard result.count == 2, case .head(let head) = result[0], case .request(let request) = result[1] else {
            Issue.record("unexpected \(result)")
            return
        }
        #expect(request.head == head)
        #expect(request.body == octets("hello"))
    }

    @Test func chunkedBodyAlsoExpectsContinue() {
        let result = parseOutcomes(postHead(["Expect: 100-continue", "Transfer-Encoding: chunked"]) + "2\r\nhi\r\n0\r\n\r\n")
        #expect(result.map(\.description) == ["head(POST /v1/cards)", "request(POST /v1/cards 3h 2b)"])
    }

    @Test(arguments: [
        postHead(["Expect: 100-continue"]),
        postHead(["Expect: 100-continue", "Content-Length: 0"]),
        "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",  // ignored on 1.0
    ])
    func noEventWithoutABodyOrOnHTTP10(_ input: String) {
        let result = parseOutcomes(input)
        #expect(result.count == 1)
        #expect(result.first?.request != nil)
    }

    @Test(arguments: ["something", "100-continue, foo", "200-ok", "", "100-continue;x=1"])
    func otherExpectationsFailWith417(_ value: String) {
        expectParseError(postHead(["Expect: \(value)", "Content-Length: 2"]) + "ab", .expectationFailed, "unsupported_expectation")
    }

    @Test func oversizedBodyIsRefusedBeforeInvitingIt() {
        var limits = HTTPParserLimits()
        limits.maxBodyBytes = 4
        let result = parseOutcomes(postHead(["Expect: 100-continue", "Content-Length: 5"]), limits: limits)
        #expect(result.count == 1)
        #expect(result.first?.error?.code == "body_too_large")
    }
}
