import Foundation
import VaultCrypto

/// Outbound delivery: a message written in the transaction of the change it announces
/// (`message(topic:payload:tenant:at:)`, inserted by the producing service), then delivered at
/// least once by `deliverDue(via:policy:)` — retried with backoff, dead after the policy's last
/// attempt until an operator retries it. Payloads are sealed under the active data key like any
/// personal data, opened only for an attempt, and wiped once delivered. A service over the
/// vault's shared context.
public struct OutboxService: Sendable {
    let vault: Vault

    public init(_ vault: Vault) {
        self.vault = vault
    }

    /// A new pending message, due now, its payload sealed: what a producer inserts in its write
    /// transaction (`OutboxWriter.insertOutboxMessage`).
    func message(topic: String, payload: [UInt8], tenant: TenantID, at now: Date) throws(VaultError) -> OutboxRecord {
        let id = OutboxMessageID.generate()
        let (sealed, version) = try vault.sealWithActiveKey(.outboxPayload, SecretBytes(payload), tenant: tenant, subject: id.rawValue)
        return OutboxRecord(id: id, tenantID: tenant, topic: topic, sealedPayload: sealed, keyVersion: version, state: .pending,
                            attempts: 0, nextAttemptAt: now, lastError: nil, createdAt: now, deliveredAt: nil)
    }

    /// Queues a message in a transaction of its own: for producers with nothing else to write.
    public func enqueue(topic: String, payload: [UInt8], tenant: TenantID) async throws -> OutboxMessageID {
        let message = try message(topic: topic, payload: payload, tenant: tenant, at: vault.clock())
        try await vault.write { try $0.insertOutboxMessage(message) }
        return message.id
    }

    /// Attempts every message due now, up to `limit`, one after another, and records each
    /// outcome; returns how many were attempted. `unit` draws the backoff jitter in [0, 1].
    /// An outcome is recorded only if nothing changed the message meanwhile (another worker, an
    /// operator's retry): delivery stays at least once, never lost. A cancelled task stops before
    /// its next message (the rest stay due), so a worker stops after the delivery in flight.
    @discardableResult
    public func deliverDue(via transport: some OutboxTransport, policy: DeliveryPolicy = DeliveryPolicy(), limit: Int = 100,
                           unit: @Sendable () -> Double = { Double.random(in: 0...1) }) async throws -> Int {
        let due = try await vault.read { [now = vault.clock()] in try $0.dueOutboxMessages(at: now, limit: limit) }
        var attempted = 0
        for message in due {
            guard !Task.isCancelled else { break }
            attempted += 1
            guard let sealed = message.sealedPayload, let version = message.keyVersion else { continue }
            let payload = try await vault.openSealed(.outboxPayload, sealed, version: version, tenant: message.tenantID,
                                                     subject: message.id.rawValue)
            let attempt = message.attempts + 1
            let result = await transport.deliver(OutboundMessage(
                id: message.id, tenantID: message.tenantID, topic: message.topic,
                payload: payload.withUnsafeBytes { Array($0) }, attempt: attempt))
            var outcome = message
            outcome.attempts = attempt
            let now = vault.clock()
            switch result {
            case .delivered:
                (outcome.state, outcome.deliveredAt, outcome.lastError) = (.delivered, now, nil)
                (outcome.sealedPayload, outcome.keyVersion) = (nil, nil)
            case .failed(let reason), .rejected(let reason):
                outcome.lastError = String(reason.prefix(500))
                if case .rejected = result {
                    outcome.state = .dead
                } else if attempt >= policy.maximumAttempts {
                    outcome.state = .dead
                } else {
                    outcome.nextAttemptAt = now.addingTimeInterval(policy.delay(after: attempt, unit: unit()))
                }
            }
            let recorded = outcome
            _ = try await vault.write {
                try $0.recordOutboxAttempt(recorded, expectedState: .pending, expectedAttempts: message.attempts)
            }
        }
        return attempted
    }

    /// How many messages are in `state`: for the worker's gauges.
    public func count(state: OutboxState) async throws -> Int {
        try await vault.read { try $0.outboxMessageCount(state: state) }
    }

    /// Messages, oldest first, without their payloads.
    public func messages(state: OutboxState? = nil, after id: OutboxMessageID? = nil,
                         limit: Int = 1000) async throws -> [OutboxRecord] {
        try await vault.read { try $0.outboxMessages(state: state, after: id, limit: limit) }.map { message in
            var listed = message
            listed.sealedPayload = nil
            return listed
        }
    }

    /// Puts a dead message back in the queue, due now with its attempts reset; audited. A message
    /// that is not dead is `outboxMessageNotDead`, one that does not exist `outboxMessageNotFound`.
    public func retry(_ id: OutboxMessageID, actor: AuditActor) async throws {
        let now = vault.clock()
        let log = vault.auditLog
        try await vault.write { writer in
            guard let message = try writer.outboxMessage(id) else { throw VaultError.outboxMessageNotFound }
            guard message.state == .dead else { throw VaultError.outboxMessageNotDead }
            var retried = message
            (retried.state, retried.attempts, retried.nextAttemptAt, retried.lastError) = (.pending, 0, now, nil)
            guard try writer.recordOutboxAttempt(retried, expectedState: .dead, expectedAttempts: message.attempts) else {
                throw VaultError.outboxMessageNotDead
            }
            try log.append(AuditEvent(tenantID: message.tenantID, actor: actor, action: .outboxRetry, subject: id.rawValue,
                                      outcome: .success), at: now, to: writer)
        }
    }
}
