import Foundation
import Synchronization
import TestSupport
import Testing
import VaultCore

/// Outbound delivery (`OutboxService`): at least once, sealed at rest, backoff, dead letters, retry.
@Suite("Outbox", .ownThreads)
struct OutboxTests {
    /// A receiver that answers from a script of results (the last one repeats) and keeps what it got.
    final class ScriptedReceiver: OutboxTransport {
        private let script: Mutex<[DeliveryResult]>
        private let received = Mutex<[OutboundMessage]>([])

        init(_ script: [DeliveryResult]) { self.script = Mutex(script) }

        func deliver(_ message: OutboundMessage) async -> DeliveryResult {
            received.withLock { $0.append(message) }
            return script.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }

        var messages: [OutboundMessage] { received.withLock { $0 } }
    }

    private static let profile = Array(#"{"email":"ada@example.com","phone":"+1 555 0100"}"#.utf8)

    @Test("A message is delivered once with its payload, then wiped: neither the database nor its WAL holds it")
    func deliveredAndWiped() async throws {
        let test = try await TestVault.make()
        let outbox = OutboxService(test.vault)
        let id = try await outbox.enqueue(topic: "connectfi.card-profile", payload: Self.profile, tenant: test.tenant)
        let pending = try await outbox.messages(state: .pending)
        #expect(pending.map(\.id) == [id] && pending[0].sealedPayload == nil, "listing never carries a payload")

        let receiver = ScriptedReceiver([.delivered])
        #expect(try await outbox.deliverDue(via: receiver) == 1)
        #expect(receiver.messages.map(\.payload) == [Self.profile] && receiver.messages[0].attempt == 1)
        #expect(receiver.messages[0].topic == "connectfi.card-profile" && receiver.messages[0].id == id)
        #expect(try await outbox.deliverDue(via: receiver) == 0, "delivered once")
        let delivered = try #require(try await outbox.messages().first)
        #expect(delivered.state == .delivered && delivered.deliveredAt == TestClock.start && delivered.attempts == 1)
        let stored = try await test.storage.read { try $0.outboxMessage(id) }
        #expect(stored?.sealedPayload == nil && stored?.keyVersion == nil, "the payload is wiped once delivered")
        for file in [test.databasePath, test.databasePath + "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
            #expect(bytes.range(of: Data("ada@example.com".utf8)) == nil, "\(file) never held the payload in the clear")
        }
    }

    @Test("Failures back off exponentially with jitter, the last one makes the message dead, and a retry queues it again")
    func backoffDeadLetterAndRetry() async throws {
        let clock = TestClock()
        let test = try await TestVault.make(clock: { clock.now })
        let outbox = OutboxService(test.vault)
        let id = try await outbox.enqueue(topic: "t", payload: Self.profile, tenant: test.tenant)
        let policy = DeliveryPolicy(maximumAttempts: 3, baseDelay: 10, maximumDelay: 3600)
        let receiver = ScriptedReceiver([.failed("HTTP 503"), .failed("timed out"), .failed("HTTP 500"), .delivered])

        #expect(try await outbox.deliverDue(via: receiver, policy: policy, unit: { 1 }) == 1)
        var message = try #require(try await outbox.messages().first)
        #expect(message.state == .pending && message.attempts == 1 && message.lastError == "HTTP 503")
        #expect(message.nextAttemptAt == clock.now.addingTimeInterval(10), "base delay, upper end of the jitter")
        #expect(try await outbox.deliverDue(via: receiver, policy: policy) == 0, "not due before its next attempt")

        clock.now = message.nextAttemptAt
        #expect(try await outbox.deliverDue(via: receiver, policy: policy, unit: { 0 }) == 1)
        message = try #require(try await outbox.messages().first)
        #expect(message.attempts == 2 && message.nextAttemptAt == clock.now.addingTimeInterval(10), "2 × base, lower half")

        clock.now = message.nextAttemptAt
        #expect(try await outbox.deliverDue(via: receiver, policy: policy) == 1)
        message = try #require(try await outbox.messages(state: .dead).first)
        #expect(message.attempts == 3 && message.lastError == "HTTP 500")
        clock.now = clock.now.addingTimeInterval(86_400)
        #expect(try await outbox.deliverDue(via: receiver, policy: policy) == 0, "a dead message is not attempted")
        #expect(receiver.messages.map(\.attempt) == [1, 2, 3])

        await #expect(throws: VaultError.outboxMessageNotFound) { try await outbox.retry(.generate(), actor: "test") }
        try await outbox.retry(id, actor: "operator")
        await #expect(throws: VaultError.outboxMessageNotDead) { try await outbox.retry(id, actor: "operator") }
        #expect(try await outbox.deliverDue(via: receiver, policy: policy) == 1)
        #expect(try await outbox.messages(state: .delivered).map(\.id) == [id])
        #expect(receiver.messages.last?.payload == Self.profile && receiver.messages.last?.attempt == 1)
        let entries = try await test.vault.auditEntries(after: 0, limit: 100)
        #expect(entries.contains { $0.event.action == .outboxRetry && $0.event.subject == id.rawValue && $0.event.actor.name == "operator" })
    }

    @Test("The jitter draws each delay from the upper half of an exponential step, capped")
    func delays() {
        let policy = DeliveryPolicy(maximumAttempts: 12, baseDelay: 5, maximumDelay: 60)
        #expect(policy.delay(after: 1, unit: 0) == 2.5 && policy.delay(after: 1, unit: 1) == 5)
        #expect(policy.delay(after: 3, unit: 1) == 20 && policy.delay(after: 4, unit: 0.5) == 30)
        #expect(policy.delay(after: 10, unit: 1) == 60 && policy.delay(after: 200, unit: 0) == 30, "capped, no overflow")
    }

    @Test("Data-key rotation re-seals undelivered payloads, which still deliver; keys status counts them")
    func rotation() async throws {
        let test = try await TestVault.make()
        let outbox = OutboxService(test.vault)
        _ = try await outbox.enqueue(topic: "t", payload: Self.profile, tenant: test.tenant)
        let report = try await test.vault.rotateDataKey(actor: "test")
        #expect(report.reencrypted[.outboxMessages] == 1)
        #expect(try await test.vault.dataKeyStatus().first { $0.isActive }?.records[.outboxMessages] == 1)
        let receiver = ScriptedReceiver([.delivered])
        #expect(try await outbox.deliverDue(via: receiver) == 1 && receiver.messages.first?.payload == Self.profile)
        #expect(try await test.vault.dataKeyStatus().allSatisfy { $0.records[.outboxMessages] == nil }, "a delivered message seals nothing")
    }
}
