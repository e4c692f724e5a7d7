import Foundation
import VaultCrypto

extension Vault {
    /// Adds a data-key version and re-encrypts every card to it, one transaction per batch.
    /// If cards are still under older versions — a rotation was interrupted — no version is
    /// added: the interrupted rotation is finished instead. So running it again after a crash
    /// is always safe, and a batch is either fully re-encrypted or untouched.
    public func rotateDataKey(actor: String, batchSize: Int = 500,
                              progress: @Sendable (Int) -> Void = { _ in }) async throws -> RotationReport {
        try await keyring.reloadDataKeys(from: storage)
        let current = try activeDataKey()
        let behind = try await read { try $0.cards(keyVersionBelow: current.version, after: nil, limit: 1) }
        let resumed = !behind.isEmpty
        if !resumed {
            let version = current.version + 1
            let now = clock()
            let record = DataKeyRecord(
                version: version,
                wrappedKey: keyring.masterKey.wrap(SymmetricKey.generate().secret, purpose: .dataKey(version: version)),
                createdAt: now)
            let event = AuditEvent(tenantID: nil, actor: actor, action: .dataKeyRotate, subject: "v\(version)",
                                   outcome: .success)
            try await write { writer in
                try writer.insertDataKey(record)
                _ = try writer.appendAudit(event, at: now)
            }
            try await keyring.reloadDataKeys(from: storage)
        }
        let target = try activeDataKey()
        var reencrypted = 0
        var after: Token?
        while true {
            let position = after
            let batch = try await read { try $0.cards(keyVersionBelow: target.version, after: position, limit: batchSize) }
            guard let last = batch.last else { break }
            var updates: [(Token, TenantID, [UInt8])] = []
            updates.reserveCapacity(batch.count)
            for card in batch {
                let oldKey = try await keyring.dataKey(version: card.keyVersion, storage: storage)
                let plain = try RecordSealing.open(card.ciphertext, key: oldKey, tenant: card.tenantID,
                                                 token: card.token, keyVersion: card.keyVersion)
                updates.append((card.token, card.tenantID,
                                RecordSealing.seal(number: plain.number, expiration: plain.expiration, key: target.key,
                                                 tenant: card.tenantID, token: card.token,
                                                 keyVersion: target.version)))
            }
            let now = clock()
            let sealed = updates
            try await write { writer in
                for (token, tenant, ciphertext) in sealed {
                    _ = try writer.updateCardCiphertext(token, tenant: tenant, ciphertext: ciphertext,
                                                        keyVersion: target.version, at: now)
                }
            }
            reencrypted += batch.count
            progress(reencrypted)
            after = last.token
        }
        return RotationReport(activeVersion: target.version, resumed: resumed, reencryptedCards: reencrypted)
    }

    /// Picks up data-key versions added by another process (`coffer keys rotate` beside a
    /// running server), so new cards move to the new version.
    public func reloadDataKeys() async throws {
        try await keyring.reloadDataKeys(from: storage)
    }

    /// Every data-key version with the number of cards still under it.
    public func dataKeyStatus() async throws -> [DataKeyStatus] {
        let (keys, counts) = try await read { reader in (try reader.dataKeys(), try reader.cardCountsByKeyVersion()) }
        let active = keys.map(\.version).max()
        return keys.map {
            DataKeyStatus(version: $0.version, createdAt: $0.createdAt, isActive: $0.version == active,
                          cardCount: counts[$0.version] ?? 0)
        }
    }
}
