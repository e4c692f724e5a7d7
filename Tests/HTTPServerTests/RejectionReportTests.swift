import Foundation
import HTTPServer
import Synchronization
import Testing
import TestSupport

/// Collects what the server reports through `HTTPServerConfiguration.rejectionObserver`.
final class RejectionRecorder: Sendable {
    private let rejections = Mutex<[HTTPRejection]>([])

    func record(_ rejection: HTTPRejection) { rejections.withLock { $0.append(rejection) } }

    var all: [HTTPRejection] { rejections.withLock { $0 } }
}

@Suite("Server: every rejection is reported", .ownThreads)
struct RejectionReportTests {
    /// The recorder installed, and a body limit of 16 bytes (for the 413).
    private static func observed(by recorder: RejectionRecorder) -> (inout HTTPServerConfiguration) -> Void {
        { configuration in
            configuration.rejectionObserver = recorder.record
            configuration.limits.maxBodyBytes = 16
        }
    }

    /// Each refusal of the parser is reported once, with its status and code, before its answer
    /// goes out; the path is given when the request line had been read.
    @Test func everyFramingRejectionIsReportedOnceBeforeItsAnswer() async throws {
        let recorder = RejectionRecorder()
        let cases: [(request: String, status: Int, reason: String, path: String?)] = [
            ("garbage\r\n\r\n", 400, "invalid_request_line", nil),
            ("GET /a HTTP/1.1\r\nBad Name: 1\r\n\r\n", 400, "invalid_header_name", "/a"),
            ("GET /" + String(repeating: "p", count: 9000) + " HTTP/1.1\r\n\r\n", 414, "request_line_too_long", nil),
            ("GET /b HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "h", count: 40_000) + "\r\n\r\n",
             431, "headers_too_large", "/b"),
            ("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n", 413, "body_too_large", "/c"),
            ("POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported_transfer_encoding", "/d"),
            ("GET /e HTTP/2.0\r\nHost: x\r\n\r\n", 505, "unsupported_version", nil),
            ("POST /f HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417, "unsupported_expectation", "/f"),
        ]
        try await withServer(configure: Self.observed(by: recorder)) { _, port in
            for (index, refused) in cases.enumerated() {
                let status = try await blocking {
                    let client = try TestClient(port: port)
                    try client.send(refused.request)
                    return try client.readResponse().status
                }
                #expect(status == refused.status)
                let reported = recorder.all
                #expect(reported.count == index + 1, "\(refused.reason)")
                #expect(reported.last == HTTPRejection(
                    status: HTTPStatus(rawValue: refused.status), reason: refused.reason, remoteAddress: "127.0.0.1",
                    path: refused.path))
            }
        }
    }

    @Test func headerAndBodyTimeoutsAreReportedWith408() async throws {
        let recorder = RejectionRecorder()
        try await withServer(configure: { configuration in
            Self.observed(by: recorder)(&configuration)
            configuration.headerTimeout = .milliseconds(300)
            configuration.bodyTimeout = .milliseconds(300)
        }) { _, port in
            let statuses = try await blocking {
                try ["GET /slow-head HTTP/1.1\r\nHost: x\r\nX-Part", "POST /slow-body HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab"]
                    .map { bytes in
                        let client = try TestClient(port: port)
                        try client.send(bytes)
                        return try client.readResponse().status
                    }
            }
            #expect(statuses == [408, 408])
            #expect(recorder.all == [
                HTTPRejection(status: .requestTimeout, reason: "header_timeout", remoteAddress: "127.0.0.1", path: nil),
                HTTPRejection(status: .requestTimeout, reason: "body_timeout", remoteAddress: "127.0.0.1", path: nil),
            ])
        }
    }

    /// Closes without an answer are reported too, with no status: a client that never sent a
    /// request, one that gave up in the middle of one, and one that read its answer too slowly.
    @Test func silentClosesAreReportedWithoutAStatus() async throws {
        let recorder = RejectionRecorder()
        let big = [UInt8](repeating: 0x61, count: 16 << 20)
        let handler: HTTPHandler = { _, _ in HTTPResponse(status: .ok, body: big) }
        try await withServer(configure: { configuration in
            Self.observed(by: recorder)(&configuration)
            configuration.headerTimeout = .milliseconds(300)
            configuration.writeTimeout = .milliseconds(300)
        }, handler: handler) { _, port in
            let silent = try await blocking { try TestClient(port: port).closesWithoutData(within: .seconds(3)) }
            #expect(silent)
            let gaveUp = try await blocking {
                let client = try TestClient(port: port)
                try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab")
                client.shutdownWrite()
                return try client.closesWithoutData(within: .seconds(3))
            }
            #expect(gaveUp)
            let dropped = try await blocking { try TestClient.slowReader(port: port, path: "/big") }
            #expect(dropped.eof)
            #expect(recorder.all == [
                HTTPRejection(status: nil, reason: "first_byte_timeout", remoteAddress: "127.0.0.1", path: nil),
                HTTPRejection(status: nil, reason: "incomplete_request", remoteAddress: "127.0.0.1", path: nil),
                HTTPRejection(status: nil, reason: "write_timeout", remoteAddress: "127.0.0.1", path: nil),
            ])
        }
    }

    /// A client that sends something other than a TLS handshake to the TLS port is refused and
    /// reported; one that connects and leaves without a byte (a TCP health check) is not.
    @Test func failedTLSHandshakesAreReported() async throws {
        let certificate = try await TestCertificate()
        let recorder = RejectionRecorder()
        try await withServer(configure: { configuration in
            Self.observed(by: recorder)(&configuration)
            configuration.tls = certificate.configuration
        }) { _, port in
            let refused = try await blocking {
                let probe = try TestClient(port: port)
                probe.shutdownWrite()
                guard probe.readToEnd(timeout: .seconds(3)).eof else { throw ServerTestError("probe not closed") }
                let plaintext = try TestClient(port: port)
                try plaintext.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                return plaintext.readToEnd(timeout: .seconds(3)).eof
            }
            #expect(refused)
            #expect(recorder.all == [
                HTTPRejection(status: nil, reason: "tls_handshake_failed", remoteAddress: "127.0.0.1", path: nil),
            ])
        }
    }

    /// Answered requests, keep-alive connections timing out or closed by the client between
    /// requests, and idle connections reclaimed at the cap are the normal life of a server.
    @Test func normalEndsOfConnectionsAreNotRejections() async throws {
        let recorder = RejectionRecorder()
        try await withServer(configure: { configuration in
            Self.observed(by: recorder)(&configuration)
            configuration.idleTimeout = .milliseconds(300)
            configuration.maxConnections = 1
        }) { _, port in
            let closedAfterIdle = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try client.readResponse()
                return try client.closesWithoutData(within: .seconds(3))
            }
            #expect(closedAfterIdle)
            try await blocking {
                let first = try TestClient(port: port)
                try first.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try first.readResponse()
                // At the cap of one: the idle first connection makes room for the second.
                let second = try TestClient(port: port)
                try second.send("GET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try second.readResponse()
                guard try first.closesWithoutData(within: .seconds(1)) else { throw ServerTestError("not reclaimed") }
                second.shutdownWrite()
                guard try second.closesWithoutData(within: .seconds(1)) else { throw ServerTestError("FIN not seen") }
            }
            #expect(recorder.all.isEmpty)
        }
    }
}
