import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

@Suite(.ownThreads) struct ConcurrencyTests {
    @Test(arguments: StorageKind.available) func concurrentWritesAreCommittedInGroups(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let before = storage.writeStats
        let cards = (0..<200).map { _ in Sample.card(tenant: tenant) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for card in cards {
                group.addTask { try await storage.write { try $0.insertCard(card) } }
            }
            try await group.waitForAll()
        }
        let after = storage.writeStats
        let jobs = after.jobs - before.jobs
        let batches = after.batches - before.batches
        #expect(jobs == 200)
        #expect(batches < jobs, "no batching: \(batches) commits for \(jobs) writes")
        #expect(after.largestBatch > 1)
        #expect(after.largestBatch <= SQLiteStorage.defaultMaxBatchSize)
        #expect(after.failedBatches == 0)
        #expect(try await storage.read { try $0.cardCount() } == 200)
        for card in cards.prefix(20) {
            #expect(try await storage.read { try $0.card(card.token, tenant: tenant) } == card)
        }
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func aThrowingBodyFailsAloneWhileTheOthersCommit(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let cards = (0..<60).map { _ in Sample.card(tenant: tenant) }
        let failing = 30
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, card) in cards.enumerated() {
                group.addTask {
                    do {
                        try await storage.write { writer in
                            try writer.insertCard(card)
                            if index == failing { throw IntentionalFailure() }
                        }
                        return (index, true)
                    } catch {
                        return (index, error is IntentionalFailure ? false : true)
                    }
                }
            }
            var results: [Int: Bool] = [:]
            for await (index, succeeded) in group { results[index] = succeeded }
            return results
        }
        #expect(results.filter { !$0.value }.map(\.key) == [failing])
        #expect(try await storage.read { try $0.card(cards[failing].token, tenant: tenant) } == nil)
        #expect(try await storage.read { try $0.cardCount() } == cards.count - 1)
        await storage.close()
    }

    /// Another process holds SQLite's write lock past the busy timeout (here 50 ms instead of
    /// 5 s): the write fails with the typed, retryable `.busy` naming the file, not a generic
    /// outage, and changes nothing; once the lock is released the same write goes through.
    @Test func aWriteLockHeldElsewherePastTheBusyTimeoutIsBusy() async throws {
        let directory = try ScratchDirectory()
        let (storage, tenant) = try await openWithTenant(directory.database)
        try await storage.withWriteConnection { try $0.execute("PRAGMA busy_timeout = 50") }
        let other = try await blocking {
            let connection = try SQLiteConnection.open(path: directory.database, mode: .readWrite(.full))
            try connection.execute("BEGIN IMMEDIATE")
            return connection
        }
        let card = Sample.card(tenant: tenant)
        let error = await storageError { try await storage.write { try $0.insertCard(card) } }
        try await blocking {
            try other.execute("ROLLBACK")
            other.close()
        }
        guard case .busy(let message) = error else {
            Issue.record("expected .busy, got \(String(describing: error))")
            return
        }
        #expect(error?.code == "storage_busy")
        #expect(error?.isTransient == true)
        #expect(message.contains(directory.database) && message.contains("locked"), "\(message)")
        #expect(try await storage.read { try $0.cardCount() } == 0)
        try await storage.write { try $0.insertCard(card) }
        #expect(try await storage.read { try $0.card(card.token, tenant: tenant) } == card)
        await storage.close()
    }

    @Test func aFailedCommitFailsEveryJobOfItsBatch() async throws {
        let directory = try ScratchDirectory()
        let (storage, tenant) = try await openWithTenant(directory.database)
        let stored = Sample.card(tenant: tenant)
        let (storing, throwing, violating) = try await whileWriterHeld(storage) {
            (Task.immediate { try await storage.write { try $0.insertCard(stored) } },
             Task.immediate { try await storage.write { _ in throw IntentionalFailure() } },
             Task.immediate {
                 // A card of no tenant, with the foreign key checked only at COMMIT: the COMMIT fails.
                 try await storage.write { writer in
                     try (writer as? SQLiteWriter)?.connection.execute("PRAGMA defer_foreign_keys = ON")
                     try writer.insertCard(Sample.card(tenant: .generate()))
                 }
             })
        }
        // Every job gets the transaction's error, the throwing one included, and none is stored.
        for job in [storing, throwing, violating] {
            let error = await storageError { try await job.value }
            guard case .integrityViolation = error else {
                Issue.record("expected the COMMIT's .integrityViolation, got \(String(describing: error))")
                continue
            }
        }
        #expect(storage.writeStats.failedBatches == 1)
        #expect(try await storage.read { try $0.card(stored.token, tenant: tenant) } == nil)
        try await storage.write { try $0.insertCard(stored) }
        #expect(try await storage.read { try $0.card(stored.token, tenant: tenant) } == stored)
        await storage.close()
    }

    @Test func theWriterThreadIsNamedForTheKernel() async throws {
        let directory = try ScratchDirectory()
        let (storage, tenant) = try await openWithTenant(directory.database)
        try await storage.write { try $0.insertCard(Sample.card(tenant: tenant)) }  // the thread has run
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let names = tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        #expect(names.contains("coffer-writer\n"), "thread names: \(names)")
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func writesAndReadsAfterCloseAreUnavailable(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        await storage.close()
        await storage.close()  // idempotent
        let writeError = await storageError { try await storage.write { try $0.insertCard(Sample.card(tenant: tenant)) } }
        guard case .unavailable = writeError else {
            Issue.record("expected .unavailable, got \(String(describing: writeError))")
            return
        }
        let readError = await storageError { _ = try await storage.read { try $0.cardCount() } }
        guard case .unavailable = readError else {
            Issue.record("expected .unavailable, got \(String(describing: readError))")
            return
        }
    }

    @Test(arguments: StorageKind.available) func closeCommitsWhatIsQueued(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let cards = (0..<50).map { _ in Sample.card(tenant: tenant) }
        let writes = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for card in cards { group.addTask { try await storage.write { try $0.insertCard(card) } } }
                try await group.waitForAll()
            }
        }
        // Whatever was accepted before close is committed; whatever came after is refused.
        await storage.close()
        _ = await writes.result
        let stats = storage.writeStats
        let reopened = try store.open()
        #expect(try await reopened.read { try $0.cardCount() } == stats.jobs - 1)  // minus the setup write
        await reopened.close()
    }

    @Test(arguments: StorageKind.available) func manyConcurrentReadsShareASmallPool(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (opened, tenant) = try await store.openWithTenant()
        await opened.close()
        let storage = try store.open(maxReaders: 2)
        let card = Sample.card(tenant: tenant)
        try await storage.write { try $0.insertCard(card) }
        try await withThrowingTaskGroup(of: CardRecord?.self) { group in
            for _ in 0..<100 {
                group.addTask { try await storage.read { try $0.card(card.token, tenant: tenant) } }
            }
            for try await read in group { #expect(read == card) }
        }
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func aReadBodyThatThrowsReturnsItsConnection(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let storage = try store.open(maxReaders: 1)
        for _ in 0..<3 {
            await #expect(throws: IntentionalFailure.self) {
                try await storage.read { _ -> Int in throw IntentionalFailure() }
            }
        }
        #expect(try await storage.read { try $0.cardCount() } == 0)
        await storage.close()
    }
}
