import Foundation
import HTTPServer
import TestSupport
import Testing

@Suite("Server: timeouts, slow clients, connection cap", .ownThreads)
struct ServerTimeoutTests {
    /// Only the timeout under test is short: the others stay long, so a machine busy with other
    /// tests (the cooperative pool is shared) cannot trip them.
    private static func short(_ timeout: WritableKeyPath<HTTPServerConfiguration, Duration>)
        -> (inout HTTPServerConfiguration) -> Void {
        { configuration in
            configuration.headerTimeout = .seconds(10)
            configuration.bodyTimeout = .seconds(10)
            configuration.idleTimeout = .seconds(10)
            configuration.writeTimeout = .seconds(10)
            configuration[keyPath: timeout] = .milliseconds(300)
        }
    }

    @Test func halfAHeadGets408ThenClose() async throws {
        let counter = CallCounter()
        try await withServer(configure: Self.short(\.headerTimeout), handler: echoHandler(counter: counter)) { _, port in
            let (response, closed, waited) = try await blocking {
                let start = ContinuousClock.now
                let client = try TestClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Part")
                let response = try client.readResponse()
                return (response, try client.closesWithoutData(within: .seconds(2)), elapsed(since: start))
            }
            #expect(response.status == 408)
            #expect(response.text.contains(#""code":"request_timeout""#))
            #expect(response.header("Connection") == "close")
            #expect(closed)
            #expect(waited >= .milliseconds(300))
            #expect(counter.value == 0)
        }
    }

    @Test func incompleteBodyGets408() async throws {
        try await withServer(configure: Self.short(\.bodyTimeout)) { _, port in
            let response = try await blocking {
                let client = try TestClient(port: port)
                try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
                return try client.readResponse()
            }
            #expect(response.status == 408)
        }
    }

    @Test func silentNewConnectionIsClosedWithoutAResponse() async throws {
        try await withServer(configure: Self.short(\.headerTimeout)) { _, port in
            let closed = try await blocking {
                try TestClient(port: port).closesWithoutData(within: .seconds(2))
            }
            #expect(closed)
        }
    }

    @Test func idleKeepAliveConnectionIsClosedSilently() async throws {
        try await withServer(configure: Self.short(\.idleTimeout)) { _, port in
            // Timed on the thread that waits, from before the request: the idle time starts when
            // the response is out, so the close comes 300 ms after that at the earliest.
            let (response, closed, waited) = try await blocking {
                let client = try TestClient(port: port)
                let start = ContinuousClock.now
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.closesWithoutData(within: .seconds(2)), elapsed(since: start))
            }
            #expect(response.status == 200)
            #expect(closed)
            #expect(waited >= .milliseconds(290))
        }
    }

    @Test func slowReaderIsDroppedAfterTheWriteTimeout() async throws {
        let big = [UInt8](repeating: 0x61, count: 16 << 20)
        let handler: HTTPHandler = { _, _ in HTTPResponse(status: .ok, body: big) }
        try await withServer(configure: Self.short(\.writeTimeout), handler: handler) { _, port in
            let received = try await blocking { try TestClient.slowReader(port: port, path: "/big") }
            #expect(received.eof)
            #expect(received.bytes.count < big.count)
        }
    }

    @Test func stalledClientsDoNotDelayOthers() async throws {
        raiseDescriptorLimit(to: 4096)
        try await withServer { _, port in
            let stalled = try await blocking {
                try (0..<200).map { _ in
                    let client = try TestClient(port: port)
                    try client.send("GET / HTTP/1.1\r\nHo")
                    return client
                }
            }
            // One more byte each, as a slow-loris client would trickle.
            try await blocking { for client in stalled { try client.send("s") } }

            var roundTrips: [Duration] = []
            for _ in 0..<3 {
                let (response, roundTrip) = try await blocking {
                    let start = ContinuousClock.now
                    let client = try TestClient(port: port)
                    try client.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
                    return (try client.readResponse(), elapsed(since: start))
                }
                roundTrips.append(roundTrip)
                #expect(response.status == 200)
            }
            #expect(roundTrips.min()! < .milliseconds(100), "round trips: \(roundTrips)")
            // The stalled ones are still open and unanswered.
            let silent = await blocking { stalled.prefix(5).allSatisfy { $0.staysSilent(for: .milliseconds(20)) } }
            #expect(silent)
        }
    }

    @Test func connectionCapHoldsTheFifthUntilOneCloses() async throws {
        try await withServer(configure: { $0.maxConnections = 4 }) { _, port in
            let first = try await blocking {
                try (0..<4).map { index in
                    let client = try TestClient(port: port)
                    try client.send("GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                    _ = try client.readResponse()
                    // Mid-request, so not idle: an idle one would be closed to admit the fifth.
                    try client.send("GET /next HTTP/1.1\r\nHo")
                    return client
                }
            }
            let fifth = try await blocking {
                // The kernel completes the handshake (backlog); the server must not serve it.
                let client = try TestClient(port: port)
                try client.send("GET /fifth HTTP/1.1\r\nHost: x\r\n\r\n")
                return client
            }
            let silent = await blocking { fifth.staysSilent(for: .milliseconds(300)) }
            #expect(silent)

            let (response, waited) = try await blocking {
                let start = ContinuousClock.now
                Glibc.shutdown(first[0].fd, Int32(SHUT_RDWR))
                fifth.setTimeout(.seconds(3))
                return (try fifth.readResponse(), elapsed(since: start))
            }
            #expect(response.status == 200)
            #expect(response.text == "GET /fifth\n")
            #expect(waited < .seconds(1))
        }
    }
}
