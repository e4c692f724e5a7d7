import Executors
import Foundation
import Synchronization
import VaultCrypto

/// The vault's one entry point: every caller — the CLI, the native API, the compatibility
/// dialects — tokenizes, reveals and manages keys through it, so policy lives in one place.
public final class Vault: Sendable {
    let storage: any VaultStorage
    let keyring: Keyring
    let policy: VaultPolicy
    let clock: @Sendable () -> Date
    let principals: PrincipalCache
    let limiter = RateLimiter()
    let auditLog: AuditLog
    /// Failure budgets and not-yet-written counts of failed authentications (see `Vault+Authentication`).
    let failedAuthentications: Mutex<FailedAuthentications>
    /// Low-priority threads for CPU-heavy work, so that callers' threads stay free (`heavy(_:)`).
    private let heavyWork: BoundedWorkPool
    let keyGenerations = KeyGenerations()

    private init(storage: any VaultStorage, keyring: Keyring, auditLog: AuditLog, policy: VaultPolicy,
                 clock: @escaping @Sendable () -> Date) throws {
        self.storage = storage
        self.keyring = keyring
        self.auditLog = auditLog
        self.policy = policy
        self.clock = clock
        self.heavyWork = try BoundedWorkPool(name: "coffer-heavy", threads: policy.heavyWorkThreads,
                                             queueLimit: policy.heavyWorkQueueLimit)
        self.principals = PrincipalCache(lifetime: policy.apiKeyCacheLifetime)
        self.failedAuthentications = Mutex(FailedAuthentications(policy: policy))
    }

    /// Opens the vault over a migrated store. On first use it records a check value for the master
    /// key and creates data key version 1 and the audit key; afterwards a different master key is
    /// refused here. During a master-key rotation both the old and the new key open it.
    public static func open(storage: any VaultStorage, masterKey: MasterKey, policy: VaultPolicy = VaultPolicy(),
                            clock: @escaping @Sendable () -> Date = Date.init) async throws -> Vault {
        let checkValue = masterKey.wrap(StoredMasterKeys.checkPlaintext, purpose: .check)
        let firstKey = masterKey.wrap(SymmetricKey.generate().secret, purpose: .dataKey(version: 1))
        let newAuditKey = SymmetricKey.generate()
        let wrappedAuditKey = masterKey.wrap(newAuditKey.secret, purpose: .auditKey)
        let now = clock()
        let stored = try await VaultError.mappingStorage {
            try await storage.write { writer -> (masterKeys: StoredMasterKeys, auditKey: [UInt8], prefix: [UInt8]?) in
                if try writer.metadata(Metadata.masterKeyCheck) == nil {
                    try writer.setMetadata(Metadata.masterKeyCheck, value: checkValue)
                }
                if try writer.dataKeys().isEmpty {
                    try writer.insertDataKey(DataKeyRecord(version: 1, wrappedKey: firstKey, createdAt: now))
                }
                // A vault whose log predates the keyed chain gets its audit key on the first open,
                // with the length of its unkeyed prefix sealed beside it.
                if try writer.metadata(Metadata.auditKey) == nil {
                    try writer.setMetadata(Metadata.auditKey, value: wrappedAuditKey)
                    let prefix = try writer.auditHead()?.sequence ?? 0
                    try writer.setMetadata(Metadata.auditUnkeyedPrefix, value: AuditLog.prefixRecord(prefix, key: newAuditKey))
                }
                return (try StoredMasterKeys(reading: writer), try writer.metadata(Metadata.auditKey)!,
                        try writer.metadata(Metadata.auditUnkeyedPrefix))
            }
        }
        let masterKeys = try MasterKeySet.resolve(holding: [masterKey], stored.masterKeys)
        let auditKey = try SymmetricKey(masterKeys.unwrap(stored.auditKey, purpose: .auditKey))
        let auditLog = AuditLog(key: auditKey, unkeyedPrefix: AuditLog.prefixLength(stored.prefix, key: auditKey))
        let keyring = Keyring(given: masterKey, masterKeys: masterKeys)
        try await keyring.reloadDataKeys(from: storage)
        return try Vault(storage: storage, keyring: keyring, auditLog: auditLog, policy: policy, clock: clock)
    }

    enum Metadata {
        /// A constant sealed under the current master key: a wrong key fails at start-up.
        static let masterKeyCheck = "master_key_check"
        /// While a master-key rotation is under way: the new key wrapped under the old one, and
        /// the old key wrapped under the new one (`MasterKeySet`).
        static let masterKeySuccessor = "master_key_successor"
        static let masterKeyPredecessor = "master_key_predecessor"
        /// The key of the audit chain's MACs, wrapped under the master key.
        static let auditKey = "audit_key"
        /// How many entries the log held when the audit key was made, sealed (`AuditLog.prefixRecord`).
        static let auditUnkeyedPrefix = "audit_unkeyed_prefix"
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await VaultError.mappingStorage { try await storage.read(body) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        try await VaultError.mappingStorage { try await storage.write(body) }
    }

    /// Runs CPU-heavy work on the vault's low-priority pool and resumes the caller on its own
    /// executor; `busy` at once, with nothing done, when the pool already holds its limit.
    func heavy<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await heavyWork.run(work)
        } catch WorkPoolError.busy {
            throw VaultError.busy(retryAfter: 1)
        }
    }

    /// What the pool for heavy work holds and has done, for metrics.
    public var heavyWorkStats: WorkPoolStats { heavyWork.stats }

    /// Charges the caller's API key one of each operation before anything is done, or refuses
    /// with `rateLimited`. A client session carries no limits of its own; an unlimited key (every
    /// admin key by default) costs one check and no lock.
    func admit(_ operations: [RateLimits.Operation], for caller: Principal) throws(VaultError) {
        guard let key = caller.apiKeyID, !caller.limits.rates.isEmpty else { return }
        do {
            try limiter.admit(operations, key: key, limits: caller.limits)
        } catch {
            throw .rateLimited(error.operation, retryAfter: error.retryAfter)
        }
    }

    /// Records an event in a transaction of its own.
    func audit(_ action: AuditAction, tenant: TenantID?, actor: AuditActor, subject: String?,
               outcome: AuditOutcome = .success) async throws {
        try await audit([AuditEvent(tenantID: tenant, actor: actor, action: action, subject: subject, outcome: outcome)],
                        at: clock())
    }

    /// Records events in one transaction of their own.
    func audit(_ events: [AuditEvent], at date: Date) async throws {
        let log = auditLog
        try await write { writer in
            for event in events { try log.append(event, at: date, to: writer) }
        }
    }

    /// Checks the whole audit chain, and that the log still reaches every checkpoint given.
    public func verifyAuditLog(checkpoints: [AuditCheckpoint] = []) async throws -> AuditChain.Verification {
        try await VaultError.mappingStorage {
            try await AuditChain.verify(storage, key: auditLog.key, unkeyedPrefix: auditLog.unkeyedPrefix,
                                        checkpoints: checkpoints)
        }
    }

    /// Entries after `sequence`, ascending, at most `limit`: for exporting the log.
    public func auditEntries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await read { try $0.auditEntries(after: sequence, limit: limit) }
    }

    /// The log's head now, sealed: to be kept outside the database (see `AuditCheckpoint`).
    public func auditCheckpoint() async throws -> AuditCheckpoint? {
        let now = clock()
        let log = auditLog
        return try await read { try log.checkpoint($0, at: now) }
    }
}
