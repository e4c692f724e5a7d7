import Foundation
import Synchronization
import TestSupport
import Testing
import VaultCore
import VaultCrypto
import VaultStore

/// Encrypts `plaintext` to a DER public key with the `openssl pkeyutl` command: an implementation
/// independent of ours. `mgf1` is "sha256" (mode 2) or "sha1" (mode 1).
func opensslEncrypt(_ plaintext: String, publicKeyDER: [UInt8], mgf1: String, in directory: TemporaryDirectory) async throws -> String {
    let keyPath = directory.path("pub-\(UUID().uuidString).der")
    try Data(publicKeyDER).write(to: URL(fileURLWithPath: keyPath))
    let inputPath = directory.path("in-\(UUID().uuidString)")
    try Data(plaintext.utf8).write(to: URL(fileURLWithPath: inputPath))
    let outputPath = inputPath + ".enc"
    let result = try await ProcessRunner.run("/usr/bin/env", [
        "openssl", "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", keyPath,
        "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:\(mgf1)",
        "-in", inputPath, "-out", outputPath,
    ])
    #expect(result.status == 0, "\(result.standardError)")
    return Base64URL.encode(try Data(contentsOf: URL(fileURLWithPath: outputPath)))
}

@Suite("RSA card-data keys and encrypted card data", .ownThreads)
struct VaultCardDataKeyTests {
    @Test("Card data encrypted by the openssl command in modes 2 and 1 tokenizes and reveals the original PAN")
    func opensslEncryptedCardData() async throws {
        let test = try await TestVault.make()
        let key = try await test.vault.createCardDataKey(tenant: test.tenant, actor: "test")
        for (mode, mgf1) in [(2, "sha256"), (1, "sha1")] {
            let data = try await opensslEncrypt("5555555555554444|203012|123", publicKeyDER: key.publicKey.subjectPublicKeyInfoDER,
                                                mgf1: mgf1, in: test.directory)
            let encrypted = try EncryptedCardData(keyID: key.id.rawValue, data: data, mode: mode)
            let tokenized = try await test.vault.tokenize(.encrypted(encrypted), tenant: test.tenant, caller: test.admin, actor: "test")
            #expect(tokenized.metadata.brand == .mastercard)
            #expect(tokenized.metadata.last4 == "4444")
            #expect(tokenized.securityCode != nil)
            let card = try await test.vault.reveal(tokenized.metadata.token, tenant: test.tenant, caller: test.admin, actor: "test")
            #expect(card.number.digits == "5555555555554444")
            #expect(card.expiration?.yyyymm == "203012")
            #expect(card.securityCode == nil, "the security code is never stored")
        }
        await test.storage.close()
    }

    @Test("Every decryption failure is the same error; unknown, deleted and expired keys have their own")
    func failures() async throws {
        let clock = TestClock()
        let test = try await TestVault.make(clock: { clock.now })
        let key = try await test.vault.createCardDataKey(tenant: test.tenant, actor: "test")
        let good = try await opensslEncrypt("4111111111111111|203012|", publicKeyDER: key.publicKey.subjectPublicKeyInfoDER,
                                            mgf1: "sha256", in: test.directory)

        var corrupted = Base64URL.decode(good)!
        corrupted[17] ^= 0x40
        let notACard = try await opensslEncrypt("4111111111111112|203012|", publicKeyDER: key.publicKey.subjectPublicKeyInfoDER,
                                                mgf1: "sha256", in: test.directory)
        let badPacking = try await opensslEncrypt("4111111111111111/203012", publicKeyDER: key.publicKey.subjectPublicKeyInfoDER,
                                                  mgf1: "sha256", in: test.directory)
        let blobs: [(String, Int)] = [
            (Base64URL.encode(corrupted), 2),  // flipped ciphertext
            (good, 1),                         // wrong OAEP variant
            (notACard, 2),                     // decrypts, but the number fails Luhn
            (badPacking, 2),                   // decrypts, but not the packing
        ]
        for (data, mode) in blobs {
            await #expect(throws: VaultError.card(.invalidEncryptedData)) {
                try await test.vault.tokenize(.encrypted(EncryptedCardData(keyID: key.id.rawValue, data: data, mode: mode)),
                                              tenant: test.tenant, caller: test.admin, actor: "test")
            }
        }
        await #expect(throws: VaultError.card(.unsupportedEncryptionMode)) {
            try await test.vault.tokenize(.encrypted(EncryptedCardData(keyID: key.id.rawValue, data: good, mode: 0)),
                                          tenant: test.tenant, caller: test.admin, actor: "test")
        }
        await #expect(throws: VaultError.keyNotFound) {
            try await test.vault.tokenize(.encrypted(EncryptedCardData(keyID: KeyID.generate().rawValue, data: good)),
                                          tenant: test.tenant, caller: test.admin, actor: "test")
        }
        let other = try await test.vault.createTenant(name: "other", actor: "test").id
        await #expect(throws: VaultError.keyNotFound) {
            try await test.vault.tokenize(.encrypted(EncryptedCardData(keyID: key.id.rawValue, data: good)), tenant: other, caller: .admin(of: other), actor: "test")
        }
        #expect(try await test.storage.read { try $0.cardCount() } == 0)

        // Expired: the same blob is refused once the clock passes the key's expiry.
        clock.now = key.expiresAt.addingTimeInterval(1)
        await #expect(throws: VaultError.keyExpired) {
            try await test.vault.tokenize(.encrypted(EncryptedCardData(keyID: key.id.rawValue, data: good)),
                                          tenant: test.tenant, caller: test.admin, actor: "test")
        }
        clock.now = key.createdAt
        try await test.vault.deleteCardDataKey(key.id, tenant: test.tenant, actor: "test")
        await #expect(throws: VaultError.keyDeleted) {
            try await test.vault.tokenize(.encrypted(EncryptedCardData(keyID: key.id.rawValue, data: good)),
                                          tenant: test.tenant, caller: test.admin, actor: "test")
        }
        await #expect(throws: VaultError.keyDeleted) { try await test.vault.cardDataKey(key.id, tenant: test.tenant) }
        await #expect(throws: VaultError.keyDeleted) {
            try await test.vault.deleteCardDataKey(key.id, tenant: test.tenant, actor: "test")
        }
        let wrapped = try await test.storage.read { try $0.cardDataKey(key.id, tenant: test.tenant) }?.wrappedPrivateKey
        #expect(wrapped?.isEmpty == true, "a deleted key's private half is overwritten")
        await test.storage.close()
    }

    @Test("At most two active keys; an expired or deleted one frees a place")
    func activeKeyLimit() async throws {
        let clock = TestClock()
        let test = try await TestVault.make(clock: { clock.now })
        let first = try await test.vault.createCardDataKey(tenant: test.tenant, actor: "test")
        let second = try await test.vault.createCardDataKey(tenant: test.tenant, actor: "test")
        #expect(second.expiresAt.timeIntervalSince(second.createdAt) == 365 * 24 * 3600)
        await #expect(throws: VaultError.tooManyActiveKeys(limit: 2)) {
            try await test.vault.createCardDataKey(tenant: test.tenant, actor: "test")
        }
        try await test.vault.deleteCardDataKey(first.id, tenant: test.tenant, actor: "test")
        _ = try await test.vault.createCardDataKey(tenant: test.tenant, actor: "test")
        clock.now = second.expiresAt.addingTimeInterval(1)
        _ = try await test.vault.createCardDataKey(tenant: test.tenant, actor: "test")

        let fetched = try await test.vault.cardDataKey(second.id, tenant: test.tenant)
        #expect(fetched.publicKey == second.publicKey)
        #expect(fetched.publicKey.exponent == [1, 0, 1])
        #expect(fetched.publicKey.modulus.count == 256)
        await test.storage.close()
    }
}
