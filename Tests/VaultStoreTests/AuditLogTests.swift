import Foundation
import Testing
import VaultCore
@testable import VaultStore

@Suite struct AuditLogTests {
    func event(_ index: Int, tenant: TenantID?) -> AuditEvent {
        AuditEvent(tenantID: tenant, actor: "key-\(index)", action: index.isMultiple(of: 2) ? .cardReveal : .cardDelete,
                   subject: index.isMultiple(of: 3) ? nil : "token-\(index)",
                   outcome: index.isMultiple(of: 5) ? .failure : .success)
    }

    @Test func appendedEntriesFormAHashChain() async throws {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database)
        let tenant = TenantID.generate()
        let first = try await storage.write { try $0.appendAudit(self.event(0, tenant: tenant), at: date(1_700_000_000_000)) }
        #expect(first.sequence == 1)
        #expect(first.previousHash == AuditChain.genesis)
        #expect(first.hash == AuditChain.hash(previous: AuditChain.genesis, sequence: 1,
                                              timestampMillis: 1_700_000_000_000, event: event(0, tenant: tenant)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 1..<30 {
                group.addTask {
                    _ = try await storage.write { try $0.appendAudit(self.event(index, tenant: index == 7 ? nil : tenant), at: Sample.now) }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await storage.read { try $0.auditEntries(after: 0, limit: 100) }
        #expect(entries.map(\.sequence) == Array(1...30))
        #expect(entries.first == first)
        for (previous, entry) in zip(entries, entries.dropFirst()) {
            #expect(entry.previousHash == previous.hash)
        }
        #expect(try await storage.read { try $0.auditEntries(after: 25, limit: 2) }.map(\.sequence) == [26, 27])
        #expect(try await AuditChain.verify(storage, pageSize: 7) == .intact(entries: 30))
        await storage.close()
    }

    @Test func theAuditLogIsAppendOnlyInSQL() async throws {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database)
        for index in 0..<6 {
            _ = try await storage.write { try $0.appendAudit(self.event(index, tenant: nil), at: Sample.now) }
        }
        for sql in ["UPDATE audit_log SET actor = 'mallory' WHERE sequence = 3", "DELETE FROM audit_log WHERE sequence = 6"] {
            let error = await storageError { try await storage.withWriteConnection { try $0.execute(sql) } }
            #expect(error == .constraintViolation("audit_log is append-only"))
        }
        #expect(try await AuditChain.verify(storage) == .intact(entries: 6))

        // With the trigger bypassed (as `coffer audit verify`'s tamper test does), the chain shows the edit.
        try await storage.withWriteConnection { connection in
            try connection.execute("DROP TRIGGER audit_log_no_update")
            try connection.execute("UPDATE audit_log SET actor = 'mallory' WHERE sequence = 3")
        }
        #expect(try await AuditChain.verify(storage) == .broken(atSequence: 3))
        await storage.close()
    }

    // MARK: The head the writer remembers between appends

    @Test func anAppendRolledBackWithItsBodyLeavesNoGap() async throws {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database)
        _ = try await storage.write { try $0.appendAudit(self.event(0, tenant: nil), at: Sample.now) }
        let before = storage.writeStats
        let (thrower, appender) = try await whileWriterHeld(storage) {
            (Task { try await appendThenThrow(storage, self.event(1, tenant: nil)) },
             Task { try await storage.write { try $0.appendAudit(self.event(2, tenant: nil), at: Sample.now) } })
        }
        await #expect(throws: IntentionalFailure.self) { try await thrower.value }
        #expect(try await appender.value.sequence == 2)
        #expect(storage.writeStats.batches - before.batches == 2, "the gate's batch, then one with both jobs")

        // And the same across batches.
        await #expect(throws: IntentionalFailure.self) { try await appendThenThrow(storage, self.event(3, tenant: nil)) }
        let last = try await storage.write { try $0.appendAudit(self.event(4, tenant: nil), at: Sample.now) }
        #expect(last.sequence == 3)
        #expect(try await AuditChain.verify(storage) == .intact(entries: 3))
        #expect(storage.writeStats.failedBatches == 0)
        await storage.close()
    }

    @Test func anAppendInAFailedBatchLeavesNoGap() async throws {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database)
        _ = try await storage.write { try $0.appendAudit(self.event(0, tenant: nil), at: Sample.now) }
        let (appender, violator) = try await whileWriterHeld(storage) {
            (Task { try await storage.write { try $0.appendAudit(self.event(1, tenant: nil), at: Sample.now) } },
             Task {
                 // A card of no tenant, with the foreign key checked only at COMMIT: the COMMIT fails.
                 try await storage.write { writer in
                     try (writer as? SQLiteWriter)?.connection.execute("PRAGMA defer_foreign_keys = ON")
                     try writer.insertCard(Sample.card(tenant: .generate()))
                     return try writer.appendAudit(self.event(2, tenant: nil), at: Sample.now)
                 }
             })
        }
        await #expect(throws: StorageError.self) { try await appender.value }
        await #expect(throws: StorageError.self) { try await violator.value }
        let last = try await storage.write { try $0.appendAudit(self.event(3, tenant: nil), at: Sample.now) }
        #expect(last.sequence == 2)
        #expect(storage.writeStats.failedBatches == 1)
        #expect(try await AuditChain.verify(storage) == .intact(entries: 2))
        await storage.close()
    }

    @Test func theChainContinuesAfterReopeningAndAppendsByAnotherConnection() async throws {
        let directory = try ScratchDirectory()
        let first = try SQLiteStorage.open(path: directory.database)
        for index in 0..<2 {
            _ = try await first.write { try $0.appendAudit(self.event(index, tenant: nil), at: Sample.now) }
        }
        await first.close()
        let reopened = try SQLiteStorage.open(path: directory.database)
        #expect(try await reopened.write { try $0.appendAudit(self.event(2, tenant: nil), at: Sample.now) }.sequence == 3)
        // A second storage on the same file, as a CLI command beside a running server.
        let other = try SQLiteStorage.open(path: directory.database)
        var sequences: [Int64] = []
        for (index, storage) in [other, reopened, other, reopened].enumerated() {
            sequences.append(try await storage.write { try $0.appendAudit(self.event(3 + index, tenant: nil), at: Sample.now) }.sequence)
        }
        #expect(sequences == [4, 5, 6, 7])
        #expect(try await AuditChain.verify(reopened) == .intact(entries: 7))
        await other.close()
        await reopened.close()
    }
}

/// A write whose body appends an audit entry and then throws `IntentionalFailure`.
private func appendThenThrow(_ storage: SQLiteStorage, _ event: AuditEvent) async throws {
    try await storage.write { writer in
        _ = try writer.appendAudit(event, at: Sample.now)
        throw IntentionalFailure()
    }
}
