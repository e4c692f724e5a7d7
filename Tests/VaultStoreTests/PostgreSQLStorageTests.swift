import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

/// What only PostgreSQL needs to show: several engines (nodes) on one database at once keep every
/// rule the single SQLite writer keeps by construction.
@Suite("PostgreSQL storage across nodes", .ownThreads, .enabled(if: TestPostgreSQL.isAvailable))
struct PostgreSQLStorageTests {
    private let log = AuditLog(key: .generate())

    /// Two nodes on one database, a fresh one unless given; the first deals with contention per `contention`.
    private func twoNodes(on database: String? = nil, contention: PGContentionPolicy = PGContentionPolicy())
        async throws -> (PostgreSQLStorage, PostgreSQLStorage, TenantID) {
        let uri = if let database { database } else { try await TestPostgreSQL.makeDatabase() }
        let first = try PostgreSQLStorage.open(uri: uri, migrator: Migrator.embeddedPostgreSQL(), contention: contention)
        let second = try PostgreSQLStorage.open(uri: uri)
        let tenant = Sample.tenant()
        try await first.write { writer in
            try writer.insertTenant(tenant)
            try writer.insertDataKey(Sample.dataKey(1))
        }
        return (first, second, tenant.id)
    }

    @Test func migrationsFromTwoNodesStartingTogetherApplyOnce() async throws {
        let uri = try await TestPostgreSQL.makeDatabase()
        let migrations = try Migrator.embeddedPostgreSQL().migrations.map(\.name)
        async let first = blocking { try PostgreSQLStorage.open(uri: uri) }
        async let second = blocking { try PostgreSQLStorage.open(uri: uri) }
        let nodes = try await [first, second]
        #expect(nodes.map(\.appliedMigrations).sorted { $0.count < $1.count } == [[], migrations])
        let versions = try await nodes[0].withWriteConnection { connection in
            try connection.rows("SELECT version FROM schema_migrations ORDER BY version") { try $0.int(0) }
        }
        #expect(versions == Array(1...migrations.count))
        for node in nodes { await node.close() }
    }

    @Test func aChangedAppliedMigrationStopsStartUp() async throws {
        let uri = try await TestPostgreSQL.makeDatabase()
        let original = [(name: "0001_initial.sql", sql: Array("CREATE TABLE a (id int8);".utf8))]
        await (try PostgreSQLStorage.open(uri: uri, migrator: Migrator(files: original))).close()
        let changed = [(name: "0001_initial.sql", sql: Array("CREATE TABLE a (id text);".utf8))]
        #expect {
            try PostgreSQLStorage.open(uri: uri, migrator: Migrator(files: changed))
        } throws: { error in
            guard case StorageError.migration(let message) = error else { return false }
            return message.contains("was changed after it was applied")
        }
    }

    @Test func auditAppendsFromTwoNodesAtOnceFormOneChain() async throws {
        let (first, second, tenant) = try await twoNodes()
        let log = log
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                let node = index.isMultiple(of: 2) ? first : second
                group.addTask {
                    let event = AuditEvent(tenantID: tenant, actor: AuditActor(name: "node-\(index % 2)"), action: .cardReveal,
                                           subject: "token-\(index)", outcome: .success)
                    _ = try await node.write { try log.append(event, at: Sample.now, to: $0) }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await first.read { try $0.auditEntries(after: 0, limit: 100) }
        #expect(entries.map(\.sequence) == Array(1...60))
        #expect(try await AuditChain.verify(second, key: log.key) == .intact(entries: 60, checkpoints: 0))
        // The writers took turns on the write lock: none read a head the other then replaced.
        #expect(first.writeStats.lostRaces + second.writeStats.lostRaces == 0)
        await first.close()
        await second.close()
    }

    @Test func aDuplicateCheckThenInsertHoldsAcrossNodes() async throws {
        let (first, second, tenant) = try await twoNodes()
        let fingerprint = Sample.bytes(32, seed: 5)
        let inserted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<40 {
                let node = index.isMultiple(of: 2) ? first : second
                let card = Sample.card(tenant: tenant, fingerprint: fingerprint)
                group.addTask {
                    try await node.write { writer in
                        guard try writer.cards(fingerprint: fingerprint, tenant: tenant).isEmpty else { return false }
                        try writer.insertCard(card)
                        return true
                    }
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(inserted == 1)
        #expect(try await second.read { try $0.cards(fingerprint: fingerprint, tenant: tenant) }.count == 1)
        #expect(first.writeStats.lostRaces + second.writeStats.lostRaces == 0)
        await first.close()
        await second.close()
    }

    /// Writers of every node take turns on one advisory lock: while node A's write is inside its
    /// transaction, node B's write waits on the lock (seen in `pg_locks`) and its body has not run.
    @Test func writersOfTwoNodesTakeTurnsOnTheWriteLock() async throws {
        let uri = try await TestPostgreSQL.makeDatabase()
        let first = try PostgreSQLStorage.open(uri: uri)
        let second = try PostgreSQLStorage.open(uri: uri)
        let (entered, signalEntered) = AsyncStream<Void>.makeStream()
        let proceed = DispatchSemaphore(value: 0)
        let holder = Task {
            try await first.write { _ in
                signalEntered.yield()
                proceed.wait()  // blocks node A's own writer thread, inside its transaction
            }
        }
        for await _ in entered { break }
        let secondRan = RunCounter()
        let waiter = Task { try await second.write { _ in _ = secondRan.next() } }
        let key = WriterCore<PGWriter>.writeLockKey
        let observer = try PGConnection.connect(uri)
        let waiting = try await blocking {
            for _ in 0..<500 {
                let count = try observer.query("""
                    SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND classid = $1 AND objid = $2
                    """, Int64(key >> 32), Int64(key & 0xFFFF_FFFF)).first?.int64(0) ?? 0
                if count == 1 { return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }
        observer.close()
        #expect(waiting)
        #expect(secondRan.count == 0)
        proceed.signal()
        try await holder.value
        try await waiter.value
        #expect(secondRan.count == 1)
        await first.close()
        await second.close()
    }

    /// A node that stalls inside its write transaction (hung, or cut off without a FIN) does not
    /// stop the others for long: the server ends its session after the stalled-transaction
    /// timeout, which rolls its transaction back and frees the write lock; the stalled node's write
    /// fails, and its next one runs on a new connection.
    @Test func aStalledWriterLosesTheWriteLockAfterItsTimeout() async throws {
        let uri = try await TestPostgreSQL.makeDatabase()
        let stalled = try PostgreSQLStorage.open(uri: uri, migrator: Migrator.embeddedPostgreSQL(),
                                                 contention: PGContentionPolicy(stalledTransactionTimeout: 0.5))
        let other = try PostgreSQLStorage.open(uri: uri)
        let (tenant, otherTenant) = (Sample.tenant(), Sample.tenant())
        let (entered, signalEntered) = AsyncStream<Void>.makeStream()
        let proceed = DispatchSemaphore(value: 0)
        let watchdogFired = Atomic<Bool>(false)
        let hung = Task {
            try await stalled.write { writer in
                try writer.insertTenant(tenant)
                signalEntered.yield()
                proceed.wait()  // the stalled node's writer thread, inside its transaction
            }
        }
        for await _ in entered { break }
        // Without the timeout the other node would wait for ever; the watchdog lets the test end.
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) {
            watchdogFired.store(true, ordering: .relaxed)
            proceed.signal()
        }
        try await other.write { try $0.insertTenant(otherTenant) }
        let waitedForTheWatchdog = watchdogFired.load(ordering: .relaxed)
        #expect(!waitedForTheWatchdog, "the other node wrote only after the stalled one went on")
        proceed.signal()
        await #expect(throws: StorageError.self) { try await hung.value }
        #expect(try await other.read { try $0.tenant(tenant.id) } == nil)
        try await stalled.write { try $0.insertTenant(tenant) }
        #expect(try await other.read { try $0.tenant(tenant.id) } != nil)
        await stalled.close()
        await other.close()
    }

    /// A writer that does not take the lock (an older binary during a rolling upgrade, an
    /// operator's session) commits a conflicting check-then-insert while node A's body is between
    /// its check and its insert: A's first run fails to serialize, and its second run — transparent
    /// to the caller — sees the other card. SERIALIZABLE, not the lock, is what keeps the rule.
    @Test func aSerializationFailureIsRetriedTransparently() async throws {
        let race = try await checkThenInsertRacedByAnOutsider(contention: PGContentionPolicy())
        #expect(try race.outcome.get() == false)
        #expect(race.runs == 2)
        #expect(race.lostRaces == 1)
        #expect(race.stored == [race.rival])
    }

    /// The same race with no run left after the first: the write fails with the typed, retryable
    /// `.serializationFailure` (a 503 with `Retry-After` over HTTP), not a generic outage, and
    /// changes nothing.
    @Test func aSerializationFailureBeyondTheRetriesIsTyped() async throws {
        let race = try await checkThenInsertRacedByAnOutsider(contention: PGContentionPolicy(maximumAttempts: 1))
        guard case .failure(let failure) = race.outcome, case StorageError.serializationFailure(let message) = failure else {
            Issue.record("expected .serializationFailure, got \(race.outcome)")
            return
        }
        let error = try #require(failure as? StorageError)
        #expect(error.code == "storage_serialization_failure")
        #expect(error.isTransient)
        #expect(message.contains("40001"))
        #expect(race.runs == 1)
        #expect(race.lostRaces == 1)
        #expect(race.stored == [race.rival])
    }

    /// Node A (retrying per `contention`) checks that no card has a fingerprint and inserts one, paused
    /// between the two while an outsider's SERIALIZABLE transaction, without the write lock,
    /// inserts a card with that fingerprint and commits.
    private func checkThenInsertRacedByAnOutsider(contention: PGContentionPolicy) async throws
        -> (outcome: Result<Bool, any Error>, runs: Int, lostRaces: Int, rival: CardRecord, stored: [CardRecord]) {
        let uri = try await TestPostgreSQL.makeDatabase()
        let (first, second, tenant) = try await twoNodes(on: uri, contention: contention)
        let fingerprint = Sample.bytes(32, seed: 6)
        let runs = RunCounter()
        let (entered, signalEntered) = AsyncStream<Void>.makeStream()
        let proceed = DispatchSemaphore(value: 0)
        let card = Sample.card(tenant: tenant, fingerprint: fingerprint)
        let contended = Task {
            try await first.write { writer -> Bool in
                let run = runs.next()
                let existing = try writer.cards(fingerprint: fingerprint, tenant: tenant)
                if run == 1 {
                    signalEntered.yield()
                    proceed.wait()  // blocks node A's own writer thread
                }
                guard existing.isEmpty else { return false }
                try writer.insertCard(card)
                return true
            }
        }
        for await _ in entered { break }
        let rival = Sample.card(tenant: tenant, fingerprint: fingerprint)
        let rivalInserted = try await blocking {
            let connection = try PGConnection.connect(uri)
            defer { connection.close() }
            try connection.executeScript("BEGIN ISOLATION LEVEL SERIALIZABLE")
            let outsider = PGWriter(connection: connection, attempt: PGAttempt(), fence: PGCommitFence())
            guard try outsider.cards(fingerprint: fingerprint, tenant: tenant).isEmpty else { return false }
            try outsider.insertCard(rival)
            try connection.executeScript("COMMIT")
            return true
        }
        proceed.signal()
        #expect(rivalInserted)
        let outcome = await contended.result
        let stored = try await second.read { try $0.cards(fingerprint: fingerprint, tenant: tenant) }
        let lostRaces = first.writeStats.lostRaces
        await first.close()
        await second.close()
        return (outcome, runs.count, lostRaces, rival, stored)
    }

    @Test func theAuditLogIsAppendOnlyInSQL() async throws {
        let (storage, _, _) = try await twoNodes()
        let log = log
        _ = try await storage.write { try log.append(AuditEvent(tenantID: nil, actor: AuditActor(name: "test"), action: .cardReveal,
                                                                subject: nil, outcome: .success), at: Sample.now, to: $0) }
        for sql in ["UPDATE audit_log SET actor = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
            let error = await storageError { try await storage.withWriteConnection { try $0.executeScript(sql) } }
            guard case .integrityViolation(let message) = error else {
                Issue.record("\(sql): expected a refusal, got \(String(describing: error))")
                continue
            }
            #expect(message.contains("audit_log_append_only"))
        }
        #expect(try await storage.read { try $0.auditEntries(after: 0, limit: 10) }.map(\.event.actor.name) == ["test"])
        await storage.close()
    }

    /// The PostgreSQL schema stores exactly what SQLite's stores: the same tables with the same
    /// columns (plus the identity `rowid` SQLite has implicitly).
    @Test func theSchemaHasSQLitesTablesAndColumns() async throws {
        let directory = try ScratchDirectory()
        await (try SQLiteStorage.open(path: directory.database)).close()
        let sqlite = try SQLiteConnection.open(path: directory.database, mode: .readOnly)
        defer { sqlite.close() }
        let tables = try sqlite.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name") { $0.text(0) }
        var expected: Set<String> = []
        for table in tables {
            for column in try sqlite.query("SELECT name FROM pragma_table_info(?)", table, map: { $0.text(0) }) {
                expected.insert("\(table).\(column)")
            }
        }
        let (storage, _, _) = try await twoNodes()
        let columns = try await storage.withWriteConnection { connection in
            try connection.rows("""
                SELECT table_name || '.' || column_name FROM information_schema.columns
                WHERE table_schema = 'public' AND column_name <> 'rowid'
                """) { try $0.text(0) }
        }
        #expect(Set(columns) == expected)
        await storage.close()
    }
}

/// Counts the runs of a write body from its thread.
private final class RunCounter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).newValue }
    var count: Int { value.load(ordering: .relaxed) }
}
