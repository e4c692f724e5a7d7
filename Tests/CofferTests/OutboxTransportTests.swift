import Foundation
import HTTPClient
import OutboxDelivery
import TestSupport
import Testing
import VaultCore
import VaultCrypto

/// `HTTPOutboxTransport` under `OutboxService.deliverDue`, against a real receiver on 127.0.0.1.
@Suite("Outbox: signed HTTP delivery", .ownThreads)
struct OutboxTransportTests {
    static let secret = "whsec-test-0123456789abcdef0123456789abcdef"

    static func transport(to url: String, timeout: Duration = .seconds(5),
                          clock: @escaping @Sendable () -> Date = { Date() }) throws -> HTTPOutboxTransport {
        var endpoint = OutboxEndpoint(url: url, secret: SecretBytes(Array(secret.utf8)))
        endpoint.client.totalTimeout = timeout
        endpoint.client.readTimeout = timeout
        return try HTTPOutboxTransport(endpoint: endpoint, clock: clock)
    }

    @Test("A receiver that fails (500), then times out, then recovers gets every message, signed, with the same Idempotency-Key on each attempt")
    func failsTimesOutRecovers() async throws {
        let clock = TestClock()
        let test = try await TestVault.make(clock: { clock.now })
        let outbox = OutboxService(test.vault)
        let payloads = (1...3).map { Array(#"{"profile":\#($0),"email":"ada\#($0)@example.com"}"#.utf8) }
        var ids: [OutboxMessageID] = []
        for payload in payloads { ids.append(try await outbox.enqueue(topic: "connectfi.card-profile", payload: payload, tenant: test.tenant)) }
        let receiver = try OutboxReceiver([.answer(500)])
        let sentAt = Date(timeIntervalSince1970: 1_781_524_800)
        let transport = try Self.transport(to: receiver.url, timeout: .milliseconds(300), clock: { sentAt })
        let policy = DeliveryPolicy(maximumAttempts: 5, baseDelay: 1, maximumDelay: 10)

        #expect(try await outbox.deliverDue(via: transport, policy: policy) == 3)
        #expect(try await outbox.messages(state: .pending).map(\.lastError) == ["HTTP 500", "HTTP 500", "HTTP 500"])
        receiver.change(to: .hold(.seconds(1)))
        clock.now += 60
        #expect(try await outbox.deliverDue(via: transport, policy: policy) == 3)
        let timedOut = try await outbox.messages(state: .pending)
        #expect(timedOut.count == 3 && timedOut.allSatisfy { $0.attempts == 2 && $0.lastError?.hasSuffix("_timeout") == true },
                "\(timedOut.map(\.lastError))")
        receiver.change(to: .answer(204))
        clock.now += 60
        #expect(try await outbox.deliverDue(via: transport, policy: policy) == 3)
        #expect(Set(try await outbox.messages(state: .delivered).map(\.id)) == Set(ids))
        await receiver.stop()

        let deliveries = receiver.deliveries
        #expect(deliveries.count == 9)
        for (id, payload) in zip(ids, payloads) {
            let attempts = deliveries.filter { $0.headers["Idempotency-Key"] == id.rawValue }
            #expect(attempts.map { $0.headers["Coffer-Attempt"] } == ["1", "2", "3"], "one key for every attempt of \(id.rawValue)")
            for delivery in attempts {
                #expect(delivery.method == "POST" && delivery.path == "/hooks/coffer" && delivery.body == payload)
                #expect(delivery.headers["Content-Type"] == "application/json" && delivery.headers["Coffer-Topic"] == "connectfi.card-profile")
                #expect(delivery.headers["Coffer-Signature"]?.hasPrefix("t=1781524800,v1=") == true, "signed at the sending time")
                #expect(try await OutboxReceiver.signatureIsValid(delivery, secret: Self.secret, in: test.directory))
            }
        }
        #expect(try await !OutboxReceiver.signatureIsValid(deliveries[0], secret: Self.secret + "x", in: test.directory),
                "the check refuses another secret")
        var altered = deliveries[0]
        altered.body[altered.body.count - 2] ^= 1
        #expect(try await !OutboxReceiver.signatureIsValid(altered, secret: Self.secret, in: test.directory), "and an altered body")
    }

    @Test("2xx is delivered; 408, 429, 5xx and a refused connection are retried; any other 4xx makes the message dead at once")
    func statuses() async throws {
        let test = try await TestVault.make()
        let outbox = OutboxService(test.vault)
        let receiver = try OutboxReceiver([.answer(200)])
        let transport = try Self.transport(to: receiver.url)
        let expected: [(Int, OutboxState)] = [
            (200, .delivered), (201, .delivered), (204, .delivered), (400, .dead), (401, .dead), (404, .dead), (410, .dead),
            (422, .dead), (408, .pending), (429, .pending), (500, .pending), (502, .pending), (503, .pending), (302, .pending),
        ]
        for (status, state) in expected {
            receiver.change(to: .answer(status))
            let id = try await outbox.enqueue(topic: "t", payload: Array("{}".utf8), tenant: test.tenant)
            #expect(try await outbox.deliverDue(via: transport) == 1)
            let message = try #require(try await test.storage.read { try $0.outboxMessage(id) })
            #expect(message.state == state && message.attempts == 1, "HTTP \(status)")
            #expect(message.lastError == (state == .delivered ? nil : "HTTP \(status)"), "HTTP \(status)")
        }
        await receiver.stop()

        let refused = try Self.transport(to: receiver.url)
        let id = try await outbox.enqueue(topic: "t", payload: Array("{}".utf8), tenant: test.tenant)
        #expect(try await outbox.deliverDue(via: refused) == 1)
        let message = try #require(try await test.storage.read { try $0.outboxMessage(id) })
        #expect(message.state == .pending && message.lastError == "connect_failed")
    }

    @Test("Plain HTTP off loopback, or a URL that is not one, is refused when the transport is made")
    func refusedURLs() {
        #expect(throws: HTTPClientError.plaintextOffLoopback("example.com")) { try Self.transport(to: "http://example.com/hooks") }
        #expect(throws: HTTPClientError.self) { try Self.transport(to: "ftp://127.0.0.1/hooks") }
        #expect(throws: Never.self) { try Self.transport(to: "https://hooks.example.com/coffer") }
    }
}
