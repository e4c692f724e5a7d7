import Foundation
import HTTPServer
import TestSupport
import Testing

@Suite("Server: requests, keep-alive, pipelining", .ownThreads)
struct ServerBasicTests {
    @Test func getRoundTrip() async throws {
        try await withServer { _, port in
            let client = try await blocking { try TestClient(port: port) }
            let response = try await blocking {
                try client.send("GET /hello?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.text == "GET /hello?x=1\n")
            #expect(response.header("X-TLS") == "0")
            #expect(response.header("X-Remote") == "127.0.0.1")
            #expect(response.header("Connection") == nil)
        }
    }

    @Test func postWithContentLength() async throws {
        try await withServer { _, port in
            let response = try await blocking {
                let client = try TestClient(port: port)
                try client.send("POST /cards HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world")
                return try client.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.text == "POST /cards\nhello world")
            #expect(response.header("X-Body-Bytes") == "11")
        }
    }

    @Test func postChunkedInPieces() async throws {
        try await withServer { _, port in
            let response = try await blocking {
                let client = try TestClient(port: port)
                try client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                try client.send("5\r\nhello\r\n")
                Thread.sleep(forTimeInterval: 0.02)
                try client.send("6\r\n world\r\n0\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.text == "POST /c\nhello world")
        }
    }

    @Test func threeRequestsOnOneKeepAliveConnection() async throws {
        let counter = CallCounter()
        try await withServer(handler: echoHandler(counter: counter)) { _, port in
            let client = try await blocking { try TestClient(port: port) }
            for index in 1...3 {
                let response = try await blocking {
                    try client.send("GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                    return try client.readResponse()
                }
                #expect(response.status == 200)
                #expect(response.text == "GET /\(index)\n")
            }
            #expect(counter.value == 3)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        // The first request is the slowest: order must still hold.
        let handler: HTTPHandler = { request, _ in
            if request.path == "/1" { try? await Task.sleep(for: .milliseconds(50)) }
            return HTTPResponse(status: .ok, body: Array(request.path.utf8))
        }
        try await withServer(handler: handler) { _, port in
            let bodies = try await blocking {
                let client = try TestClient(port: port)
                var pipeline = ""
                for index in 1...5 {
                    pipeline += "POST /\(index) HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"
                }
                try client.send(pipeline)
                return try (1...5).map { _ in try client.readResponse().text }
            }
            #expect(bodies == ["/1", "/2", "/3", "/4", "/5"])
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer { _, port in
            let (response, closed) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.closesWithoutData(within: .seconds(2)))
            }
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(closed)
        }
    }

    @Test func handlerCanCloseTheConnection() async throws {
        let handler: HTTPHandler = { _, _ in
            HTTPResponse(status: .ok, headers: ["Connection": "close"], body: Array("bye".utf8))
        }
        try await withServer(handler: handler) { _, port in
            let (response, closed) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.closesWithoutData(within: .seconds(2)))
            }
            #expect(response.header("Connection") == "close")
            #expect(closed)
        }
    }

    @Test func http10WithoutKeepAliveCloses() async throws {
        try await withServer { _, port in
            let (response, closed) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /old HTTP/1.0\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.closesWithoutData(within: .seconds(2)))
            }
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(closed)
        }
    }

    @Test func http10KeepAliveIsConfirmed() async throws {
        try await withServer { _, port in
            let (first, second) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let first = try client.readResponse()
                try client.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                return (first, try client.readResponse())
            }
            #expect(first.header("Connection") == "keep-alive")
            #expect(second.text == "GET /b\n")
        }
    }

    @Test func pipelinesOfSuspendingAndImmediateHandlersAnswerInOrder() async throws {
        // Odd paths suspend, even ones return at once: responses finish out of order.
        let handler: HTTPHandler = { request, _ in
            if request.path.hasSuffix("1") || request.path.hasSuffix("3") || request.path.hasSuffix("5") {
                try? await Task.sleep(for: .milliseconds(5))
            }
            return HTTPResponse(status: .ok, body: Array(request.path.utf8))
        }
        try await withServer(handler: handler) { _, port in
            let bodies = try await blocking {
                // What is checked is the order, not the speed: a generous wait per answer.
                let client = try TestClient(port: port, timeout: .seconds(30))
                try client.send((0..<200).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
                return try (0..<200).map { _ in try client.readResponse().text }
            }
            #expect(bodies == (0..<200).map { "/\($0)" })
        }
    }

    @Test func headResponseHasNoBody() async throws {
        try await withServer { _, port in
            let (head, next) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n")
                return (try client.readResponse(toHEAD: true), try client.readResponse())
            }
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "8")
            #expect(next.status == 200)
            #expect(next.text == "GET /g\n")
        }
    }

    @Test func curlGetAndPost() async throws {
        try await withServer { _, port in
            let get = try await ProcessRunner.run("/usr/bin/curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(port)/via-curl"])
            #expect(get.status == 0, "\(get.standardError)")
            #expect(get.standardOutput == "GET /via-curl\n")
            let post = try await ProcessRunner.run(
                "/usr/bin/curl", ["-sS", "--max-time", "5", "--data-binary", "@-", "http://127.0.0.1:\(port)/p"],
                input: Data("payload".utf8))
            #expect(post.status == 0, "\(post.standardError)")
            #expect(post.standardOutput == "POST /p\npayload")
        }
    }
}
