import Foundation
import Synchronization
import VaultCrypto

/// The unwrapped keys a running vault needs, loaded from storage once and cached in memory:
/// every data-key version, each tenant's fingerprint key (and the idempotency key derived from it),
/// SSO signing key and each card-data private key. Each cached key is one secure-heap allocation
/// for the life of the process instead of one per request.
/// Unwrapping costs an AES-GCM open, an RSA key parse costs far more; both are done once per key.
///
/// It also holds the master keys (`MasterKeySet`), which a master-key rotation run by another
/// process changes under a live vault: a key that no master key held opens, or a write whose
/// fence fails, makes the keyring read the store's master-key state again.
final class Keyring: Sendable {
    private struct State: Sendable {
        var masterKeys: MasterKeySet
        var dataKeys: [Int: SymmetricKey] = [:]
        var activeVersion = 0
        var fingerprintKeys: [TenantID: SymmetricKey] = [:]
        var idempotencyMACs: [TenantID: IdempotencyMAC] = [:]
        var ssoKeys: [TenantID: SymmetricKey] = [:]
        var cardDataKeys: [KeyID: RSAPrivateKey] = [:]
    }

    /// The master key this process was given (at start-up, from a file, command or the environment).
    let givenMasterKey: MasterKey
    private let state: Mutex<State>

    init(given: MasterKey, masterKeys: MasterKeySet) {
        givenMasterKey = given
        state = Mutex(State(masterKeys: masterKeys))
    }

    var masterKeys: MasterKeySet { state.withLock { $0.masterKeys } }

    /// Reads the store's master-key state again: picks up a rotation another process began (the
    /// successor) or finished. Keys once held are kept, so a live server started with the old key
    /// keeps working after the rotation finishes, until it is restarted.
    func reloadMasterKeys(from storage: any VaultStorage) async throws {
        let stored = try await VaultError.mappingStorage { try await storage.read { try StoredMasterKeys(reading: $0) } }
        let resolved = try MasterKeySet.resolve(holding: masterKeys.all, stored)
        state.withLock { state in
            // Another reload may have finished meanwhile: keep every key either of them holds.
            state.masterKeys = (try? MasterKeySet.resolve(holding: resolved.all + state.masterKeys.all, stored)) ?? resolved
        }
    }

    /// Opens a key wrapped under the master key. If no key held opens it, a master-key rotation
    /// may have rewrapped it since: reload the master keys once and try again.
    func unwrap(_ wrapped: [UInt8], purpose: KeyPurpose, storage: any VaultStorage) async throws -> SecretBytes {
        if let secret = try? masterKeys.unwrap(wrapped, purpose: purpose) { return secret }
        try await reloadMasterKeys(from: storage)
        return try masterKeys.unwrap(wrapped, purpose: purpose)
    }

    /// Wraps under the current master key; the write storing the result must verify its fence.
    func wrap(_ secret: SecretBytes, purpose: KeyPurpose) -> WrappedKey {
        masterKeys.wrap(secret, purpose: purpose)
    }

    var activeDataKey: (version: Int, key: SymmetricKey)? {
        state.withLock { state in state.dataKeys[state.activeVersion].map { (state.activeVersion, $0) } }
    }

    /// Replaces the data keys with what storage holds now (after a rotation, maybe by another
    /// process), reading the master keys again first (they may have been rotated too).
    func reloadDataKeys(from storage: any VaultStorage) async throws {
        try await reloadMasterKeys(from: storage)
        let records = try await VaultError.mappingStorage { try await storage.read { try $0.dataKeys() } }
        let masterKeys = masterKeys
        var keys: [Int: SymmetricKey] = [:]
        for record in records {
            let secret = try masterKeys.unwrap(record.wrappedKey, purpose: .dataKey(version: record.version))
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
        let secret = try await unwrap(record.wrappedFingerprintKey, purpose: .fingerprintKey(tenant), storage: storage)
        let key = try SymmetricKey(secret)
        state.withLock { $0.fingerprintKeys[tenant] = key }
        return key
    }

    /// The tenant's idempotency MACs, their key derived once from its fingerprint key.
    func idempotencyMAC(for tenant: TenantID, storage: any VaultStorage) async throws -> IdempotencyMAC {
        if let macs = state.withLock({ $0.idempotencyMACs[tenant] }) { return macs }
        let macs = IdempotencyMAC(fingerprintKey: try await fingerprintKey(for: tenant, storage: storage))
        state.withLock { $0.idempotencyMACs[tenant] = macs }
        return macs
    }

    /// The tenant's SSO signing key if it was unwrapped before (it never changes once made).
    func ssoKey(for tenant: TenantID) -> SymmetricKey? {
        state.withLock { $0.ssoKeys[tenant] }
    }

    func rememberSSOKey(_ key: SymmetricKey, for tenant: TenantID) {
        state.withLock { $0.ssoKeys[tenant] = key }
    }

    func cardDataPrivateKey(for record: CardDataKeyRecord, storage: any VaultStorage) async throws -> RSAPrivateKey {
        if let key = state.withLock({ $0.cardDataKeys[record.id] }) { return key }
        let der = try await unwrap(record.wrappedPrivateKey, purpose: .cardDataKey(record.tenantID, record.id), storage: storage)
        let key = try RSAPrivateKey(pkcs8DER: der)
        state.withLock { $0.cardDataKeys[record.id] = key }
        return key
    }

    func forgetCardDataKey(_ id: KeyID) {
        _ = state.withLock { $0.cardDataKeys.removeValue(forKey: id) }
    }
}
