import Foundation
import Testing
import TestSupport
import VaultCore
import VaultCrypto
@testable import VaultStore

/// An attacker who can write the database file — triggers dropped, rows edited, deleted, the
/// chain recomputed — but does not hold the master key (so not the audit key) cannot leave a log
/// that verifies. Each test fails on the unkeyed chain Coffer had before.
@Suite(.ownThreads) struct AuditTamperTests {
    let log = AuditLog(key: .generate())

    /// Ten entries, with the append-only triggers dropped as an attacker would.
    private func tamperableLog() async throws -> (ScratchDirectory, SQLiteStorage) {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database)
        for index in 1...10 {
            let event = AuditEvent(tenantID: nil, actor: AuditActor(name: "apikey:\(index)", source: "192.0.2.\(index)",
                                                                    requestID: "req-\(index)"),
                                   action: .cardReveal, subject: "token-\(index)", outcome: .success)
            let log = log
            _ = try await storage.write { try log.append(event, at: Sample.now, to: $0) }
        }
        try await storage.withWriteConnection { connection in
            try connection.execute("DROP TRIGGER audit_log_no_update")
            try connection.execute("DROP TRIGGER audit_log_no_delete")
        }
        return (directory, storage)
    }

    /// Rewrites entries from `first` on as the unkeyed SHA-256 chain (marking them unkeyed or
    /// leaving them marked keyed), continuing from the entry before.
    private func recomputeUnkeyed(_ storage: SQLiteStorage, from first: Int64, through last: Int64 = .max,
                                  markUnkeyed: Bool) async throws {
        let entries = try await storage.read { try $0.auditEntries(after: 0, limit: 100) }
        var previous = first == 1 ? AuditChain.genesis : entries[Int(first) - 2].mac
        for entry in entries where (first...last).contains(entry.sequence) {
            let hash = AuditChain.unkeyedHash(previous: previous, sequence: entry.sequence,
                                              timestampMillis: entry.timestampMillis, event: entry.event)
            let (sequence, stored) = (entry.sequence, previous)
            try await storage.withWriteConnection { connection in
                try connection.execute("UPDATE audit_log SET previous_hash = ?, hash = ?, chain_version = ? WHERE sequence = ?",
                                       stored, hash, markUnkeyed ? 1 : 2, sequence)
            }
            previous = hash
        }
    }

    @Test func anEditedEntryWithTheChainRecomputedUnkeyedFailsAtThatEntry() async throws {
        let (directory, storage) = try await tamperableLog()
        defer { withExtendedLifetime(directory) {} }
        try await storage.withWriteConnection { try $0.execute("UPDATE audit_log SET actor = 'mallory', source = NULL, request_id = NULL WHERE sequence = 4") }
        #expect(try await AuditChain.verify(storage, key: log.key) == .broken(atSequence: 4, reason: .mismatch))

        // Recomputed the way the unkeyed chain was computed: still entry 4, marked keyed or not.
        try await recomputeUnkeyed(storage, from: 4, markUnkeyed: false)
        #expect(try await AuditChain.verify(storage, key: log.key) == .broken(atSequence: 4, reason: .mismatch))
        try await recomputeUnkeyed(storage, from: 4, markUnkeyed: true)
        #expect(try await AuditChain.verify(storage, key: log.key) == .broken(atSequence: 4, reason: .downgraded))
        await storage.close()
    }

    @Test func theWholeLogRewrittenAsAnUnkeyedChainFails() async throws {
        let (directory, storage) = try await tamperableLog()
        defer { withExtendedLifetime(directory) {} }
        try await storage.withWriteConnection { try $0.execute("UPDATE audit_log SET source = NULL, request_id = NULL") }
        try await recomputeUnkeyed(storage, from: 1, markUnkeyed: true)
        #expect(try await AuditChain.verify(storage, key: log.key) == .broken(atSequence: 1, reason: .downgraded))
        await storage.close()
    }

    @Test func aChainRecomputedUnderAnotherKeyFails() async throws {
        let (directory, storage) = try await tamperableLog()
        defer { withExtendedLifetime(directory) {} }
        let forger = AuditLog(key: .generate())
        try await storage.withWriteConnection { try $0.execute("DELETE FROM audit_log WHERE sequence >= 6") }
        let forged = AuditEvent(tenantID: nil, actor: "apikey:innocent", action: .cardReveal, subject: "token-6",
                                outcome: .success)
        _ = try await storage.write { try forger.append(forged, at: Sample.now, to: $0) }
        #expect(try await AuditChain.verify(storage, key: log.key) == .broken(atSequence: 6, reason: .mismatch))
        await storage.close()
    }

    @Test func aDeletedMiddleEntryIsNamed() async throws {
        let (directory, storage) = try await tamperableLog()
        defer { withExtendedLifetime(directory) {} }
        try await storage.withWriteConnection { try $0.execute("DELETE FROM audit_log WHERE sequence = 5") }
        #expect(try await AuditChain.verify(storage, key: log.key) == .broken(atSequence: 5, reason: .missing))
        await storage.close()
    }

    @Test func aTailCutAfterACheckpointIsNamed() async throws {
        let (directory, storage) = try await tamperableLog()
        defer { withExtendedLifetime(directory) {} }
        let log = log
        let checkpoint = try #require(try await storage.read { try log.checkpoint($0, at: Sample.now) })
        #expect(checkpoint.sequence == 10)
        #expect(try await AuditChain.verify(storage, key: log.key, checkpoints: [checkpoint])
                == .intact(entries: 10, checkpoints: 1))

        // Without the checkpoint the cut is invisible, as it was before checkpoints existed.
        try await storage.withWriteConnection { try $0.execute("DELETE FROM audit_log WHERE sequence >= 8") }
        #expect(try await AuditChain.verify(storage, key: log.key) == .intact(entries: 7, checkpoints: 0))
        #expect(try await AuditChain.verify(storage, key: log.key, checkpoints: [checkpoint])
                == .broken(atSequence: 8, reason: .truncated))

        // Cut and regrown to the same length with forged entries: the checkpoint's MAC no longer matches.
        for index in 8...10 {
            let forged = AuditEvent(tenantID: nil, actor: "cli", action: .dataKeyRotate, subject: "v\(index)", outcome: .success)
            _ = try await storage.write { try log.append(forged, at: Sample.now, to: $0) }
        }
        #expect(try await AuditChain.verify(storage, key: log.key, checkpoints: [checkpoint])
                == .broken(atSequence: 10, reason: .mismatch))
        await storage.close()
    }

    @Test func aForgedCheckpointIsRefused() async throws {
        let (directory, storage) = try await tamperableLog()
        defer { withExtendedLifetime(directory) {} }
        let log = log
        var checkpoint = try #require(try await storage.read { try log.checkpoint($0, at: Sample.now) })
        checkpoint.sequence = 50
        #expect(try await AuditChain.verify(storage, key: log.key, checkpoints: [checkpoint])
                == .broken(atSequence: 50, reason: .forgedCheckpoint))
        await storage.close()
    }

    /// A vault upgraded from the unkeyed chain: its earlier entries verify as the unkeyed prefix,
    /// and the first keyed entry binds them, so editing one of them is caught too.
    @Test func anUnkeyedPrefixVerifiesAndIsBoundByTheFirstKeyedEntry() async throws {
        let (directory, storage) = try await tamperableLog()
        defer { withExtendedLifetime(directory) {} }
        try await storage.withWriteConnection { try $0.execute("UPDATE audit_log SET source = NULL, request_id = NULL") }
        try await recomputeUnkeyed(storage, from: 1, markUnkeyed: true)
        try await storage.withWriteConnection { try $0.execute("DELETE FROM audit_log WHERE sequence > 6") }
        let upgraded = AuditLog(key: log.key, unkeyedPrefix: 6)
        for index in 7...9 {
            let event = AuditEvent(tenantID: nil, actor: "cli", action: .dataKeyRotate, subject: "v\(index)", outcome: .success)
            _ = try await storage.write { try upgraded.append(event, at: Sample.now, to: $0) }
        }
        #expect(try await AuditChain.verify(storage, key: log.key, unkeyedPrefix: 6) == .intact(entries: 9, checkpoints: 0))
        // The prefix cannot be claimed longer than it was sealed: entry 7 on are keyed.
        #expect(try await AuditChain.verify(storage, key: log.key, unkeyedPrefix: 0) == .broken(atSequence: 1, reason: .downgraded))

        // An edit inside the prefix, with the unkeyed prefix recomputed: the first keyed entry no longer links.
        try await storage.withWriteConnection { try $0.execute("UPDATE audit_log SET actor = 'mallory' WHERE sequence = 2") }
        try await recomputeUnkeyed(storage, from: 2, through: 6, markUnkeyed: true)
        #expect(try await AuditChain.verify(storage, key: log.key, unkeyedPrefix: 6) == .broken(atSequence: 7, reason: .mismatch))
        await storage.close()
    }
}

extension AuditTamperTests {
    @Test func checkpointsThatDisagreeShowARollback() async throws {
        let (directory, storage) = try await tamperableLog()
        defer { withExtendedLifetime(directory) {} }
        let log = log
        let first = try #require(try await storage.read { try log.checkpoint($0, at: Sample.now) })
        // Cut back to 8 and regrown to 10 with the audit key (an insider with it, or a restore):
        // a checkpoint of the regrown log disagrees with the first about entry 10.
        try await storage.withWriteConnection { try $0.execute("DELETE FROM audit_log WHERE sequence >= 9") }
        for index in 9...10 {
            let event = AuditEvent(tenantID: nil, actor: "cli", action: .dataKeyRotate, subject: "v\(index)", outcome: .success)
            _ = try await storage.write { try log.append(event, at: Sample.now, to: $0) }
        }
        let second = try #require(try await storage.read { try log.checkpoint($0, at: Sample.now) })
        #expect(try await AuditChain.verify(storage, key: log.key, checkpoints: [second]) == .intact(entries: 10, checkpoints: 1))
        #expect(try await AuditChain.verify(storage, key: log.key, checkpoints: [first, second])
                == .broken(atSequence: 10, reason: .conflictingCheckpoints))
        await storage.close()
    }
}
