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
    /// When this node last recorded each API key's use (`Vault+Authentication`).
    let keyUses = Mutex<[APIKeyID: Date]>([:])

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

    /// Opens the vault over a migrated store. A new store gets its check value for the master key,
    /// data key version 1 and the audit key, in one transaction; afterwards the master key is
    /// checked before anything is written, and a different one is refused. During a master-key
    /// rotation both the old and the new key open it. An audit key is never made here for a store
    /// that has data (`AuditKeyError`).
    public static func open(storage: any VaultStorage, masterKey: MasterKey, policy: VaultPolicy = VaultPolicy(),
                            clock: @escaping @Sendable () -> Date = Date.init) async throws -> Vault {
        if try await VaultError.mappingStorage({ try await storage.read { try KeyState(reading: $0) } }).masterKeys == nil {
            try await create(storage: storage, masterKey: masterKey, at: clock())
        }
        let (masterKeys, auditLog) = try await openKeys(storage, masterKey: masterKey)
        let keyring = Keyring(given: masterKey, masterKeys: masterKeys)
        try await keyring.reloadDataKeys(from: storage)
        return try Vault(storage: storage, keyring: keyring, auditLog: auditLog, policy: policy, clock: clock)
    }

    /// Whether the store holds a vault (its master key's check value). Commands ask before they
    /// open one: a PostgreSQL database exists before `coffer init`, so existence is no answer there.
    public static func isInitialized(_ storage: any VaultStorage) async throws -> Bool {
        try await VaultError.mappingStorage { try await storage.read { try $0.metadata(Metadata.masterKeyCheck) != nil } }
    }

    /// Checks the audit log of a store without opening the vault: reads only, so a copy kept as
    /// evidence — or one on read-only media (`SQLiteStorage.openReadOnly`) — is never changed.
    public static func verifyAuditLog(storage: any VaultStorage, masterKey: MasterKey,
                                      checkpoints: [AuditCheckpoint]) async throws -> AuditChain.Verification {
        let (_, log) = try await openKeys(storage, masterKey: masterKey)
        return try await VaultError.mappingStorage {
            try await AuditChain.verify(storage, key: log.key, unkeyedPrefix: log.unkeyedPrefix, checkpoints: checkpoints)
        }
    }

    /// The master keys that open the store and its audit log, read without writing anything.
    private static func openKeys(_ storage: any VaultStorage, masterKey: MasterKey) async throws -> (MasterKeySet, AuditLog) {
        let state = try await VaultError.mappingStorage { try await storage.read { try KeyState(reading: $0) } }
        guard let stored = state.masterKeys else { throw VaultError.masterKeyMismatch }
        let masterKeys = try MasterKeySet.resolve(holding: [masterKey], stored)
        guard let wrappedAuditKey = state.auditKey else { throw try await missingAuditKey(storage) }
        let auditKey = try SymmetricKey(masterKeys.unwrap(wrappedAuditKey, purpose: .auditKey))
        return (masterKeys, AuditLog(key: auditKey, unkeyedPrefix: AuditLog.prefixLength(state.auditPrefix, key: auditKey)))
    }

    /// Gives a vault whose audit log predates the keyed chain its audit key, sealing the length of
    /// its unkeyed log as the prefix that may stay unkeyed. An operator's one-time step
    /// (`coffer audit upgrade`), never implicit; refused when the vault has a key, or had one.
    public static func upgradeAuditChain(storage: any VaultStorage, masterKey: MasterKey) async throws -> Int64 {
        let state = try await VaultError.mappingStorage { try await storage.read { try KeyState(reading: $0) } }
        guard let stored = state.masterKeys else { throw VaultError.masterKeyMismatch }
        let masterKeys = try MasterKeySet.resolve(holding: [masterKey], stored)
        guard state.auditKey == nil else { throw AuditKeyError.present }
        guard case .missing = try await missingAuditKey(storage) else { throw AuditKeyError.lost }
        let key = SymmetricKey.generate()
        let wrapped = masterKeys.wrap(key.secret, purpose: .auditKey)
        return try await VaultError.mappingStorage {
            try await storage.write { writer in
                try wrapped.fence.verify(writer)
                guard try writer.metadata(Metadata.auditKey) == nil else { throw AuditKeyError.present }
                let prefix = try writer.auditHead()?.sequence ?? 0
                try writer.setMetadata(Metadata.auditKey, value: wrapped.bytes)
                try writer.setMetadata(Metadata.auditUnkeyedPrefix, value: AuditLog.prefixRecord(prefix, key: key))
                return prefix
            }
        }
    }

    /// A brand-new store's keys, written only while it is still empty: a store with data whose
    /// check value is gone is not new (it was tampered with), and opening it fails instead.
    private static func create(storage: any VaultStorage, masterKey: MasterKey, at now: Date) async throws {
        let checkValue = masterKey.wrap(StoredMasterKeys.checkPlaintext, purpose: .check)
        let firstKey = masterKey.wrap(SymmetricKey.generate().secret, purpose: .dataKey(version: 1))
        let auditKey = SymmetricKey.generate()
        let wrappedAuditKey = masterKey.wrap(auditKey.secret, purpose: .auditKey)
        try await VaultError.mappingStorage {
            try await storage.write { writer in
                guard try writer.metadata(Metadata.masterKeyCheck) == nil else { return }  // created meanwhile
                guard try writer.dataKeys().isEmpty, try writer.auditHead() == nil,
                      try writer.metadata(Metadata.auditKey) == nil
                else { throw VaultError.masterKeyMismatch }
                try writer.setMetadata(Metadata.masterKeyCheck, value: checkValue)
                try writer.insertDataKey(DataKeyRecord(version: 1, wrappedKey: firstKey, createdAt: now))
                try writer.setMetadata(Metadata.auditKey, value: wrappedAuditKey)
                try writer.setMetadata(Metadata.auditUnkeyedPrefix, value: AuditLog.prefixRecord(0, key: auditKey))
            }
        }
    }

    /// Why there is no audit key: `.missing` when every entry is unkeyed, `.lost` when any is keyed.
    private static func missingAuditKey(_ storage: any VaultStorage) async throws -> AuditKeyError {
        var after: Int64 = 0
        while true {
            let position = after
            let page = try await VaultError.mappingStorage {
                try await storage.read { try $0.auditEntries(after: position, limit: 1000) }
            }
            if page.contains(where: { $0.chainVersion == .keyed }) { return .lost }
            guard let last = page.last else { return .missing(unkeyedEntries: after) }
            after = last.sequence
        }
    }

    /// What `open` reads before it writes anything.
    private struct KeyState: Sendable {
        var masterKeys: StoredMasterKeys?
        var auditKey: [UInt8]?
        var auditPrefix: [UInt8]?

        init(reading reader: any StorageReader) throws {
            masterKeys = try reader.metadata(Metadata.masterKeyCheck) == nil ? nil : try StoredMasterKeys(reading: reader)
            auditKey = try reader.metadata(Metadata.auditKey)
            auditPrefix = try reader.metadata(Metadata.auditUnkeyedPrefix)
        }
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

    /// The vault's clock, so that the API layer's token times agree with the vault's.
    public var now: Date { clock() }

    func read<T: Sendable>(consistency: ReadConsistency = .primary,
                           _ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await VaultError.mappingStorage { try await storage.read(consistency: consistency, body) }
    }

    /// A read that may lag other nodes' writes (never this node's own): only where answering from
    /// a moment ago is harmless — lookups by token, listings, reports (`ReadConsistency.replica`;
    /// docs/operations.md, "Read replicas", lists them).
    func readReplica<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await read(consistency: .replica, body)
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
        try await readReplica { try $0.auditEntries(after: sequence, limit: limit) }
    }

    /// The log's head now, sealed: to be kept outside the database (see `AuditCheckpoint`).
    public func auditCheckpoint() async throws -> AuditCheckpoint? {
        let now = clock()
        let log = auditLog
        return try await read { try log.checkpoint($0, at: now) }
    }
}
