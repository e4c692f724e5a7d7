import Foundation

/// What the outbox needs of a storage engine, apart from the rest of `VaultStorage`.
public protocol OutboxReader {
    func outboxMessage(_ id: OutboxMessageID) throws -> OutboxRecord?
    /// Pending messages whose next attempt is due at `date`, soonest first.
    func dueOutboxMessages(at date: Date, limit: Int) throws -> [OutboxRecord]
    /// Messages in `state` (any state when nil), oldest first, after `id` (from the first when nil).
    func outboxMessages(state: OutboxState?, after id: OutboxMessageID?, limit: Int) throws -> [OutboxRecord]
    func outboxMessageCount(state: OutboxState) throws -> Int
}

public protocol OutboxWriter {
    /// Called by a producer inside the transaction that makes the change the message announces.
    func insertOutboxMessage(_ message: OutboxRecord) throws
    /// Stores an attempt's outcome — state, attempts, next attempt, error, delivery time, and the
    /// payload (nil once delivered) — but only while the message is still in `expected` state with
    /// `expectedAttempts` attempts: an outcome raced by another worker or an operator's retry is
    /// dropped. False when it was dropped.
    func recordOutboxAttempt(_ message: OutboxRecord, expectedState: OutboxState, expectedAttempts: Int) throws -> Bool
}
