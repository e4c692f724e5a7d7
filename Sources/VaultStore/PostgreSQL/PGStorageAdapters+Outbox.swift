import Foundation
import VaultCore

/// The outbox table, as `SQLiteStorageAdapters+Outbox.swift` reads and writes it.
extension PGBackedReader {
    func outboxMessage(_ id: OutboxMessageID) throws -> OutboxRecord? {
        try first(OutboxSQL.byID, id.rawValue) { try $0.outboxRecord() }
    }

    func dueOutboxMessages(at date: Date, limit: Int) throws -> [OutboxRecord] {
        try rows(OutboxSQL.due, SQLiteTime.milliseconds(date), max(limit, 0)) { try $0.outboxRecord() }
    }

    func outboxMessages(state: OutboxState?, after id: OutboxMessageID?, limit: Int) throws -> [OutboxRecord] {
        // The parameter's type is given: PostgreSQL cannot infer it from `$1 IS NULL` alone.
        try rows(OutboxSQL.list.replacingOccurrences(of: "?1 IS NULL", with: "?1::text IS NULL"),
                 state?.rawValue, id?.rawValue ?? "", max(limit, 0)) { try $0.outboxRecord() }
    }

    func outboxMessageCount(state: OutboxState) throws -> Int {
        try first(OutboxSQL.count, state.rawValue) { try $0.int(0) } ?? 0
    }
}

extension PGWriter {
    func insertOutboxMessage(_ message: OutboxRecord) throws {
        try run(OutboxSQL.insert,
            message.id.rawValue, message.tenantID.rawValue, message.topic, message.sealedPayload,
            message.keyVersion.map(Int64.init), message.state.rawValue, Int64(message.attempts),
            SQLiteTime.milliseconds(message.nextAttemptAt), message.lastError, SQLiteTime.milliseconds(message.createdAt),
            message.deliveredAt.map(SQLiteTime.milliseconds))
    }

    func recordOutboxAttempt(_ message: OutboxRecord, expectedState: OutboxState, expectedAttempts: Int) throws -> Bool {
        try run(OutboxSQL.recordAttempt,
            message.sealedPayload, message.keyVersion.map(Int64.init), message.state.rawValue, Int64(message.attempts),
            SQLiteTime.milliseconds(message.nextAttemptAt), message.lastError, message.deliveredAt.map(SQLiteTime.milliseconds),
            message.id.rawValue, expectedState.rawValue, Int64(expectedAttempts)) > 0
    }
}
