import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

@Suite(.ownThreads) struct MigrationTests {
    func file(_ name: String, _ sql: String) -> (name: String, sql: [UInt8]) { (name, Array(sql.utf8)) }

    @Test func freshDatabaseAppliesEveryEmbeddedMigrationAndReopeningAppliesNone() async throws {
        let directory = try ScratchDirectory()
        let names = embeddedMigrationFiles.map(\.name)
        #expect(names.first == "0001_initial.sql")
        #expect(try SQLiteStorage.pendingMigrations(path: directory.database) == names)

        let storage = try SQLiteStorage.open(path: directory.database)
        #expect(storage.appliedMigrations == names)
        await storage.close()
        #expect(try SQLiteStorage.pendingMigrations(path: directory.database) == [])
        let objects = try schemaObjects(directory.database)
        for table in ["schema_migrations", "metadata", "tenants", "api_keys", "data_keys", "card_data_keys",
                      "cards", "audit_log", "audit_log_no_update", "audit_log_no_delete"] {
            #expect(objects.contains(table), "missing \(table)")
        }
        #expect(try appliedVersions(directory.database) == Array(1...names.count))

        let reopened = try SQLiteStorage.open(path: directory.database)
        #expect(reopened.appliedMigrations == [])
        await reopened.close()
    }

    @Test func checksumIsTheHexSHA256OfTheFileBytes() async throws {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database, migrations: [file("0001_a.sql", "CREATE TABLE a (x INTEGER) STRICT;")])
        await storage.close()
        let connection = try SQLiteConnection.open(path: directory.database, mode: .readOnly)
        defer { connection.close() }
        let row = try connection.queryFirst("SELECT name, checksum, applied_at FROM schema_migrations") {
            ($0.text(0), $0.text(1), $0.int64(2))
        }
        #expect(row?.0 == "0001_a.sql")
        // printf 'CREATE TABLE a (x INTEGER) STRICT;' | sha256sum
        #expect(row?.1 == "3f7b6ff95514f90095ce2f619c182e54d2414d3ca904d606357477bebed3d0b1")
        #expect((row?.2 ?? 0) > 1_600_000_000_000)
    }

    @Test func aChangedAppliedMigrationStopsStartupAndChangesNothing() async throws {
        let directory = try ScratchDirectory()
        let first = try SQLiteStorage.open(path: directory.database,
                                           migrations: [file("0001_a.sql", "CREATE TABLE a (x INTEGER) STRICT;")])
        #expect(first.appliedMigrations == ["0001_a.sql"])
        await first.close()

        let changed = [file("0001_a.sql", "CREATE TABLE a (x INTEGER, y TEXT) STRICT;"),
                       file("0002_b.sql", "CREATE TABLE b (x INTEGER) STRICT;")]
        let error = await storageError { _ = try SQLiteStorage.open(path: directory.database, migrations: changed) }
        guard case .migration(let message) = error else {
            Issue.record("expected .migration, got \(String(describing: error))")
            return
        }
        #expect(message.contains("0001_a.sql"))
        #expect(message.contains("changed after it was applied"))
        #expect(!(try schemaObjects(directory.database).contains("b")))
        #expect(try appliedVersions(directory.database) == [1])
        #expect(throws: StorageError.self) {
            try SQLiteStorage.pendingMigrations(path: directory.database, migrations: changed)
        }
    }

    @Test func aFailingMigrationRollsBackEntirely() async throws {
        let directory = try ScratchDirectory()
        let migrations = [file("0001_a.sql", "CREATE TABLE a (x INTEGER) STRICT;"),
                          file("0002_broken.sql", "CREATE TABLE c (x INTEGER) STRICT;\nCREATE TABL oops (x);")]
        let error = await storageError { _ = try SQLiteStorage.open(path: directory.database, migrations: migrations) }
        guard case .migration(let message) = error else {
            Issue.record("expected .migration, got \(String(describing: error))")
            return
        }
        #expect(message.contains("0002_broken.sql"))
        let objects = try schemaObjects(directory.database)
        #expect(objects.contains("a"))
        #expect(!objects.contains("c"))
        #expect(try appliedVersions(directory.database) == [1])
    }

    @Test func aDatabaseFromANewerBinaryIsRefused() async throws {
        let directory = try ScratchDirectory()
        let newer = try SQLiteStorage.open(path: directory.database, migrations: [
            file("0001_a.sql", "CREATE TABLE a (x INTEGER) STRICT;"),
            file("0002_b.sql", "CREATE TABLE b (x INTEGER) STRICT;"),
        ])
        await newer.close()
        let error = await storageError {
            _ = try SQLiteStorage.open(path: directory.database,
                                       migrations: [file("0001_a.sql", "CREATE TABLE a (x INTEGER) STRICT;")])
        }
        guard case .migration(let message) = error else {
            Issue.record("expected .migration, got \(String(describing: error))")
            return
        }
        #expect(message.contains("0002_b.sql"))
    }

    @Test func laterMigrationsAreAppliedToAnExistingDatabase() async throws {
        let directory = try ScratchDirectory()
        let one = [file("0001_a.sql", "CREATE TABLE a (x INTEGER) STRICT;")]
        await (try SQLiteStorage.open(path: directory.database, migrations: one)).close()
        let two = one + [file("0002_b.sql", "CREATE TABLE b (x INTEGER) STRICT;")]
        #expect(try SQLiteStorage.pendingMigrations(path: directory.database, migrations: two) == ["0002_b.sql"])
        let storage = try SQLiteStorage.open(path: directory.database, migrations: two)
        #expect(storage.appliedMigrations == ["0002_b.sql"])
        await storage.close()
        #expect(try appliedVersions(directory.database) == [1, 2])
    }

    @Test func keysMadeBeforeRateLimitsGetTheDefaults() async throws {
        let directory = try ScratchDirectory()
        let limitsMigration = try #require(embeddedMigrationFiles.firstIndex { $0.name.hasSuffix("_api_key_rate_limits.sql") })
        let before = Array(embeddedMigrationFiles[..<limitsMigration])
        await (try SQLiteStorage.open(path: directory.database, migrations: before)).close()
        let tenant = TenantID.generate()
        let connection = try SQLiteConnection.open(path: directory.database, mode: .readWrite(.full))
        try connection.execute("INSERT INTO tenants (id, name, wrapped_fingerprint_key, created_at) VALUES (?, 't', X'00', 1)",
                               tenant.rawValue)
        for (hash, roles) in [(Sample.bytes(32, seed: 1), "admin,reveal"), (Sample.bytes(32, seed: 2), "fingerprint,tokenize")] {
            try connection.execute("""
                INSERT INTO api_keys (id, tenant_id, secret_hash, roles, label, created_at) VALUES (?, ?, ?, ?, '', 1)
                """, APIKeyID.generate().rawValue, tenant.rawValue, hash, roles)
        }
        connection.close()

        let storage = try SQLiteStorage.open(path: directory.database)
        let admin = try await storage.read { try $0.apiKey(secretHash: Sample.bytes(32, seed: 1)) }
        let other = try await storage.read { try $0.apiKey(secretHash: Sample.bytes(32, seed: 2)) }
        #expect(admin?.limits == RateLimits.defaults(for: [.admin, .reveal]))
        #expect(other?.limits == RateLimits.defaults(for: [.fingerprint, .tokenize]))
        #expect(other?.limits[.duplicates] == RateLimits.defaultDuplicateRate)
        await storage.close()
    }

    @Test func theKeyInitPrintedBecomesTheOperatorOfAnUpgradedVault() async throws {
        let directory = try ScratchDirectory()
        let operatorMigration = try #require(embeddedMigrationFiles.firstIndex { $0.name.hasSuffix("_operator_for_upgraded_vaults.sql") })
        await (try SQLiteStorage.open(path: directory.database, migrations: Array(embeddedMigrationFiles[..<operatorMigration]))).close()
        let (first, later) = (TenantID.generate(), TenantID.generate())
        let connection = try SQLiteConnection.open(path: directory.database, mode: .readWrite(.full))
        for (tenant, created) in [(first, 1), (later, 2)] {
            try connection.execute("INSERT INTO tenants (id, name, wrapped_fingerprint_key, created_at) VALUES (?, 't', X'00', ?)",
                                   tenant.rawValue, created)
        }
        // The first tenant's admin key (as init made it), a later key of it, another tenant's admin.
        let keys: [(TenantID, Int, String, String, Int)] = [
            (first, 1, "admin,keys,reveal,staff,sync,tokenize", "admin", 1),
            (first, 2, "admin,keys,reveal,staff,sync,tokenize", "admin", 5),
            (later, 3, "admin,keys,reveal,staff,sync,tokenize", "admin", 2),
        ]
        for (tenant, seed, roles, label, created) in keys {
            try connection.execute("""
                INSERT INTO api_keys (id, tenant_id, secret_hash, roles, label, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, APIKeyID.generate().rawValue, tenant.rawValue, Sample.bytes(32, seed: UInt8(seed)), roles, label, created)
        }
        connection.close()

        let storage = try SQLiteStorage.open(path: directory.database)
        let roles = try await storage.read { reader in
            try (1...3).map { try reader.apiKey(secretHash: Sample.bytes(32, seed: UInt8($0)))?.roles }
        }
        #expect(roles[0] == Set(Role.allCases))
        #expect(roles[1] == Set<Role>([.admin, .keys, .reveal, .staff, .sync, .tokenize]))
        #expect(roles[2] == Set<Role>([.admin, .keys, .reveal, .staff, .sync, .tokenize]))
        await storage.close()
    }

    @Test(arguments: [
        ["1_a.sql"],
        ["0001-a.sql"],
        ["0001_.sql"],
        ["0001_a.txt"],
        ["0001_a b.sql"],
        ["0000_a.sql"],
        ["0001_a.sql", "0001_b.sql"],
        ["0002_a.sql", "0001_b.sql"],
        ["0001_a.sql", "0003_b.sql"],
        ["0002_a.sql"],
    ])
    func misnumberedOrMalformedNamesAreRejected(_ names: [String]) {
        let files = names.map { file($0, "SELECT 1;") }
        #expect(throws: StorageError.self) { try Migrator(files: files) }
    }

    @Test func wellFormedNamesAreAccepted() throws {
        let migrator = try Migrator(files: [file("0001_initial.sql", ""), file("0002_Add_cards_2.sql", "")])
        #expect(migrator.migrations.map(\.version) == [1, 2])
    }
}

/// The migration that replaced the unkeyed idempotency table.
@Suite(.ownThreads) struct IdempotencyMigrationTests {
    @Test func theOldRecordsAreDroppedAndOverwritten() async throws {
        let directory = try ScratchDirectory()
        let all = embeddedMigrationFiles
        let index = try #require(all.firstIndex { $0.name.hasSuffix("_idempotency_macs.sql") })
        let hash = [UInt8](repeating: 0xC5, count: 32), key = "order-\(UUID().uuidString)"
        let before = try SQLiteStorage.open(path: directory.database, migrations: Array(all[..<index]))
        let tenant = Sample.tenant()
        try await before.write { writer in
            try writer.insertTenant(tenant)
            try writer.insertDataKey(Sample.dataKey(1))
        }
        try await before.withWriteConnection { connection in
            try connection.execute(
                "INSERT INTO idempotency_keys (tenant_id, key, request_hash, status, sealed_body, key_version, created_at) VALUES (?, ?, ?, 201, X'00', 1, 0)",
                tenant.id.rawValue, key, hash)
        }
        await before.close()

        let after = try SQLiteStorage.open(path: directory.database)
        #expect(after.appliedMigrations.first == all[index].name)
        await after.close()
        let objects = try schemaObjects(directory.database)
        #expect(!objects.contains("idempotency_keys") && objects.contains("idempotency_records"))
        // Checkpointed at close: secure_delete zeroed the dropped table's pages.
        for path in [directory.database, directory.database + "-wal"] {
            let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
            #expect(!bytes.contains(hash[...]) && !bytes.contains(Array(key.utf8)[...]), "\(path)")
        }
    }
}
