import Foundation
import Synchronization
import VaultCrypto

/// The unwrapped keys a running vault needs, loaded from storage once and cached in memory:
/// every data-key version, each tenant's fingerprint key and each card-data private key.
/// Unwrapping costs an AES-GCM open, an RSA key parse costs far more; both are done once per key.
final class Keyring: Sendable {
    private struct State: Sendable {
        var dataKeys: [Int: SymmetricKey] = [:]
        var activeVersion = 0
        var fingerprintKeys: [TenantID: SymmetricKey] = [:]
        var cardDataKeys: [KeyID: RSAPrivateKey] = [:]
    }

    let masterKey: MasterKey
    private let state = Mutex(State())

    init(masterKey: MasterKey) { self.masterKey = masterKey }

    var activeDataKey: (version: Int, key: SymmetricKey)? {
        state.withLock { state in state.dataKeys[state.activeVersion].map { (state.activeVersion, $0) } }
    }

    /// Replaces the data keys with what storage holds now (after a rotation, maybe by another process).
    func reloadDataKeys(from storage: any VaultStorage) async throws {
        let records = try await VaultError.mappingStorage { try await storage.read { try $0.dataKeys() } }
        var keys: [Int: SymmetricKey] = [:]
        for record in records {
            let secret = try masterKey.unwrap(record.wrappedKey, purpose: .dataKey(version: record.version))
            keys[record.version] = try SymmetricKey(secret)
        }
        state.withLock { state in
            state.dataKeys = keys
            state.activeVersion = keys.keys.max() ?? 0
        }
    }

    /// The key of a version, reloading once if another process added versions since we loaded.
    func dataKey(version: Int, storage: any VaultStorage) async throws -> SymmetricKey {
        if let key = state.withLock({ $0.dataKeys[version] }) { return key }
        try await reloadDataKeys(from: storage)
        guard let key = state.withLock({ $0.dataKeys[version] }) else { throw VaultError.integrityFailure }
        return key
    }

    func fingerprintKey(for tenant: TenantID, storage: any VaultStorage) async throws -> SymmetricKey {
        if let key = state.withLock({ $0.fingerprintKeys[tenant] }) { return key }
        let record = try await VaultError.mappingStorage { try await storage.read { try $0.tenant(tenant) } }
        guard let record else { throw VaultError.tenantNotFound }
        let key = try SymmetricKey(masterKey.unwrap(record.wrappedFingerprintKey, purpose: .fingerprintKey(tenant)))
        state.withLock { $0.fingerprintKeys[tenant] = key }
        return key
    }

    func cardDataPrivateKey(for record: CardDataKeyRecord) throws -> RSAPrivateKey {
        if let key = state.withLock({ $0.cardDataKeys[record.id] }) { return key }
        let der = try masterKey.unwrap(record.wrappedPrivateKey, purpose: .cardDataKey(record.tenantID, record.id))
        let key = try RSAPrivateKey(pkcs8DER: der)
        state.withLock { $0.cardDataKeys[record.id] = key }
        return key
    }

    func forgetCardDataKey(_ id: KeyID) {
        _ = state.withLock { $0.cardDataKeys.removeValue(forKey: id) }
    }
}
