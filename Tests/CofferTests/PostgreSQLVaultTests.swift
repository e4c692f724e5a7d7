import Foundation
import Testing
import TestSupport
@testable import VaultCore
import VaultCrypto
import VaultStore

/// The vault over `PostgreSQLStorage`: the same flows as over SQLite, and two nodes (two engines,
/// two vaults) on one database.
@Suite("The vault over PostgreSQL", .ownThreads, .enabled(if: TestPostgreSQL.isAvailable))
struct PostgreSQLVaultTests {
    @Test("Every kind of sealed record is stored, re-encrypted by a data-key rotation and opens again; the audit chain verifies")
    func everyKindIsStoredAndRotated() async throws {
        let test = try await TestVault.onPostgreSQL()
        let fixture = try await SealedRecordsFixture.make(test)
        #expect(try await test.vault.dataKeyStatus().map(\.records) == [SealedRecordsFixture.counts])
        let report = try await test.vault.rotateDataKey(actor: "test", batchSize: 2)
        #expect(report == RotationReport(activeVersion: 2, resumed: false, reencrypted: SealedRecordsFixture.counts))
        #expect(try await test.vault.dataKeyStatus().map(\.records) == [[:], SealedRecordsFixture.counts])
        try await fixture.expectEverythingOpens(test.vault)
        guard case .intact = try await test.vault.verifyAuditLog() else {
            Issue.record("the audit chain does not verify")
            return
        }
        await test.storage.close()
    }

    @Test("A master-key rotation rewraps every key; the vault opens with the new key only after --finish")
    func masterKeyRotation() async throws {
        let oldKey = MasterKey.generate(), newKey = MasterKey.generate()
        let test = try await TestVault.onPostgreSQL(masterKey: oldKey)
        let fixture = try await SealedRecordsFixture.make(test)
        _ = try await test.vault.createCardDataKey(tenant: test.tenant, actor: "test")
        _ = try await ClientSyncService(test.vault).ssoSigningKey(tenant: test.tenant, creating: true)
        let report = try await test.vault.rotateMasterKey(to: newKey, actor: "cli", batchSize: 1)
        #expect(report.rewrapped == [.dataKeys: 1, .fingerprintKeys: 2, .cardDataKeys: 1, .ssoSecrets: 1])
        let withNewKey = try await Vault.open(storage: test.storage, masterKey: newKey, clock: { TestClock.start })
        _ = try await withNewKey.finishMasterKeyRotation(actor: "cli")
        await #expect(throws: VaultError.masterKeyMismatch) {
            try await Vault.open(storage: test.storage, masterKey: oldKey, clock: { TestClock.start })
        }
        try await fixture.expectEverythingOpens(withNewKey)
        await test.storage.close()
    }

    @Test("Two nodes: what one tokenizes the other reveals at once; concurrent duplicate-rejecting creates through both store one account per card")
    func twoNodesOnOneDatabase() async throws {
        let uri = try await TestPostgreSQL.makeDatabase()
        let masterKey = MasterKey.generate()
        let firstStorage = try PostgreSQLStorage.open(uri: uri)
        let first = try await Vault.open(storage: firstStorage, masterKey: masterKey, clock: { TestClock.start })
        let tenant = try await first.createTenant(name: "test", actor: "test").id
        let secondStorage = try PostgreSQLStorage.open(uri: uri)
        let second = try await Vault.open(storage: secondStorage, masterKey: masterKey, clock: { TestClock.start })
        let admin = Principal.admin(of: tenant)

        for index in 0..<5 {
            let (writer, reader) = index.isMultiple(of: 2) ? (first, second) : (second, first)
            let token = try await writer.tokenize(TestPAN.card(index), tenant: tenant, caller: admin, actor: "test").metadata.token
            #expect(try await reader.reveal(token, tenant: tenant, caller: admin, actor: "test").number.digits == TestPAN.make(index))
        }

        let created = try await withThrowingTaskGroup(of: Int.self) { group in
            for attempt in 0..<24 {
                let node = attempt.isMultiple(of: 2) ? first : second
                group.addTask {
                    do {
                        _ = try await node.createAccount(
                            NewAccount(referenceID: nil, instrument: .card(try TestPAN.card(100 + attempt % 3)),
                                       holder: Array("holder".utf8), duplicateCheck: .reject),
                            tenant: tenant, caller: admin, actor: "test")
                        return 1
                    } catch VaultError.duplicateCard {
                        return 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(created == 3, "one account per card")
        guard case .intact = try await second.verifyAuditLog() else {
            Issue.record("the audit chain of both nodes does not verify")
            return
        }
        await firstStorage.close()
        await secondStorage.close()
    }
}
