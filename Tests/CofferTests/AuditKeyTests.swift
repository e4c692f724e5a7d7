import Foundation
import TestSupport
import Testing
import VaultCore
import VaultStore

/// The audit key is made with the vault and never again implicitly: an attacker who deletes it
/// and rewrites the log as an unkeyed chain must not get a vault that re-keys itself over the
/// forgery. A wrong master key must change nothing.
@Suite("The audit key: made with the vault, never implicitly after", .ownThreads)
struct AuditKeyTests {
    /// A vault whose log holds a few keyed entries, closed.
    private func vault() async throws -> TestVault {
        let test = try await TestVault.make()
        for index in 0..<3 {
            let token = try await test.vault.tokenize(TestPAN.card(index), tenant: test.tenant, caller: test.admin,
                                                      actor: "test").metadata.token
            _ = try await test.vault.reveal(token, tenant: test.tenant, caller: test.admin, actor: "test")
        }
        await test.storage.close()
        return test
    }

    private static let deleteTheKey = "DELETE FROM metadata WHERE key IN ('audit_key', 'audit_unkeyed_prefix')"

    @Test("A log rewritten as an unkeyed chain with its key deleted is refused, not re-keyed")
    func aDeletedKeyIsNotRemade() async throws {
        let test = try await vault()
        try await AuditTampering.rewriteUnkeyed(database: test.databasePath, from: 1, after: Self.deleteTheKey)
        let storage = try SQLiteStorage.open(path: test.databasePath)
        await #expect(throws: AuditKeyError.missing(unkeyedEntries: 8)) {
            try await Vault.open(storage: storage, masterKey: test.masterKey)
        }
        await storage.close()
        #expect(try await AuditTampering.metadata(database: test.databasePath)["audit_key"] == nil, "no key was made")
    }

    @Test("Keyed entries whose key is gone: the key was deleted, and no upgrade makes a new one")
    func aLostKeyIsNamed() async throws {
        let test = try await vault()
        try await AuditTampering.execute(database: test.databasePath, Self.deleteTheKey)
        let storage = try SQLiteStorage.open(path: test.databasePath)
        await #expect(throws: AuditKeyError.lost) { try await Vault.open(storage: storage, masterKey: test.masterKey) }
        await #expect(throws: AuditKeyError.lost) {
            try await Vault.upgradeAuditChain(storage: storage, masterKey: test.masterKey)
        }
        await storage.close()
    }

    @Test("A vault from before the keyed chain is upgraded once: its entries stay as the unkeyed prefix")
    func upgradeKeysAnOldVault() async throws {
        let test = try await vault()
        try await AuditTampering.rewriteUnkeyed(database: test.databasePath, from: 1, after: Self.deleteTheKey)
        let storage = try SQLiteStorage.open(path: test.databasePath)
        await #expect(throws: VaultError.masterKeyMismatch) {
            try await Vault.upgradeAuditChain(storage: storage, masterKey: .generate())
        }
        #expect(try await Vault.upgradeAuditChain(storage: storage, masterKey: test.masterKey) == 8)
        await #expect(throws: AuditKeyError.present) {
            try await Vault.upgradeAuditChain(storage: storage, masterKey: test.masterKey)
        }
        let vault = try await Vault.open(storage: storage, masterKey: test.masterKey)
        _ = try await vault.tokenize(TestPAN.card(9), tenant: test.tenant, caller: test.admin, actor: "test")
        #expect(try await vault.verifyAuditLog() == .intact(entries: 9, checkpoints: 0))
        let entries = try await vault.auditEntries(after: 0, limit: 100)
        #expect(entries.map(\.chainVersion) == Array(repeating: .unkeyed, count: 8) + [.keyed])
        await storage.close()
    }

    @Test("A wrong master key changes nothing, also on a vault that still needs its audit key")
    func aWrongMasterKeyWritesNothing() async throws {
        let test = try await vault()
        let before = try await AuditTampering.metadata(database: test.databasePath)
        var storage = try SQLiteStorage.open(path: test.databasePath)
        await #expect(throws: VaultError.masterKeyMismatch) { try await Vault.open(storage: storage, masterKey: .generate()) }
        await storage.close()
        #expect(try await AuditTampering.metadata(database: test.databasePath) == before)

        try await AuditTampering.rewriteUnkeyed(database: test.databasePath, from: 1, after: Self.deleteTheKey)
        storage = try SQLiteStorage.open(path: test.databasePath)
        await #expect(throws: VaultError.masterKeyMismatch) { try await Vault.open(storage: storage, masterKey: .generate()) }
        await storage.close()
        #expect(try await AuditTampering.metadata(database: test.databasePath)["audit_key"] == nil)
        // The right key still opens it once upgraded: the wrong one left nothing behind.
        storage = try SQLiteStorage.open(path: test.databasePath)
        _ = try await Vault.upgradeAuditChain(storage: storage, masterKey: test.masterKey)
        _ = try await Vault.open(storage: storage, masterKey: test.masterKey)
        await storage.close()
    }

    @Test("A store with data but no check value is not treated as new")
    func aStoreWithDataIsNotNew() async throws {
        let test = try await vault()
        try await AuditTampering.execute(database: test.databasePath, "DELETE FROM metadata")
        let storage = try SQLiteStorage.open(path: test.databasePath)
        await #expect(throws: VaultError.masterKeyMismatch) { try await Vault.open(storage: storage, masterKey: .generate()) }
        await storage.close()
        #expect(try await AuditTampering.metadata(database: test.databasePath).isEmpty)
    }

    @Test("audit verify reads only: the database file is unchanged, and no frame reaches a WAL")
    func verifyChangesNothing() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await CofferCommandTests.initialize(directory)
        let database = dataDir + "/coffer.db"
        let before = FileManager.default.contents(atPath: database)
        let verify = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir])
        #expect(verify.status == 0, "\(verify.standardError)")
        #expect(FileManager.default.contents(atPath: database) == before)
        // A WAL reader needs the -wal and -shm files to exist; nothing is written into the WAL.
        #expect((FileManager.default.contents(atPath: database + "-wal") ?? Data()).isEmpty)
    }

    @Test("serve refuses a vault without its audit key, naming the upgrade; audit upgrade then lets it start")
    func serveNamesTheUpgrade() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await CofferCommandTests.initialize(directory)
        try await AuditTampering.rewriteUnkeyed(database: dataDir + "/coffer.db", from: 1, after: Self.deleteTheKey)
        let refused = try await ProcessRunner.coffer(["audit", "export", "--data-dir", dataDir])
        #expect(refused.status == 78)
        #expect(refused.standardError.contains("coffer audit upgrade"), "\(refused.standardError)")
        let upgrade = try await ProcessRunner.coffer(["audit", "upgrade", "--data-dir", dataDir])
        #expect(upgrade.status == 0, "\(upgrade.standardError)")
        let verify = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir])
        #expect(verify.status == 0, "\(verify.standardError)")
    }
}
