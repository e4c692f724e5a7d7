import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

@Suite(.ownThreads) struct RecordTests {
    @Test(arguments: StorageKind.available) func metadataIsSetAndReplaced(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let storage = try store.open()
        #expect(try await storage.read { try $0.metadata("check") } == nil)
        try await storage.write { try $0.setMetadata("check", value: [1, 2, 3]) }
        try await storage.write { try $0.setMetadata("check", value: [4]) }
        try await storage.write { try $0.setMetadata("empty", value: []) }
        #expect(try await storage.read { try $0.metadata("check") } == [4])
        #expect(try await storage.read { try $0.metadata("empty") } == [])
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func tenantsRoundTrip(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let storage = try store.open()
        let parent = Sample.tenant("iso", at: date(1_700_000_000_001))
        let child = Sample.tenant("sub", parent: parent.id, at: date(1_700_000_000_002))
        try await storage.write { writer in
            try writer.insertTenant(parent)
            try writer.insertTenant(child)
        }
        #expect(try await storage.read { try $0.tenant(child.id) } == child)
        #expect(try await storage.read { try $0.tenant(.generate()) } == nil)
        #expect(try await storage.read { try $0.tenants() } == [parent, child])

        // A parent that does not exist is a foreign-key violation: an integrity rule, not a key taken.
        let orphan = Sample.tenant("orphan", parent: .generate())
        let error = await storageError { try await storage.write { try $0.insertTenant(orphan) } }
        guard case .integrityViolation(let message) = error else {
            Issue.record("expected .integrityViolation, got \(String(describing: error))")
            return
        }
        #expect(error?.code == "storage_integrity_violation")
        #expect(!message.contains(orphan.id.rawValue) && !message.contains(orphan.parentID?.rawValue ?? "-"),
                "never quote a bound value: \(message)")
        #expect(try await storage.read { try $0.tenants().count } == 2)
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func apiKeysRoundTripAndRevoke(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        // Limits round-trip per operation: a rate, a fractional one, and none (unlimited).
        let limits = RateLimits([.tokenize: TokenBucket.Rate(perSecond: 50, burst: 100)!,
                                 .duplicates: TokenBucket.Rate(perSecond: 2.5, burst: 1)!])
        let key = APIKeyRecord(id: .generate(), tenantID: tenant, secretHash: Sample.bytes(32, seed: 3),
                               roles: [.tokenize, .admin, .reveal], limits: limits, label: "backend", createdAt: Sample.now)
        let other = APIKeyRecord(id: .generate(), tenantID: tenant, secretHash: Sample.bytes(32, seed: 4),
                                 roles: [], limits: .unlimited, label: "", createdAt: date(1_700_000_000_999),
                                 revokedAt: date(1_700_000_001_000))
        try await storage.write { writer in
            try writer.insertAPIKey(key)
            try writer.insertAPIKey(other)
        }
        #expect(try await storage.read { try $0.apiKey(secretHash: key.secretHash) } == key)
        #expect(try await storage.read { try $0.apiKey(secretHash: Sample.bytes(32, seed: 5)) } == nil)
        #expect(try await storage.read { try $0.apiKeys(tenant: tenant) } == [key, other])

        let revokedAt = date(1_700_000_005_000)
        #expect(try await storage.write { try $0.revokeAPIKey(key.id, tenant: tenant, at: revokedAt) })
        #expect(try await storage.write { try $0.revokeAPIKey(key.id, tenant: tenant, at: revokedAt) } == false)
        #expect(try await storage.write { try $0.revokeAPIKey(other.id, tenant: .generate(), at: revokedAt) } == false)
        #expect(try await storage.read { try $0.apiKey(secretHash: key.secretHash)?.revokedAt } == revokedAt)

        // The secret hash is unique: the failure names its key, never the hash.
        var copy = key
        copy.id = .generate()
        let duplicate = copy
        let error = await storageError { try await storage.write { try $0.insertAPIKey(duplicate) } }
        guard case .uniqueViolation(let uniqueKey, let message) = error else {
            Issue.record("expected .uniqueViolation, got \(String(describing: error))")
            return
        }
        #expect(uniqueKey == (kind == .sqlite ? "api_keys.secret_hash" : "api_keys_secret_hash_key"))
        #expect(error?.code == "storage_conflict")
        let hex = key.secretHash.map { String(format: "%02x", $0) }.joined()
        #expect(!message.lowercased().contains(hex) && !message.contains(duplicate.id.rawValue),
                "never quote a bound value: \(message)")
        await storage.close()
    }

    @Test func unknownRolesAreDroppedWhenRead() {
        #expect(RoleList.format([.tokenize, .admin, .reveal]) == "admin,reveal,tokenize")
        #expect(RoleList.parse("admin,superuser,,reveal") == [.admin, .reveal])
        #expect(RoleList.parse("") == [])
    }

    @Test(arguments: StorageKind.available) func dataKeysRoundTripAscending(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let storage = try store.open()
        try await storage.write { writer in
            try writer.insertDataKey(Sample.dataKey(2))
            try writer.insertDataKey(Sample.dataKey(1))
        }
        #expect(try await storage.read { try $0.dataKeys() } == [Sample.dataKey(1), Sample.dataKey(2)])
        let error = await storageError { try await storage.write { try $0.insertDataKey(Sample.dataKey(2)) } }
        guard case .uniqueViolation(let uniqueKey, _) = error else {
            Issue.record("expected .uniqueViolation, got \(String(describing: error))")
            return
        }
        #expect(uniqueKey == (kind == .sqlite ? "data_keys.version" : "data_keys_pkey"))
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func cardDataKeysRoundTripAndDeleteOverwritesThePrivateKey(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        func key(_ created: Int64) -> CardDataKeyRecord {
            CardDataKeyRecord(id: KeyID(unchecked: IdentifierFormat.random()), tenantID: tenant,
                              wrappedPrivateKey: Sample.bytes(1_250, seed: UInt8(created % 200)),
                              publicKeyDER: Sample.bytes(294, seed: 2),
                              createdAt: date(created), expiresAt: date(created + 31_536_000_000))
        }
        let older = key(1_700_000_000_000)
        let newer = key(1_700_000_000_500)
        try await storage.write { writer in
            try writer.insertCardDataKey(newer)
            try writer.insertCardDataKey(older)
        }
        #expect(try await storage.read { try $0.cardDataKey(older.id, tenant: tenant) } == older)
        #expect(try await storage.read { try $0.cardDataKey(older.id, tenant: .generate()) } == nil)
        #expect(try await storage.read { try $0.cardDataKeys(tenant: tenant) } == [older, newer])

        let deletedAt = date(1_700_000_009_000)
        #expect(try await storage.write { try $0.deleteCardDataKey(older.id, tenant: tenant, at: deletedAt) })
        #expect(try await storage.write { try $0.deleteCardDataKey(older.id, tenant: tenant, at: deletedAt) } == false)
        let deleted = try await storage.read { try $0.cardDataKey(older.id, tenant: tenant) }
        #expect(deleted?.wrappedPrivateKey == [])
        #expect(deleted?.deletedAt == deletedAt)
        #expect(deleted?.publicKeyDER == older.publicKeyDER)
        #expect(try await storage.read { try $0.cardDataKeys(tenant: tenant) } == [newer])
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func cardsRoundTripAndAreFoundByFingerprint(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let fingerprint = Sample.bytes(32, seed: 42)
        let first = Sample.card(tenant: tenant, fingerprint: fingerprint, at: date(1_700_000_000_001))
        let second = Sample.card(tenant: tenant, fingerprint: fingerprint, at: date(1_700_000_000_002))
        var bare = Sample.card(tenant: tenant)
        bare.expiration = nil
        bare.brand = .unknown
        let noExpiry = bare
        try await storage.write { writer in
            try writer.insertCard(first)
            try writer.insertCard(noExpiry)
            try writer.insertCard(second)
        }
        #expect(try await storage.read { try $0.card(first.token, tenant: tenant) } == first)
        #expect(try await storage.read { try $0.card(noExpiry.token, tenant: tenant) } == noExpiry)
        // Another tenant's token is simply not found.
        #expect(try await storage.read { try $0.card(first.token, tenant: .generate()) } == nil)
        // In the order they were stored, even when their timestamps tie.
        #expect(try await storage.read { try $0.cards(fingerprint: fingerprint, tenant: tenant) } == [first, second])
        var tied = Sample.card(tenant: tenant, fingerprint: fingerprint, at: date(1_700_000_000_002))
        tied.token = Token(unchecked: "0000000000000000000000")  // sorts before every other token
        let twin = tied
        try await storage.write { try $0.insertCard(twin) }
        #expect(try await storage.read { try $0.cards(fingerprint: fingerprint, tenant: tenant) } == [first, second, twin])
        #expect(try await storage.read { try $0.cards(fingerprint: fingerprint, tenant: .generate()) } == [])
        #expect(try await storage.read { try $0.cardCount() } == 4)
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func aDuplicateTokenIsAUniqueViolationNamingItsKeyAndChangesNothing(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let card = Sample.card(tenant: tenant)
        try await storage.write { try $0.insertCard(card) }
        var copy = Sample.card(tenant: tenant, ciphertext: Sample.bytes(58, seed: 99))
        copy.token = card.token
        let duplicate = copy
        let marker = Sample.tenant("inserted before the failure")
        let error = await storageError {
            try await storage.write { writer in
                try writer.insertTenant(marker)
                try writer.insertCard(duplicate)
            }
        }
        guard case .uniqueViolation(let uniqueKey, let message) = error else {
            Issue.record("expected .uniqueViolation, got \(String(describing: error))")
            return
        }
        #expect(uniqueKey == (kind == .sqlite ? "cards.token" : "cards_pkey"))
        #expect(message.contains(uniqueKey))
        #expect(!message.contains(card.token.rawValue), "never quote a bound value: \(message)")
        #expect(try await storage.read { try $0.card(card.token, tenant: tenant) } == card)
        #expect(try await storage.read { try $0.tenant(marker.id) } == nil)
        #expect(try await storage.read { try $0.cardCount() } == 1)
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func foreignKeysAreEnforcedForCards(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        for card in [Sample.card(tenant: .generate()), Sample.card(tenant: tenant, keyVersion: 9)] {
            let error = await storageError { try await storage.write { try $0.insertCard(card) } }
            guard case .integrityViolation = error else {
                Issue.record("expected .integrityViolation, got \(String(describing: error))")
                continue
            }
        }
        #expect(try await storage.read { try $0.cardCount() } == 0)
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func cardsAreResealedPagedByKeyVersionAndDeleted(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let cards = (0..<5).map { _ in Sample.card(tenant: tenant) }
        try await storage.write { writer in
            try writer.insertDataKey(Sample.dataKey(2))
            for card in cards { try writer.insertCard(card) }
        }
        let tokens = cards.map(\.token).sorted()
        let firstPage = try await storage.read { try $0.sealedRecords(.cards, keyVersionBelow: 2, after: nil, limit: 2) }
        #expect(firstPage.map(\.subject) == tokens[0..<2].map(\.rawValue))
        #expect(firstPage.allSatisfy { $0.tenantID == tenant && $0.keyVersion == 1 && $0.sealed == [Sample.bytes(58, seed: 9)] })
        let secondPage = try await storage.read {
            try $0.sealedRecords(.cards, keyVersionBelow: 2, after: firstPage.last, limit: 10)
        }
        #expect(secondPage.map(\.subject) == tokens[2...].map(\.rawValue))

        let newCiphertext = Sample.bytes(58, seed: 77)
        #expect(try await storage.write { try $0.resealRecord(.cards, firstPage[0], with: [newCiphertext], keyVersion: 2) })
        let otherTenant = SealedRow(tenantID: .generate(), subject: firstPage[1].subject, keyVersion: 1,
                                    sealed: firstPage[1].sealed)
        #expect(try await storage.write { try $0.resealRecord(.cards, otherTenant, with: [newCiphertext], keyVersion: 2) } == false)
        let updated = try await storage.read { try $0.card(tokens[0], tenant: tenant) }
        #expect(updated?.ciphertext == newCiphertext)
        #expect(updated?.keyVersion == 2)
        #expect(updated?.updatedAt == cards.first { $0.token == tokens[0] }?.updatedAt, "re-encryption is not an update")
        #expect(try await storage.read { try $0.sealedRecordCounts(.cards) } == [1: 4, 2: 1])
        #expect(try await storage.read { try $0.sealedRecords(.cards, keyVersionBelow: 2, after: nil, limit: 10) }
                    .map(\.subject) == tokens[1...].map(\.rawValue))

        #expect(try await storage.write { try $0.deleteCard(tokens[0], tenant: tenant) })
        #expect(try await storage.write { try $0.deleteCard(tokens[0], tenant: tenant) } == false)
        #expect(try await storage.write { try $0.deleteCard(tokens[1], tenant: .generate()) } == false)
        #expect(try await storage.read { try $0.cardCount() } == 4)
        await storage.close()
    }

    @Test(arguments: StorageKind.available) func everyRecordSurvivesAReopen(_ kind: StorageKind) async throws {
        let store = try await StoreFixture(kind)
        let (storage, tenant) = try await store.openWithTenant()
        let cards = (0..<40).map { index in Sample.card(tenant: tenant, at: date(1_700_000_000_000 + Int64(index))) }
        for card in cards {
            try await storage.write { try $0.insertCard(card) }
        }
        await storage.close()

        let reopened = try store.open()
        #expect(reopened.appliedMigrations == [])
        for card in cards {
            #expect(try await reopened.read { try $0.card(card.token, tenant: tenant) } == card)
        }
        #expect(try await reopened.read { try $0.cardCount() } == cards.count)
        await reopened.close()
    }
}
