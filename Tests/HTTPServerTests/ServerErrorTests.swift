import Foundation
import HTTPServer
import TestSupport
import Testing

@Suite("Server: parse errors, limits, 100-continue", .ownThreads)
struct ServerErrorTests {
    /// Sends `bytes`, expects one response and then the connection closed.
    private func errorExchange(
        _ bytes: String, configure: @escaping (inout HTTPServerConfiguration) -> Void = { _ in },
        counter: CallCounter = CallCounter()
    ) async throws -> (response: TestResponse, closed: Bool) {
        try await withServer(configure: configure, handler: echoHandler(counter: counter)) { _, port in
            try await blocking {
                let client = try TestClient(port: port)
                try client.send(bytes)
                let response = try client.readResponse()
                return (response, try client.closesWithoutData(within: .seconds(3)))
            }
        }
    }

    @Test func smugglingAttemptIsRefusedAndNothingReachesTheHandler() async throws {
        let counter = CallCounter()
        let attack =
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "0\r\n\r\n"
            + "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
        let (response, closed) = try await errorExchange(attack, counter: counter)
        #expect(response.status == 400)
        #expect(response.header("Connection") == "close")
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.text == #"{"error":{"code":"ambiguous_framing","message":"Content-Length and Transfer-Encoding must not be sent together."}}"#)
        #expect(closed)
        #expect(counter.value == 0)
    }

    @Test func duplicateContentLengthIsRefused() async throws {
        let counter = CallCounter()
        let (response, closed) = try await errorExchange(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", counter: counter)
        #expect(response.status == 400)
        #expect(closed)
        #expect(counter.value == 0)
    }

    @Test func oversizedHeaderSectionGets431() async throws {
        let big = String(repeating: "a", count: 40 * 1024)
        let (response, closed) = try await errorExchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(big)\r\n\r\n")
        #expect(response.status == 431)
        #expect(response.header("Connection") == "close")
        #expect(closed)
    }

    @Test func longRequestLineGets414() async throws {
        let path = "/" + String(repeating: "p", count: 9 * 1024)
        let (response, closed) = try await errorExchange("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.status == 414)
        #expect(closed)
    }

    @Test func bodyOverTheLimitGets413() async throws {
        let counter = CallCounter()
        let (response, closed) = try await errorExchange(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + String(repeating: "b", count: 100),
            configure: { $0.limits.maxBodyBytes = 16 }, counter: counter)
        #expect(response.status == 413)
        #expect(response.text.contains(#""code":"body_too_large""#))
        #expect(closed)
        #expect(counter.value == 0)
    }

    @Test func chunkedBodyOverTheLimitGets413() async throws {
        let (response, closed) = try await errorExchange(
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
            configure: { $0.limits.maxBodyBytes = 20 })
        #expect(response.status == 413)
        #expect(closed)
    }

    @Test func garbageGets400() async throws {
        let (response, closed) = try await errorExchange("\u{1}\u{2}hello\r\n\r\n")
        #expect(response.status == 400)
        #expect(closed)
    }

    @Test func expectContinueGetsAnInterimResponseBeforeTheBody() async throws {
        try await withServer { _, port in
            let client = try await blocking { try TestClient(port: port) }
            let interim = try await blocking {
                try client.send(
                    "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                return try client.readResponse()
            }
            #expect(interim.status == 100)
            let final = try await blocking {
                try client.send("12345")
                return try client.readResponse()
            }
            #expect(final.status == 200)
            #expect(final.text == "POST /upload\n12345")
        }
    }

    @Test func curlWithExpectContinue() async throws {
        try await withServer { _, port in
            let body = String(repeating: "z", count: 2000)
            let result = try await ProcessRunner.run(
                "/usr/bin/curl",
                ["-sS", "--max-time", "5", "-H", "Expect: 100-continue", "--data-binary", "@-", "http://127.0.0.1:\(port)/big"],
                input: Data(body.utf8))
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput == "POST /big\n" + body)
        }
    }
}
