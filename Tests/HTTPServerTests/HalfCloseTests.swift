import Foundation
import HTTPServer
import Testing
import TestSupport

/// A client that shuts its sending side (`shutdown(SHUT_WR)`, a FIN) is seen at once, whatever
/// the connection is doing: what it asked for is answered, then the server closes too, without
/// waiting for any timeout (they are all long here).
@Suite("Server: half-closed connections", .ownThreads)
struct HalfCloseTests {
    private static func longTimeouts(_ configuration: inout HTTPServerConfiguration) {
        configuration.headerTimeout = .seconds(30)
        configuration.bodyTimeout = .seconds(30)
        configuration.idleTimeout = .seconds(60)
    }

    /// Sends `bytes` and the FIN together (one event on the server more often than not), then
    /// reads every response `bytes` asks for and the close that must follow within a second.
    private static func sendThenHalfClose(_ bytes: String, port: Int, responses: Int)
        async throws -> (texts: [String], closed: Bool) {
        try await blocking {
            let client = try TestClient(port: port)
            try client.send(bytes)
            client.shutdownWrite()
            let texts = try (0..<responses).map { _ in try client.readResponse().text }
            return (texts, try client.closesWithoutData(within: .seconds(1)))
        }
    }

    @Test func aCompleteRequestIsAnsweredThenTheSocketClosesAtOnce() async throws {
        try await withServer(configure: Self.longTimeouts) { _, port in
            for trial in 0..<10 {
                let (texts, closed) = try await Self.sendThenHalfClose(
                    "GET /trial\(trial) HTTP/1.1\r\nHost: x\r\n\r\n", port: port, responses: 1)
                #expect(texts == ["GET /trial\(trial)\n"])
                #expect(closed, "trial \(trial)")
            }
        }
    }

    @Test func theFINArrivingWhileTheHandlerRunsClosesRightAfterTheResponse() async throws {
        try await withServer(configure: Self.longTimeouts, handler: echoHandler(delay: .milliseconds(50))) { _, port in
            let (texts, closed) = try await Self.sendThenHalfClose(
                "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok", port: port, responses: 1)
            #expect(texts == ["POST /slow\nok"])
            #expect(closed)
        }
    }

    @Test func pipelinedRequestsBeforeTheFINAreAllAnsweredInOrder() async throws {
        try await withServer(configure: Self.longTimeouts) { _, port in
            let requests = (1...3).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
            let (texts, closed) = try await Self.sendThenHalfClose(requests, port: port, responses: 3)
            #expect(texts == ["GET /1\n", "GET /2\n", "GET /3\n"])
            #expect(closed)
        }
    }

    @Test(arguments: [
        "GET /partial HTTP/1.1\r\nHost: x\r\nX-Par",
        "POST /partial HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
        "POST /partial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    ])
    func aPartialRequestFollowedByTheFINClosesAtOnceWithoutAnAnswer(_ partial: String) async throws {
        let counter = CallCounter()
        try await withServer(configure: Self.longTimeouts, handler: echoHandler(counter: counter)) { _, port in
            for trial in 0..<3 {
                let (_, closed) = try await Self.sendThenHalfClose(partial, port: port, responses: 0)
                #expect(closed, "trial \(trial)")
            }
        }
        #expect(counter.value == 0)
    }

    /// The lingering close after an error ends at the client's FIN, not after the linger time.
    @Test func aRefusedRequestFollowedByTheFINIsAnsweredThenClosedAtOnce() async throws {
        try await withServer(configure: Self.longTimeouts) { _, port in
            for trial in 0..<3 {
                let (texts, closed) = try await Self.sendThenHalfClose(
                    "GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", port: port, responses: 1)
                #expect(texts.first?.contains(#""code":"invalid_header_name""#) == true)
                #expect(closed, "trial \(trial)")
            }
        }
    }

    @Test func anIdleKeepAliveConnectionClosesAtItsFIN() async throws {
        try await withServer(configure: Self.longTimeouts) { _, port in
            let closed = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try client.readResponse()
                client.shutdownWrite()
                return try client.closesWithoutData(within: .seconds(1))
            }
            #expect(closed)
        }
    }
}
