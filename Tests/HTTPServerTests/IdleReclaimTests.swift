import Foundation
import HTTPServer
import Testing
import TestSupport

@Suite("Server: idle keep-alive connections make room at the cap", .ownThreads)
struct IdleReclaimTests {
    /// Opens one keep-alive connection per index, each answered once and then left idle, in order.
    private static func idleClients(_ count: Int, port: Int) async throws -> [TestClient] {
        try await blocking {
            try (0..<count).map { index in
                let client = try TestClient(port: port)
                try client.send("GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try client.readResponse()
                guard response.status == 200 else { throw ServerTestError("connection \(index): \(response.status)") }
                return client
            }
        }
    }

    /// Puts a connection mid-request, and waits until the server knows it: the server has read
    /// the head once it invites the body.
    private static func startBody(on client: TestClient, path: String) throws {
        try client.send("POST \(path) HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        let interim = try client.readResponse()
        guard interim.status == 100 else { throw ServerTestError("expected 100 Continue, got \(interim.status)") }
    }

    /// A new connection's round trip; the client is kept open (its close would free a slot).
    private static func newClient(port: Int, path: String) async throws -> (TestClient, TestResponse, Duration) {
        try await blocking {
            let start = ContinuousClock.now
            let client = try TestClient(port: port, timeout: .seconds(3))
            try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            return (client, response, elapsed(since: start))
        }
    }

    @Test func aNewClientAtTheDefaultCapReplacesTheOldestIdleConnection() async throws {
        // 1,024 client sockets and their 1,024 server sockets live in this one process.
        raiseDescriptorLimit(to: 4096)
        let arrived = Gate()
        let gate = Gate()
        let echo = echoHandler()
        let handler: HTTPHandler = { request, context in
            if request.path == "/held" {
                arrived.open()
                await gate.wait()
            }
            return await echo(request, context)
        }
        try await withServer(handler: handler) { server, port in
            let capacity = server.configuration.maxConnections
            #expect(capacity == 1024)
            let clients = try await Self.idleClients(capacity, port: port)
            // The two oldest become busy: one mid-request, one waiting for its handler.
            try await blocking {
                try Self.startBody(on: clients[0], path: "/partial")
                try clients[1].send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            await arrived.wait()

            var newcomers: [TestClient] = []
            var roundTrips: [Duration] = []
            for index in 0..<3 {
                let (client, response, roundTrip) = try await Self.newClient(port: port, path: "/new\(index)")
                #expect(response.status == 200)
                #expect(response.text == "GET /new\(index)\n")
                newcomers.append(client)
                roundTrips.append(roundTrip)
            }
            #expect(roundTrips.allSatisfy { $0 < .seconds(1) }, "round trips: \(roundTrips)")
            #expect(roundTrips.min()! < .milliseconds(100), "round trips: \(roundTrips)")

            // The three oldest idle connections made room, silently; the next ones are still open.
            let reclaimed = try await blocking { try clients[2...4].map { try $0.closesWithoutData(within: .seconds(1)) } }
            #expect(reclaimed == [true, true, true])
            let kept = await blocking { clients[5...9].allSatisfy { $0.staysSilent(for: .milliseconds(20)) } }
            #expect(kept)

            // The busy ones were never candidates: both are answered.
            let (partial, held) = try await blocking {
                try clients[0].send("abc")
                let partial = try clients[0].readResponse()
                gate.open()
                return (partial, try clients[1].readResponse())
            }
            #expect(partial.text == "POST /partial\nabc")
            #expect(held.text == "GET /held\n")
            withExtendedLifetime(newcomers) {}
        }
    }

    /// With two loops the idle connection may belong to a loop other than the one the kernel
    /// woke for the new client: that loop is asked to admit it, by reclaiming its own.
    @Test func everyLoopCanReclaimForANewClient() async throws {
        try await withServer(configure: { $0.eventLoopThreads = 2; $0.maxConnections = 4 }) { _, port in
            let clients = try await Self.idleClients(4, port: port)
            try await blocking { for client in clients[0...2] { try Self.startBody(on: client, path: "/busy") } }
            var idle = clients[3]
            var newcomers: [TestClient] = []
            for round in 0..<8 {
                let (client, response, roundTrip) = try await Self.newClient(port: port, path: "/round\(round)")
                #expect(response.status == 200)
                #expect(roundTrip < .seconds(1), "round \(round): \(roundTrip)")
                let previous = idle
                #expect(try await blocking { try previous.closesWithoutData(within: .seconds(1)) }, "round \(round)")
                newcomers.append(client)
                idle = client
            }
            let busy = try await blocking {
                try clients[0...2].map { client in
                    try client.send("abc")
                    return try client.readResponse().text
                }
            }
            #expect(busy == Array(repeating: "POST /busy\nabc", count: 3))
            withExtendedLifetime(newcomers) {}
        }
    }

    /// A connection that never sent a request is not idle keep-alive: at the cap it keeps its
    /// slot (the header timeout ends it), and so does every busy one.
    @Test func connectionsThatAreNotIdleKeepAliveAreNeverReclaimed() async throws {
        try await withServer(configure: { $0.maxConnections = 2 }) { _, port in
            let (silent, partial) = try await blocking {
                let silent = try TestClient(port: port)
                let partial = try TestClient(port: port)
                try partial.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab")
                return (silent, partial)
            }
            let waiting = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /waiting HTTP/1.1\r\nHost: x\r\n\r\n")
                return client
            }
            #expect(await blocking { waiting.staysSilent(for: .milliseconds(300)) })
            let (answered, admitted) = try await blocking {
                try partial.send("cde")
                let answered = try partial.readResponse()
                // `partial` is now idle keep-alive and the oldest one: it makes room.
                let admitted = try waiting.readResponse()
                return (answered, admitted)
            }
            #expect(answered.text == "POST /\nabcde")
            #expect(admitted.text == "GET /waiting\n")
            #expect(try await blocking { try partial.closesWithoutData(within: .seconds(1)) })
            #expect(await blocking { silent.staysSilent(for: .milliseconds(20)) })
        }
    }
}
