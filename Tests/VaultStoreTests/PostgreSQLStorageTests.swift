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

    /// Two nodes on one fresh database.
    private func twoNodes() async throws -> (PostgreSQLStorage, PostgreSQLStorage, TenantID) {
        let uri = try await TestPostgreSQL.makeDatabase()
        let first = try PostgreSQLStorage.open(uri: uri)
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
        await first.close()
        await second.close()
    }

    /// Node A reads, node B commits a conflicting check-then-insert, then A inserts: A's first run
    /// fails to serialize, and its second run — transparent to the caller — sees B's card.
    @Test func aSerializationFailureIsRetriedTransparently() async throws {
        let (first, second, tenant) = try await twoNodes()
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
        let rivalInserted = try await second.write { writer -> Bool in
            guard try writer.cards(fingerprint: fingerprint, tenant: tenant).isEmpty else { return false }
            try writer.insertCard(rival)
            return true
        }
        proceed.signal()
        #expect(rivalInserted)
        #expect(try await contended.value == false)
        #expect(runs.count == 2)
        #expect(try await first.read { try $0.cards(fingerprint: fingerprint, tenant: tenant) } == [rival])
        await first.close()
        await second.close()
    }

    @Test func theAuditLogIsAppendOnlyInSQL() async throws {
        let (storage, _, _) = try await twoNodes()
        let log = log
        _ = try await storage.write { try log.append(AuditEvent(tenantID: nil, actor: AuditActor(name: "test"), action: .cardReveal,
                                                                subject: nil, outcome: .success), at: Sample.now, to: $0) }
        for sql in ["UPDATE audit_log SET actor = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
            let error = await storageError { try await storage.withWriteConnection { try $0.executeScript(sql) } }
            guard case .constraintViolation(let message) = error else {
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
