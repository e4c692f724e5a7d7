import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

/// Rotation's generic view of the store: sealed records of every kind, listed below a version,
/// counted per version, and re-sealed only while they are still what was read.
@Suite("Sealed records for rotation", .ownThreads)
struct SealedRecordTests {
    @Test(arguments: StorageKind.available) func accountsAreListedWithBothColumnsAndTombstonesAreLeftOut(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let card = Sample.account(tenant: tenant, bank: nil)
        let bank = Sample.account(tenant: tenant, bank: Sample.bytes(40, seed: 5))
        let deleted = Sample.account(tenant: tenant, bank: Sample.bytes(40, seed: 6))
        try await storage.write { writer in
            for account in [card, bank, deleted] { try writer.insertAccount(account) }
            _ = try writer.markAccountDeleted(deleted.token, tenant: tenant, at: Sample.now)
        }
        let rows = try await storage.read { try $0.sealedRecords(.accounts, keyVersionBelow: 2, after: nil, limit: 10) }
        #expect(Set(rows.map(\.subject)) == [card.token.rawValue, bank.token.rawValue], "the tombstone holds nothing")
        #expect(rows.first { $0.subject == card.token.rawValue }?.sealed == [card.sealedHolder, nil])
        #expect(rows.first { $0.subject == bank.token.rawValue }?.sealed == [bank.sealedHolder, bank.bank?.sealedNumber])
        #expect(try await storage.read { try $0.sealedRecordCounts(.accounts) } == [1: 2])
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func idempotencyRecordsArePagedByTenantAndLookup(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, first) = try await store.openWithTenant()
        let second = Sample.tenant("second")
        let records = [first, second.id].flatMap { tenant in ["a", "b"].map { Sample.idempotency(tenant: tenant, lookup: $0) } }
        try await storage.write { writer in
            try writer.insertTenant(second)
            for record in records { try writer.insertIdempotencyRecord(record, naming: []) }
        }
        var listed: [SealedRow] = []
        while let next = try await storage.read({ [after = listed.last] in
            try $0.sealedRecords(.idempotencyRecords, keyVersionBelow: 2, after: after, limit: 1)
        }).first {
            listed.append(next)
        }
        let expected = records.sorted { ($0.tenantID.rawValue, $0.lookup) < ($1.tenantID.rawValue, $1.lookup) }
        #expect(listed.map { "\($0.tenantID.rawValue)|\($0.subject)" } == expected.map { "\($0.tenantID.rawValue)|\($0.lookup)" })
        #expect(listed.map(\.sealed) == expected.map { [$0.response?.sealedBody] })
        await storage.close()
    }

    @Test func deletingASubjectNeutralisesTheRecordsNamingItInAnyTenantAndRotationLeavesThem() async throws {
        let directory = try ScratchDirectory()
        let (storage, parent) = try await openWithTenant(directory.database)
        let subClient = Sample.tenant("sub", parent: parent)
        let token = Token.generate().rawValue, other = Token.generate().rawValue
        // An ISO's record names its sub-client's account; another record names something else.
        let naming = Sample.idempotency(tenant: parent, lookup: "a"), unrelated = Sample.idempotency(tenant: parent, lookup: "b")
        try await storage.write { writer in
            try writer.insertTenant(subClient)
            try writer.insertIdempotencyRecord(naming, naming: [token, other])
            try writer.insertIdempotencyRecord(unrelated, naming: [Token.generate().rawValue])
        }
        #expect(try await storage.write { try $0.neutralizeIdempotencyRecords(naming: token) } == 1)
        #expect(try await storage.write { try $0.neutralizeIdempotencyRecords(naming: other) } == 0, "already neutral")

        var neutral = naming
        neutral.response = nil
        #expect(try await storage.read { try $0.idempotencyRecord(tenant: parent, lookup: "a") } == neutral)
        #expect(try await storage.read { try $0.idempotencyRecord(tenant: parent, lookup: "b") } == unrelated)
        let rows = try await storage.read { try $0.sealedRecords(.idempotencyRecords, keyVersionBelow: 2, after: nil, limit: 10) }
        #expect(rows.map(\.subject) == ["b"], "a neutralised record holds nothing sealed")
        #expect(try await storage.read { try $0.sealedRecordCounts(.idempotencyRecords) } == [1: 1])

        // Expiry takes the records and what they name.
        #expect(try await storage.write { try $0.deleteIdempotencyRecords(before: Sample.now.addingTimeInterval(1)) } == 2)
        let left = try await storage.withWriteConnection { try $0.queryFirst("SELECT count(*) FROM idempotency_subjects") { $0.int(0) } }
        #expect(left == 0)
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func settingsWithoutAnAccessTokenAreNotSealedRecords(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let other = Sample.tenant("other")
        let token = Sample.bytes(44, seed: 3)
        try await storage.write { writer in
            try writer.insertTenant(other)
            try writer.savePaymentSettings(PaymentSettingsRecord(tenantID: tenant, sealedStripeAccessToken: token, keyVersion: 1,
                                                                 updatedAt: Sample.now))
            try writer.savePaymentSettings(PaymentSettingsRecord(tenantID: other.id, paymentsEnabled: true, updatedAt: Sample.now))
        }
        let rows = try await storage.read { try $0.sealedRecords(.paymentSettings, keyVersionBelow: 2, after: nil, limit: 10) }
        #expect(rows == [SealedRow(tenantID: tenant, subject: tenant.rawValue, keyVersion: 1, sealed: [token])])
        #expect(try await storage.read { try $0.sealedRecordCounts(.paymentSettings) } == [1: 1])
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func aResealLeavesARowThatWasDeletedMeanwhile(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let account = Sample.account(tenant: tenant, bank: Sample.bytes(40, seed: 5))
        let card = Sample.card(tenant: tenant)
        try await storage.write { writer in
            try writer.insertDataKey(Sample.dataKey(2))
            try writer.insertAccount(account)
            try writer.insertCard(card)
        }
        let accountRow = try #require(try await storage.read {
            try $0.sealedRecords(.accounts, keyVersionBelow: 2, after: nil, limit: 1)
        }.first)
        let cardRow = try #require(try await storage.read {
            try $0.sealedRecords(.cards, keyVersionBelow: 2, after: nil, limit: 1)
        }.first)
        // A running server deletes both between rotation's read and its write.
        try await storage.write { writer in
            _ = try writer.markAccountDeleted(account.token, tenant: tenant, at: Sample.now)
            _ = try writer.deleteCard(card.token, tenant: tenant)
        }
        let resealed = Sample.bytes(40, seed: 99)
        #expect(try await storage.write { try $0.resealRecord(.accounts, accountRow, with: [resealed, resealed], keyVersion: 2) } == false)
        #expect(try await storage.write { try $0.resealRecord(.cards, cardRow, with: [resealed], keyVersion: 2) } == false)

        let tombstone = try #require(try await storage.read { try $0.account(account.token, tenant: tenant) })
        #expect(tombstone.deletedAt != nil)
        #expect(tombstone.sealedHolder.isEmpty && tombstone.bank?.sealedNumber.isEmpty == true, "not brought back")
        #expect(tombstone.keyVersion == 1)
        #expect(try await storage.read { try $0.card(card.token, tenant: tenant) } == nil)
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func aResealLeavesARowSealedAgainMeanwhile(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let client = SyncClientRecord(id: .generate(), tenantID: tenant, identifier: "client-1", sealedMeta: Sample.bytes(40, seed: 1),
                                      keyVersion: 1, createdAt: Sample.now, updatedAt: Sample.now)
        try await storage.write { writer in
            try writer.insertDataKey(Sample.dataKey(2))
            try writer.upsertSyncClient(client)
        }
        let row = try #require(try await storage.read {
            try $0.sealedRecords(.syncClients, keyVersionBelow: 2, after: nil, limit: 1)
        }.first)
        // A server that has not seen version 2 yet re-syncs the client: new ciphertext, same version.
        let resynced = SyncClientRecord(id: client.id, tenantID: tenant, identifier: client.identifier,
                                        sealedMeta: Sample.bytes(40, seed: 2), keyVersion: 1, createdAt: client.createdAt,
                                        updatedAt: Sample.now.addingTimeInterval(1))
        try await storage.write { try $0.upsertSyncClient(resynced) }

        #expect(try await storage.write {
            try $0.resealRecord(.syncClients, row, with: [Sample.bytes(40, seed: 3)], keyVersion: 2)
        } == false)
        #expect(try await storage.read { try $0.syncClient(client.id, tenant: tenant) } == resynced)

        // Read again, the same reseal applies; a second one, now stale, does not.
        let fresh = try #require(try await storage.read {
            try $0.sealedRecords(.syncClients, keyVersionBelow: 2, after: nil, limit: 1)
        }.first)
        #expect(try await storage.write { try $0.resealRecord(.syncClients, fresh, with: [Sample.bytes(40, seed: 3)], keyVersion: 2) })
        #expect(try await storage.write { try $0.resealRecord(.syncClients, fresh, with: [Sample.bytes(40, seed: 4)], keyVersion: 2) } == false)
        let stored = try await storage.read { try $0.syncClient(client.id, tenant: tenant) }
        #expect(stored?.sealedMeta == Sample.bytes(40, seed: 3))
        #expect(stored?.keyVersion == 2)
        #expect(stored?.updatedAt == resynced.updatedAt, "re-encryption is not an update")
        await storage.close()
    }
}

extension Sample {
    /// A card account when `bank` is nil, else a bank account whose sealed number is `bank`.
    static func account(tenant: TenantID, bank: [UInt8]?) -> AccountRecord {
        AccountRecord(
            token: .generate(), tenantID: tenant, referenceID: nil, duplicateCheck: false, sealedHolder: bytes(48, seed: 4),
            keyVersion: 1,
            bank: bank.map { StoredBankAccount(sealedNumber: $0, fingerprint: bytes(32, seed: 8), routingNumber: "021000021",
                                               accountType: .checking, last4: "6789") },
            createdAt: now)
    }

    static func idempotency(tenant: TenantID, lookup: String) -> IdempotencyRecord {
        IdempotencyRecord(tenantID: tenant, lookup: lookup, requestMAC: bytes(32, seed: 2),
                          response: SealedResponse(status: 201, sealedBody: bytes(30, seed: UInt8(lookup.utf8.first!)),
                                                   keyVersion: 1),
                          createdAt: now)
    }
}
