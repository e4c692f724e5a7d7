import Foundation
import TestSupport
import Testing
@testable import VaultCore
import VaultCrypto
import VaultStore

@Suite("Retiring a data-key version destroys it once nothing is sealed under it", .ownThreads)
struct DataKeyRetireTests {
    @Test("Refused for the active version, while records remain, for two minutes after a newer version, and for an unknown one")
    func refusals() async throws {
        let clock = TestClock()
        let test = try await TestVault.make(clock: { clock.now })
        _ = try await test.vault.tokenize(TestPAN.card(1), tenant: test.tenant, caller: .admin(of: test.tenant), actor: "test")
        await #expect(throws: KeyManagementError.dataKeyActive(version: 1)) {
            try await test.vault.retireDataKey(version: 1, actor: "cli")
        }
        await #expect(throws: KeyManagementError.dataKeyNotFound(version: 7)) {
            try await test.vault.retireDataKey(version: 7, actor: "cli")
        }

        // Stopped before the card moved: version 1 still seals it. (Opening writes nothing; adding
        // version 2 is the one write that commits.)
        let crashing = CrashingStorage(test.storage, writesBeforeCrash: 1)
        let interrupted = try await Vault.open(storage: crashing, masterKey: test.masterKey, clock: { clock.now })
        await #expect(throws: CrashingStorage.Crash.self) { try await interrupted.rotateDataKey(actor: "cli") }
        clock.now += 3600
        await #expect(throws: KeyManagementError.dataKeyInUse(version: 1, records: [.cards: 1])) {
            try await test.vault.retireDataKey(version: 1, actor: "cli")
        }

        clock.now -= 3600
        _ = try await test.vault.rotateDataKey(actor: "cli")
        clock.now += 119
        let error = await #expect(throws: KeyManagementError.self) { try await test.vault.retireDataKey(version: 1, actor: "cli") }
        #expect(error?.code == "data_key_recently_active")
        #expect(try await test.vault.dataKeyStatus().map(\.version) == [1, 2], "nothing was destroyed")
        await test.storage.close()
    }

    @Test("After keys rotate moved everything, retire deletes the version's row, relabels tombstones, and is audited")
    func destroysARetiredVersion() async throws {
        let clock = TestClock()
        let test = try await TestVault.make(clock: { clock.now })
        let fixture = try await SealedRecordsFixture.make(test)
        _ = try await test.vault.rotateDataKey(actor: "cli")
        clock.now += 121

        try await test.vault.retireDataKey(version: 1, actor: "cli")
        #expect(try await test.vault.dataKeyStatus().map(\.version) == [2])
        let stored = try await ProcessRunner.python("""
            import json, sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            print(json.dumps({"versions": [v for (v,) in db.execute("SELECT version FROM data_keys")],
                              "tombstones": [v for (v,) in db.execute("SELECT key_version FROM accounts WHERE deleted_at IS NOT NULL")]}))
            """, [test.databasePath])
        #expect(stored.standardOutput == #"{"versions": [2], "tombstones": [2]}"# + "\n", "\(stored.standardError)")

        let last = try #require(try await test.vault.auditEntries(after: 0, limit: 1000).last)
        #expect(last.event.action == .dataKeyRetire && last.event.subject == "v1" && last.event.actor.name == "cli")
        try await fixture.expectEverythingOpens(test.vault)
        await #expect(throws: KeyManagementError.dataKeyNotFound(version: 1)) {
            try await test.vault.retireDataKey(version: 1, actor: "cli")
        }
        let entries = try await test.vault.auditEntries(after: 0, limit: 1000).count
        let reopened = try await test.reopened()
        #expect(try await reopened.vault.verifyAuditLog() == .intact(entries: Int64(entries), checkpoints: 0))
        await reopened.storage.close()
    }
}
