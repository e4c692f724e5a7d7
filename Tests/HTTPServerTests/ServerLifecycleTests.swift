import Foundation
import HTTPServer
import TestSupport
import Testing

@Suite("Server: start, bind rules, shutdown", .ownThreads)
struct ServerLifecycleTests {
    @Test func plaintextOffLoopbackIsRefusedBeforeBinding() {
        var configuration = HTTPServerConfiguration()
        configuration.host = "0.0.0.0"
        #expect(throws: HTTPServerError.plaintextOffLoopback("0.0.0.0")) {
            _ = try HTTPServer(configuration: configuration, handler: echoHandler())
        }
        #expect(HTTPServerError.plaintextOffLoopback("0.0.0.0").description.contains("--allow-plaintext"))

        configuration.host = "::"
        #expect(throws: HTTPServerError.plaintextOffLoopback("::")) {
            _ = try HTTPServer(configuration: configuration, handler: echoHandler())
        }

        configuration.host = "0.0.0.0"
        configuration.allowsPlaintextOffLoopback = true
        #expect(throws: Never.self) {
            _ = try HTTPServer(configuration: configuration, handler: echoHandler())
        }
    }

    @Test func hostsThatAreNotLiteralsAreRefused() {
        var configuration = HTTPServerConfiguration()
        configuration.host = "example.com"
        #expect(throws: HTTPServerError.invalidHost("example.com")) {
            _ = try HTTPServer(configuration: configuration, handler: echoHandler())
        }
        configuration.host = "127.0.0.1"
        configuration.port = 70000
        #expect(throws: HTTPServerError.invalidPort(70000)) {
            _ = try HTTPServer(configuration: configuration, handler: echoHandler())
        }
    }

    @Test func localhostAndIPv6LoopbackBind() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "localhost"
        let server = try HTTPServer(configuration: configuration, handler: echoHandler())
        let port = try server.start()
        #expect(port > 0)
        #expect(server.port == port)
        #expect(throws: HTTPServerError.alreadyStarted) { try server.start() }
        await server.shutdown()
        #expect(server.port == nil)

        // IPv6 may be disabled on a build machine: only check when ::1 can be bound.
        configuration.host = "[::1]"
        let v6 = try HTTPServer(configuration: configuration, handler: echoHandler())
        if let v6Port = try? v6.start() {
            let result = try await ProcessRunner.run("/usr/bin/curl", ["-sS", "--max-time", "5", "http://[::1]:\(v6Port)/six"])
            #expect(result.standardOutput == "GET /six\n", "\(result.standardError)")
            await v6.shutdown()
        }
    }

    @Test func portInUseIsABindError() async throws {
        try await withServer { _, port in
            var configuration = HTTPServerConfiguration()
            configuration.port = port
            let second = try HTTPServer(configuration: configuration, handler: echoHandler())
            #expect {
                try second.start()
            } throws: { error in
                guard case HTTPServerError.bind(_, let code) = error else { return false }
                return code == EADDRINUSE
            }
        }
    }

    @Test func shutdownDeliversInFlightResponsesAndRefusesNewConnections() async throws {
        let counter = CallCounter()
        // The handler is held until shutdown has begun, however slowly the machine schedules us.
        let gate = Gate()
        let echo = echoHandler()
        let server = try HTTPServer(configuration: HTTPServerConfiguration()) { request, context in
            counter.increment()
            await gate.wait()
            return await echo(request, context)
        }
        let port = try server.start()

        let (inFlight, idle) = try await blocking {
            let idle = try TestClient(port: port)
            let inFlight = try TestClient(port: port)
            try inFlight.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            return (inFlight, idle)
        }
        try #require(await waitUntil(within: .seconds(10)) { counter.value == 1 }, "the request reached the handler")

        let shutdown = Task { await server.shutdown() }
        // While the handler is held, shutdown closes the idle connection and refuses new ones.
        let idleClosed = try await blocking { try idle.closesWithoutData(within: .seconds(10)) }
        #expect(idleClosed)
        let refused = await waitUntil(within: .seconds(10)) { (try? TestClient(port: port)) == nil }
        #expect(refused)
        gate.open()
        let opened = ContinuousClock.now

        let response = try await blocking {
            inFlight.setTimeout(.seconds(3))
            let response = try inFlight.readResponse()
            // As a client does on `Connection: close`: the server's lingering close ends here.
            Glibc.shutdown(inFlight.fd, Int32(SHUT_RDWR))
            return response
        }
        #expect(response.status == 200)
        #expect(response.text == "POST /slow\nhi")
        #expect(response.header("Connection") == "close")

        await shutdown.value
        // Once the last response is out, shutdown ends: well before the 10 s grace period.
        #expect(elapsed(since: opened) < .seconds(5), "shutdown waited for the grace period")
        #expect(counter.value == 1)
        // A second shutdown returns at once.
        await server.shutdown()
    }

    @Test func shutdownGivesUpAfterTheGracePeriod() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.shutdownGracePeriod = .milliseconds(200)
        let counter = CallCounter()
        let server = try HTTPServer(configuration: configuration, handler: echoHandler(counter: counter, delay: .seconds(5)))
        let port = try server.start()
        let client = try await blocking {
            let client = try TestClient(port: port)
            try client.send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
            return client
        }
        try #require(await waitUntil(within: .seconds(10)) { counter.value == 1 }, "the request reached the handler")
        let start = ContinuousClock.now
        await server.shutdown()
        #expect(elapsed(since: start) < .seconds(2))
        let closed = try await blocking { try client.closesWithoutData(within: .seconds(1)) }
        #expect(closed)
    }

    @Test func shutdownBeforeStartIsHarmless() async throws {
        let server = try HTTPServer(configuration: HTTPServerConfiguration(), handler: echoHandler())
        await server.shutdown()
        #expect(throws: HTTPServerError.alreadyStarted) { try server.start() }
    }

    @Test func twoEventLoopsServeManyConnections() async throws {
        try await withServer(configure: { $0.eventLoopThreads = 2; $0.maxConnections = 8 }) { _, port in
            let statuses = try await blocking {
                try (0..<40).map { index -> Int in
                    let client = try TestClient(port: port)
                    try client.send("GET /\(index) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    return try client.readResponse().status
                }
            }
            #expect(statuses == Array(repeating: 200, count: 40))
        }
    }
}
