import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

/// The chain's key for these tests; a vault unwraps its own from the master key.
private let log = AuditLog(key: .generate())

@Suite(.ownThreads) struct AuditLogTests {
    func event(_ index: Int, tenant: TenantID?) -> AuditEvent {
        AuditEvent(tenantID: tenant, actor: AuditActor(name: "key-\(index)"), action: index.isMultiple(of: 2) ? .cardReveal : .cardDelete,
                   subject: index.isMultiple(of: 3) ? nil : "token-\(index)",
                   outcome: index.isMultiple(of: 5) ? .failure : .success)
    }

    @Test(arguments: StorageKind.available) func appendedEntriesFormAHashChain(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let storage = try store.open()
        let tenant = TenantID.generate()
        let first = try await storage.write { try log.append(self.event(0, tenant: tenant), at: date(1_700_000_000_000), to: $0) }
        #expect(first.sequence == 1)
        #expect(first.previousMAC == AuditChain.genesis)
        #expect(first.chainVersion == .keyed)
        #expect(first.mac == AuditChain.mac(key: log.key, previous: AuditChain.genesis, sequence: 1,
                                            timestampMillis: 1_700_000_000_000, event: event(0, tenant: tenant)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 1..<30 {
                group.addTask {
                    _ = try await storage.write { try log.append(self.event(index, tenant: index == 7 ? nil : tenant), at: Sample.now, to: $0) }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await storage.read { try $0.auditEntries(after: 0, limit: 100) }
        #expect(entries.map(\.sequence) == Array(1...30))
        #expect(entries.first == first)
        for (previous, entry) in zip(entries, entries.dropFirst()) {
            #expect(entry.previousMAC == previous.mac)
        }
        #expect(try await storage.read { try $0.auditEntries(after: 25, limit: 2) }.map(\.sequence) == [26, 27])
        #expect(try await AuditChain.verify(storage, key: log.key, pageSize: 7) == .intact(entries: 30, checkpoints: 0))
        await storage.close()
    }

    @Test func theAuditLogIsAppendOnlyInSQL() async throws {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database)
        for index in 0..<6 {
            _ = try await storage.write { try log.append(self.event(index, tenant: nil), at: Sample.now, to: $0) }
        }
        for sql in ["UPDATE audit_log SET actor = 'mallory' WHERE sequence = 3", "DELETE FROM audit_log WHERE sequence = 6"] {
            let error = await storageError { try await storage.withWriteConnection { try $0.execute(sql) } }
            #expect(error == .integrityViolation("audit_log is append-only"))
        }
        #expect(try await AuditChain.verify(storage, key: log.key) == .intact(entries: 6, checkpoints: 0))

        // With the trigger bypassed (as `coffer audit verify`'s tamper test does), the chain shows the edit.
        try await storage.withWriteConnection { connection in
            try connection.execute("DROP TRIGGER audit_log_no_update")
            try connection.execute("UPDATE audit_log SET actor = 'mallory' WHERE sequence = 3")
        }
        #expect(try await AuditChain.verify(storage, key: log.key) == .broken(atSequence: 3, reason: .mismatch))
        await storage.close()
    }

    // MARK: The head the writer remembers between appends

    @Test func anAppendRolledBackWithItsBodyLeavesNoGap() async throws {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database)
        _ = try await storage.write { try log.append(self.event(0, tenant: nil), at: Sample.now, to: $0) }
        let before = storage.writeStats
        let (thrower, appender) = try await whileWriterHeld(storage) {
            (Task.immediate { try await appendThenThrow(storage, self.event(1, tenant: nil)) },
             Task.immediate { try await storage.write { try log.append(self.event(2, tenant: nil), at: Sample.now, to: $0) } })
        }
        await #expect(throws: IntentionalFailure.self) { try await thrower.value }
        #expect(try await appender.value.sequence == 2)
        #expect(storage.writeStats.batches - before.batches == 2, "the gate's batch, then one with both jobs")

        // And the same across batches.
        await #expect(throws: IntentionalFailure.self) { try await appendThenThrow(storage, self.event(3, tenant: nil)) }
        let last = try await storage.write { try log.append(self.event(4, tenant: nil), at: Sample.now, to: $0) }
        #expect(last.sequence == 3)
        #expect(try await AuditChain.verify(storage, key: log.key) == .intact(entries: 3, checkpoints: 0))
        #expect(storage.writeStats.failedBatches == 0)
        await storage.close()
    }

    @Test func anAppendInAFailedBatchLeavesNoGap() async throws {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database)
        _ = try await storage.write { try log.append(self.event(0, tenant: nil), at: Sample.now, to: $0) }
        let (appender, violator) = try await whileWriterHeld(storage) {
            (Task.immediate { try await storage.write { try log.append(self.event(1, tenant: nil), at: Sample.now, to: $0) } },
             Task.immediate {
                 // A card of no tenant, with the foreign key checked only at COMMIT: the COMMIT fails.
                 try await storage.write { writer in
                     try (writer as? SQLiteWriter)?.connection.execute("PRAGMA defer_foreign_keys = ON")
                     try writer.insertCard(Sample.card(tenant: .generate()))
                     return try log.append(self.event(2, tenant: nil), at: Sample.now, to: writer)
                 }
             })
        }
        await #expect(throws: StorageError.self) { try await appender.value }
        await #expect(throws: StorageError.self) { try await violator.value }
        let last = try await storage.write { try log.append(self.event(3, tenant: nil), at: Sample.now, to: $0) }
        #expect(last.sequence == 2)
        #expect(storage.writeStats.failedBatches == 1)
        #expect(try await AuditChain.verify(storage, key: log.key) == .intact(entries: 2, checkpoints: 0))
        await storage.close()
    }

    @Test(arguments: StorageKind.available)
    func theChainContinuesAfterReopeningAndAppendsByAnotherConnection(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let first = try store.open()
        for index in 0..<2 {
            _ = try await first.write { try log.append(self.event(index, tenant: nil), at: Sample.now, to: $0) }
        }
        await first.close()
        let reopened = try store.open()
        #expect(try await reopened.write { try log.append(self.event(2, tenant: nil), at: Sample.now, to: $0) }.sequence == 3)
        // A second storage on the same file, as a CLI command beside a running server.
        let other = try store.open()
        var sequences: [Int64] = []
        for (index, storage) in [other, reopened, other, reopened].enumerated() {
            sequences.append(try await storage.write { try log.append(self.event(3 + index, tenant: nil), at: Sample.now, to: $0) }.sequence)
        }
        #expect(sequences == [4, 5, 6, 7])
        #expect(try await AuditChain.verify(reopened, key: log.key) == .intact(entries: 7, checkpoints: 0))
        await other.close()
        await reopened.close()
    }
}

/// A write whose body appends an audit entry and then throws `IntentionalFailure`.
private func appendThenThrow(_ storage: SQLiteStorage, _ event: AuditEvent) async throws {
    try await storage.write { writer in
        try log.append(event, at: Sample.now, to: writer)
        throw IntentionalFailure()
    }
}
