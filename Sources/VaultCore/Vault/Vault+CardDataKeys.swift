import Foundation
import VaultCrypto

extension Vault {
    /// Creates an RSA key pair clients of the tenant encrypt card data to. The private key is
    /// stored only sealed under the master key; at most `policy.maximumActiveCardDataKeys` may be
    /// active at once: checked before the key is generated (with the tenant's generations under
    /// way) and again in the same transaction as the insert. The generation runs on the vault's
    /// pool for heavy work; when that is full the answer is `busy`, with nothing done.
    public func createCardDataKey(tenant: TenantID, actor: AuditActor,
                                  idempotency: IdempotencyRecording<CardDataPublicKey>? = nil) async throws -> CardDataPublicKey {
        _ = try await keyring.fingerprintKey(for: tenant, storage: storage)  // the tenant exists
        let now = clock()
        let limit = policy.maximumActiveCardDataKeys
        let active = try await read { try $0.cardDataKeys(tenant: tenant).count { $0.isActive(at: now) } }
        guard keyGenerations.reserve(for: tenant, active: active, limit: limit) else {
            throw VaultError.tooManyActiveKeys(limit: limit)
        }
        defer { keyGenerations.release(for: tenant) }
        let bits = policy.cardDataKeyBits
        let privateKey = try await heavy { try RSAPrivateKey(generatingBits: bits) }
        let id = KeyID(unchecked: IdentifierFormat.random())
        let expiresAt = now.addingTimeInterval(policy.cardDataKeyValidity)
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .cardDataKeyCreate, subject: id.rawValue,
                               outcome: .success)
        let created = CardDataPublicKey(id: id, publicKey: privateKey.publicKey, createdAt: now, expiresAt: expiresAt)
        let recordResponse = recorder(idempotency)
        try await wrappingKeys {
            let wrapped = keyring.wrap(privateKey.pkcs8DER, purpose: .cardDataKey(tenant, id))
            let record = CardDataKeyRecord(id: id, tenantID: tenant, wrappedPrivateKey: wrapped.bytes,
                                           publicKeyDER: privateKey.publicKey.subjectPublicKeyInfoDER,
                                           createdAt: now, expiresAt: expiresAt)
            try await write { writer in
                try wrapped.fence.verify(writer)
                let active = try writer.cardDataKeys(tenant: tenant).filter { $0.isActive(at: now) }
                guard active.count < limit else { throw VaultError.tooManyActiveKeys(limit: limit) }
                try writer.insertCardDataKey(record)
                try self.auditLog.append(event, at: now, to: writer)
                try recordResponse?(writer, created, naming: [id.rawValue])
            }
        }
        return created
    }

    /// The public half of a key; deleted keys are `keyDeleted`, other tenants' keys `keyNotFound`.
    public func cardDataKey(_ id: KeyID, tenant: TenantID) async throws -> CardDataPublicKey {
        let record = try await cardDataKeyRecord(id, tenant: tenant)
        return CardDataPublicKey(id: id, publicKey: try RSAPublicKey(subjectPublicKeyInfoDER: record.publicKeyDER),
                                 createdAt: record.createdAt, expiresAt: record.expiresAt)
    }

    /// Deletes a key, and neutralises the idempotency record of its creation: a retry is
    /// `idempotent_subject_deleted`, never the deleted key served as new.
    public func deleteCardDataKey(_ id: KeyID, tenant: TenantID, actor: AuditActor) async throws {
        _ = try await cardDataKeyRecord(id, tenant: tenant)
        let now = clock()
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .cardDataKeyDelete, subject: id.rawValue,
                               outcome: .success)
        try await write { writer in
            guard try writer.deleteCardDataKey(id, tenant: tenant, at: now) else { throw VaultError.keyDeleted }
            _ = try writer.neutralizeIdempotencyRecords(naming: id.rawValue)
            try self.auditLog.append(event, at: now, to: writer)
        }
        keyring.forgetCardDataKey(id)
    }

    /// Decrypts card data sent encrypted to a tenant key. Every failure after the key is found —
    /// bad padding, wrong key, bad packing, invalid number inside — is the same `invalidEncryptedData`.
    func decrypt(_ encrypted: EncryptedCardData, tenant: TenantID) async throws -> CardData {
        let padding: RSAPadding
        switch encrypted.mode {
        case .oaepSHA256MGF1SHA256: padding = .oaepSHA256MGF1SHA256
        case .oaepSHA256MGF1SHA1: padding = .oaepSHA256MGF1SHA1
        case .pkcs1v15:
            guard policy.allowsPKCS1v15 else { throw VaultError.card(.unsupportedEncryptionMode) }
            padding = .pkcs1v15
        }
        let record = try await cardDataKeyRecord(encrypted.keyID, tenant: tenant)
        guard record.expiresAt > clock() else { throw VaultError.keyExpired }
        let privateKey = try await keyring.cardDataPrivateKey(for: record, storage: storage)
        do {
            let plaintext = try privateKey.decrypt(encrypted.ciphertext, padding: padding)
            return try plaintext.withUnsafeBytes { bytes throws(CardError) in
                try EncryptedCardData.cardData(fromDecrypted: bytes)
            }
        } catch {
            throw VaultError.card(.invalidEncryptedData)
        }
    }

    func cardDataKeyRecord(_ id: KeyID, tenant: TenantID) async throws -> CardDataKeyRecord {
        guard let record = try await read({ try $0.cardDataKey(id, tenant: tenant) }) else {
            throw VaultError.keyNotFound
        }
        guard record.deletedAt == nil else { throw VaultError.keyDeleted }
        return record
    }
}
