import Foundation
import VaultCore

/// The outbox table (migrations/0013_outbox.sql).
extension SQLiteBackedReader {
    func outboxMessage(_ id: OutboxMessageID) throws -> OutboxRecord? {
        try connection.queryFirst(OutboxSQL.byID, id.rawValue) { try $0.outboxRecord() }
    }

    func dueOutboxMessages(at date: Date, limit: Int) throws -> [OutboxRecord] {
        try connection.query(OutboxSQL.due, SQLiteTime.milliseconds(date), max(limit, 0)) { try $0.outboxRecord() }
    }

    func outboxMessages(state: OutboxState?, after id: OutboxMessageID?, limit: Int) throws -> [OutboxRecord] {
        try connection.query(OutboxSQL.list, state?.rawValue, id?.rawValue ?? "", max(limit, 0)) { try $0.outboxRecord() }
    }

    func outboxMessageCount(state: OutboxState) throws -> Int {
        try connection.queryFirst(OutboxSQL.count, state.rawValue) { $0.int(0) } ?? 0
    }
}

extension SQLiteWriter {
    func insertOutboxMessage(_ message: OutboxRecord) throws {
        try connection.execute(OutboxSQL.insert, arguments: OutboxSQL.values(message))
    }

    func recordOutboxAttempt(_ message: OutboxRecord, expectedState: OutboxState, expectedAttempts: Int) throws -> Bool {
        try connection.executeCountingChanges(OutboxSQL.recordAttempt,
            message.sealedPayload, message.keyVersion.map(Int64.init), message.state.rawValue, Int64(message.attempts),
            SQLiteTime.milliseconds(message.nextAttemptAt), message.lastError, message.deliveredAt.map(SQLiteTime.milliseconds),
            message.id.rawValue, expectedState.rawValue, Int64(expectedAttempts)) > 0
    }
}

enum OutboxSQL {
    static let columns = """
        id, tenant_id, topic, sealed_payload, key_version, state, attempts, next_attempt_at, last_error, created_at, delivered_at
        """
    static let due = """
        SELECT \(columns) FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
        """
    static let byID = "SELECT \(columns) FROM outbox WHERE id = ?"
    static let list = "SELECT \(columns) FROM outbox WHERE (?1 IS NULL OR state = ?1) AND id > ?2 ORDER BY id LIMIT ?3"
    static let count = "SELECT count(*) FROM outbox WHERE state = ?"
    static let insert = "INSERT INTO outbox (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let recordAttempt = """
        UPDATE outbox SET sealed_payload = ?, key_version = ?, state = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
        delivered_at = ? WHERE id = ? AND state = ? AND attempts = ?
        """

    static func values(_ message: OutboxRecord) -> [any SQLiteBindable] {
        [message.id.rawValue, message.tenantID.rawValue, message.topic, message.sealedPayload, message.keyVersion.map(Int64.init),
         message.state.rawValue, Int64(message.attempts), SQLiteTime.milliseconds(message.nextAttemptAt), message.lastError,
         SQLiteTime.milliseconds(message.createdAt), message.deliveredAt.map(SQLiteTime.milliseconds)]
    }
}

extension StoredRow {
    func outboxRecord() throws -> OutboxRecord {
        guard let state = try OutboxState(rawValue: text(5)) else { throw StorageError.corrupt("outbox.state is not a known state") }
        return try OutboxRecord(
            id: try identifier(0, as: OutboxMessageID.self, "outbox.id"),
            tenantID: try identifier(1, as: TenantID.self, "outbox.tenant_id"),
            topic: text(2),
            sealedPayload: isNull(3) ? nil : blob(3),
            keyVersion: optionalInt64(4).map { Int($0) },
            state: state,
            attempts: int(6),
            nextAttemptAt: SQLiteTime.date(int64(7)),
            lastError: optionalText(8),
            createdAt: SQLiteTime.date(int64(9)),
            deliveredAt: optionalInt64(10).map(SQLiteTime.date))
    }
}
