import Foundation
import VaultCrypto

/// The vault's one entry point: every caller — the CLI, the native API, the compatibility
/// dialects — tokenizes, reveals and manages keys through it, so policy lives in one place.
public final class Vault: Sendable {
    let storage: any VaultStorage
    let keyring: Keyring
    let policy: VaultPolicy
    let clock: @Sendable () -> Date
    let principals: PrincipalCache

    private init(storage: any VaultStorage, keyring: Keyring, policy: VaultPolicy, clock: @escaping @Sendable () -> Date) {
        self.storage = storage
        self.keyring = keyring
        self.policy = policy
        self.clock = clock
        self.principals = PrincipalCache(lifetime: policy.apiKeyCacheLifetime)
    }

    /// Opens the vault over a migrated store. On first use it records a check value for the master
    /// key and creates data key version 1; afterwards a different master key is refused here.
    public static func open(storage: any VaultStorage, masterKey: MasterKey, policy: VaultPolicy = VaultPolicy(),
                            clock: @escaping @Sendable () -> Date = Date.init) async throws -> Vault {
        let checkValue = masterKey.wrap(SecretBytes(Array("coffer".utf8)), purpose: .check)
        let firstKey = masterKey.wrap(SymmetricKey.generate().secret, purpose: .dataKey(version: 1))
        let now = clock()
        let stored = try await VaultError.mappingStorage {
            try await storage.write { writer -> [UInt8] in
                if let existing = try writer.metadata(Metadata.masterKeyCheck) { return existing }
                try writer.setMetadata(Metadata.masterKeyCheck, value: checkValue)
                if try writer.dataKeys().isEmpty {
                    try writer.insertDataKey(DataKeyRecord(version: 1, wrappedKey: firstKey, createdAt: now))
                }
                return checkValue
            }
        }
        _ = try masterKey.unwrap(stored, purpose: .check)
        let keyring = Keyring(masterKey: masterKey)
        try await keyring.reloadDataKeys(from: storage)
        return Vault(storage: storage, keyring: keyring, policy: policy, clock: clock)
    }

    enum Metadata {
        static let masterKeyCheck = "master_key_check"
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await VaultError.mappingStorage { try await storage.read(body) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        try await VaultError.mappingStorage { try await storage.write(body) }
    }

    func audit(_ action: AuditAction, tenant: TenantID?, actor: String, subject: String?,
               outcome: AuditOutcome = .success) async throws {
        let event = AuditEvent(tenantID: tenant, actor: actor, action: action, subject: subject, outcome: outcome)
        let now = clock()
        _ = try await write { try $0.appendAudit(event, at: now) }
    }

    /// Checks the whole audit hash chain.
    public func verifyAuditLog() async throws -> AuditChain.Verification {
        try await VaultError.mappingStorage { try await AuditChain.verify(storage) }
    }
}
