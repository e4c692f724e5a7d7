import Foundation
import HTTPClient
import HTTPServer
import TestSupport
import Testing

/// How the client reads responses — and refuses the ones it cannot frame safely — against a raw
/// socket server that sends exactly the bytes each test gives it.
@Suite("HTTP client: framing, limits and timeouts", .ownThreads)
struct FramingTests {
    private func client(_ configure: (inout HTTPClientConfiguration) -> Void = { _ in }) throws -> HTTPClient {
        var configuration = HTTPClientConfiguration()
        configure(&configuration)
        return try HTTPClient(configuration: configuration)
    }

    /// The response to `bytes`, sent in pieces of `piece` bytes (to cross every parser state).
    private func respond(
        _ bytes: String, piece: Int = .max, method: String = "GET",
        _ configure: (inout HTTPClientConfiguration) -> Void = { _ in }
    ) async throws -> Result<HTTPClientResponse, HTTPClientError> {
        let data = Array(bytes.utf8)
        let server = try RawServer { connection in
            var offset = 0
            while offset < data.count {
                let end = offset + min(piece, data.count - offset)
                RawServer.send(connection, Array(data[offset..<end]))
                offset = end
                if piece < data.count { pause(.milliseconds(1)) }
            }
        }
        let client = try client(configure)
        do {
            return .success(try await client.send(HTTPClientRequest(method: method, url: "http://127.0.0.1:\(server.port)/")))
        } catch {
            return .failure(error)
        }
    }

    @Test func contentLengthBody() async throws {
        for piece in [.max, 1] {
            let response = try await respond(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", piece: piece).get()
            #expect(response.status == .ok)
            #expect(response.headers["content-type"] == "text/plain")
            #expect(response.body == Array("hello".utf8))
        }
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() async throws {
        let wire = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
        for piece in [.max, 3, 1] {
            let response = try await respond(wire, piece: piece).get()
            #expect(response.status == .created)
            #expect(String(decoding: response.body, as: UTF8.self) == "hello, world")
        }
    }

    @Test func bodyUntilCloseAndNoBodyResponses() async throws {
        let untilClose = try await respond("HTTP/1.1 200 OK\r\n\r\nall of it").get()
        #expect(untilClose.body == Array("all of it".utf8))
        let noContent = try await respond("HTTP/1.1 204 No Content\r\n\r\n").get()
        #expect(noContent.status == .noContent && noContent.body.isEmpty)
        let head = try await respond("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", method: "HEAD").get()
        #expect(head.headers["Content-Length"] == "42" && head.body.isEmpty)
        let interim = try await respond("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").get()
        #expect(interim.status == .ok && interim.body == Array("ok".utf8))
    }

    @Test func oversizeResponsesAreRefused() async throws {
        let limited: (inout HTTPClientConfiguration) -> Void = {
            $0.limits.maxBodyBytes = 16
            $0.limits.maxHeaderBytes = 64
        }
        let cases = [
            "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 17),
            "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "h", count: 64) + "\r\n\r\n",
        ]
        for wire in cases {
            let result = try await respond(wire, limited)
            #expect(result.error == .responseTooLarge, "\(wire.prefix(40))")
        }
        // Exactly at the limits is fine.
        let fits = try await respond("HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n0123456789abcdef", limited).get()
        #expect(fits.body.count == 16)
    }

    @Test func ambiguousOrBrokenFramingIsRefused() async throws {
        let cases: [(String, HTTPClientError)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
             .malformedResponse("ambiguous_framing")),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", .malformedResponse("duplicate_content_length")),
            ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .malformedResponse("invalid_content_length")),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", .malformedResponse("unsupported_transfer_encoding")),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedResponse("invalid_chunk_size")),
            ("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", .malformedResponse("bare_line_feed")),
            ("HTTP/2 200\r\n\r\n", .malformedResponse("invalid_status_line")),
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", .connectionClosed),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", .connectionClosed),
        ]
        for (wire, expected) in cases {
            let result = try await respond(wire)
            #expect(result.error == expected, "\(wire.prefix(50))")
        }
    }

    @Test func requestIsFramedByTheClient() async throws {
        let server = try RawServer { RawServer.send($0, "HTTP/1.1 204 No Content\r\n\r\n") }
        let client = try client()
        _ = try await client.send(HTTPClientRequest(
            method: "POST", url: "http://localhost:\(server.port)/a/b?c=d",
            headers: ["Content-Type": "application/json", "Content-Length": "999", "Host": "evil"],
            body: Array("{}".utf8)))
        #expect(server.request == "POST /a/b?c=d HTTP/1.1\r\nHost: localhost:\(server.port)\r\nContent-Type: application/json\r\n"
            + "Content-Length: 2\r\nConnection: close\r\n\r\n{}")

        for headers: HTTPHeaders in [["X-Injected": "a\r\nX-Evil: b"], ["Bad Name": "x"]] {
            let error = await #expect(throws: HTTPClientError.self) {
                _ = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/", headers: headers))
            }
            #expect(error?.code == "invalid_request")
        }
    }

    @Test func silentServerTimesOut() async throws {
        let server = try RawServer { _ in pause(.seconds(3)) }
        let client = try client { $0.readTimeout = .milliseconds(300) }
        let started = ContinuousClock.now
        let error = await sendError(client, "http://127.0.0.1:\(server.port)/")
        #expect(error == .timedOut(.read))
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func tricklingServerHitsTheTotalTimeout() async throws {
        let server = try RawServer { connection in
            RawServer.send(connection, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            for _ in 0..<40 {
                RawServer.send(connection, "x")
                pause(.milliseconds(100))
            }
        }
        let client = try client {
            $0.readTimeout = .seconds(1)
            $0.totalTimeout = .milliseconds(800)
        }
        let started = ContinuousClock.now
        let error = await sendError(client, "http://127.0.0.1:\(server.port)/")
        #expect(error == .timedOut(.total))
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    /// A server that accepts TCP but never answers the ClientHello: the handshake counts
    /// against the connect timeout.
    @Test func stalledHandshakeHitsTheConnectTimeout() async throws {
        let server = try RawServer { _ in pause(.seconds(3)) }
        let client = try client { $0.connectTimeout = .milliseconds(300) }
        let error = await sendError(client, "https://127.0.0.1:\(server.port)/")
        #expect(error == .timedOut(.connect))
    }

    /// Exchanges beyond `queueLimit` are refused at once rather than queued behind a stalled one.
    @Test func admissionIsBounded() async throws {
        let server = try RawServer { _ in pause(.seconds(2)) }
        let client = try client {
            $0.queueLimit = 1
            $0.readTimeout = .seconds(1)
        }
        async let stalled = sendError(client, "http://127.0.0.1:\(server.port)/")
        #expect(await waitUntil(within: .seconds(2)) { !server.request.isEmpty })
        #expect(await sendError(client, "http://127.0.0.1:\(server.port)/") == .busy)
        #expect(await stalled == .timedOut(.read))
    }

    @Test func refusedConnectionIsAConnectFailure() async throws {
        let refusing = try RefusingPort()
        let error = await sendError(try client(), "http://127.0.0.1:\(refusing.port)/")
        #expect(error?.code == "connect_failed", "\(String(describing: error))")
    }

    @Test func invalidURLs() async throws {
        let client = try client()
        for url in ["ftp://x/", "https://", "https://user@host/", "https://host:0/", "https://host:99999/", "https://h/p#f",
                    "https://h/a b", "https://[::1/"] {
            #expect(await sendError(client, url)?.code == "invalid_url", "\(url)")
        }
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
