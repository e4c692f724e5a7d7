import VaultCrypto

/// What one run of a master-key rotation step did.
public struct MasterKeyRotationReport: Sendable, Equatable {
    /// Keys this run rewrapped under the new master key, per kind; kinds with none are absent.
    public var rewrapped: [WrappedKeyKind: Int]
    /// Whether this run rewrapped the audit key.
    public var rewrappedAuditKey: Bool
    /// The rotation to this key had begun before this run, which finished rewrapping.
    public var resumed: Bool

    public init(rewrapped: [WrappedKeyKind: Int], rewrappedAuditKey: Bool, resumed: Bool) {
        self.rewrapped = rewrapped
        self.rewrappedAuditKey = rewrappedAuditKey
        self.resumed = resumed
    }
}

/// Master-key rotation, in two steps that are each safe to run again after a crash and beside
/// live servers holding either key (`docs/security.md` has the operator's procedure):
///
/// 1. `rotateMasterKey(to:)` stores, in one transaction, the new key wrapped under the old (the
///    successor), the old wrapped under the new (the predecessor) and the check value sealed
///    under the new key; then it rewraps every stored key under the new one, batch by batch,
///    each row only while it still holds what was read. From the first transaction on, a holder
///    of either key opens the vault and wraps new keys under the new one (`MasterKeySet`,
///    `MasterKeyFence`); a live server notices on its next use of a rewrapped key, or on its
///    minute reload.
/// 2. `finishMasterKeyRotation()`, run with the new key once every server was restarted with
///    it, rewraps anything left and deletes the successor and predecessor: from then on the old
///    key opens nothing.
extension Vault {
    public func rotateMasterKey(to newKey: MasterKey, actor: AuditActor, batchSize: Int = 500,
                                progress: @Sendable (WrappedKeyKind, Int) -> Void = { _, _ in }) async throws -> MasterKeyRotationReport {
        let resumed = try await beginMasterKeyRotation(to: newKey, actor: actor)
        let (rewrapped, auditKey) = try await rewrapUnderCurrentMasterKey(batchSize: batchSize, progress: progress)
        return MasterKeyRotationReport(rewrapped: rewrapped, rewrappedAuditKey: auditKey, resumed: resumed)
    }

    /// Finishes the rotation begun by `rotateMasterKey`; nil when none is in progress.
    /// - Throws: `KeyManagementError.finishNeedsNewMasterKey` unless the vault was opened with the
    ///   new key, so that nobody finishes a rotation without holding the key that will remain.
    public func finishMasterKeyRotation(actor: AuditActor, batchSize: Int = 500,
                                        progress: @Sendable (WrappedKeyKind, Int) -> Void = { _, _ in }) async throws -> MasterKeyRotationReport? {
        try await keyring.reloadMasterKeys(from: storage)
        let keys = keyring.masterKeys
        guard keys.isRotating else { return nil }
        guard keys.current == keyring.givenMasterKey else { throw KeyManagementError.finishNeedsNewMasterKey }
        let (rewrapped, auditKey) = try await rewrapUnderCurrentMasterKey(batchSize: batchSize, progress: progress)
        let now = clock()
        let event = AuditEvent(tenantID: nil, actor: actor, action: .masterKeyRotationFinish, subject: nil, outcome: .success)
        try await fenced {
            try await write { writer in
                try keys.fence.verify(writer)
                _ = try writer.deleteMetadata(Metadata.masterKeySuccessor)
                _ = try writer.deleteMetadata(Metadata.masterKeyPredecessor)
                try self.auditLog.append(event, at: now, to: writer)
            }
        }
        try await keyring.reloadMasterKeys(from: storage)
        return MasterKeyRotationReport(rewrapped: rewrapped, rewrappedAuditKey: auditKey, resumed: false)
    }

    /// Whether a master-key rotation was begun and not finished, so that the previous master key
    /// still opens the vault.
    public func isMasterKeyRotationInProgress() async throws -> Bool {
        try await keyring.reloadMasterKeys(from: storage)
        return keyring.masterKeys.isRotating
    }

    /// Runs `operation` — which wraps with `keyring.wrap` and verifies the fence in its write —
    /// once more, after reloading the master keys, when a rotation began between the wrapping
    /// and the commit.
    func wrappingKeys<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch is MasterKeyFence.Moved {
            try await keyring.reloadMasterKeys(from: storage)
        }
        do {
            return try await operation()
        } catch is MasterKeyFence.Moved {
            throw VaultError.storage(.serializationFailure("the master key changed twice during one write"))
        }
    }

    /// Stores the successor, predecessor and new check value, audited; true when this rotation
    /// had already begun (or `newKey` already is the master key).
    private func beginMasterKeyRotation(to newKey: MasterKey, actor: AuditActor) async throws -> Bool {
        try await keyring.reloadMasterKeys(from: storage)
        let keys = keyring.masterKeys
        if keys.current == newKey {
            // Resuming this very rotation; otherwise nothing would change.
            guard keys.isRotating else { throw KeyManagementError.sameMasterKey }
            return true
        }
        guard !keys.isRotating else { throw KeyManagementError.masterKeyRotationInProgress }
        let old = keys.current
        let successor = old.wrap(newKey.key.secret, purpose: .masterKeySuccessor)
        let predecessor = newKey.wrap(old.key.secret, purpose: .masterKeyPredecessor)
        let check = newKey.wrap(StoredMasterKeys.checkPlaintext, purpose: .check)
        let now = clock()
        let event = AuditEvent(tenantID: nil, actor: actor, action: .masterKeyRotate, subject: nil, outcome: .success)
        try await fenced {
            try await write { writer in
                try keys.fence.verify(writer)
                try writer.setMetadata(Metadata.masterKeySuccessor, value: successor)
                try writer.setMetadata(Metadata.masterKeyPredecessor, value: predecessor)
                try writer.setMetadata(Metadata.masterKeyCheck, value: check)
                try self.auditLog.append(event, at: now, to: writer)
            }
        }
        try await keyring.reloadMasterKeys(from: storage)
        return false
    }

    /// Rewraps every stored key that the current master key does not open yet. A failed fence
    /// means another rotation began meanwhile.
    private func rewrapUnderCurrentMasterKey(batchSize: Int, progress: @Sendable (WrappedKeyKind, Int) -> Void)
        async throws -> (rewrapped: [WrappedKeyKind: Int], auditKey: Bool) {
        let keys = keyring.masterKeys
        return try await fenced {
            var rewrapped: [WrappedKeyKind: Int] = [:]
            for kind in WrappedKeyKind.allCases {
                let count = try await rewrap(kind, under: keys, batchSize: batchSize) { progress(kind, $0) }
                if count > 0 { rewrapped[kind] = count }
            }
            return (rewrapped, try await rewrapAuditKey(under: keys))
        }
    }

    /// Moves every key of `kind` to `keys.current`, batch by batch: the crypto of a batch is done
    /// before its one write, which checks the fence and updates each row only while unchanged.
    /// A key no master key held opens (tampered, moved to another row) stops the run with
    /// `integrityFailure`, nothing of its batch written. Returns how many keys were moved.
    private func rewrap(_ kind: WrappedKeyKind, under keys: MasterKeySet, batchSize: Int,
                        progress: (Int) -> Void) async throws -> Int {
        var moved = 0
        var after: WrappedKeyRow?
        while true {
            let position = after
            let batch = try await read { try $0.wrappedKeys(kind, after: position, limit: batchSize) }
            guard let last = batch.last else { return moved }
            var updates: [(row: WrappedKeyRow, wrapped: [UInt8])] = []
            for row in batch {
                let purpose = try kind.purpose(of: row)
                if (try? keys.current.unwrap(row.wrapped, purpose: purpose)) != nil { continue }
                guard let secret = try? keys.unwrap(row.wrapped, purpose: purpose) else { throw VaultError.integrityFailure }
                updates.append((row, keys.current.wrap(secret, purpose: purpose)))
            }
            if !updates.isEmpty {
                let rewrites = updates
                moved += try await write { writer in
                    try keys.fence.verify(writer)
                    return try rewrites.reduce(0) { count, update in
                        try writer.rewrapKey(kind, update.row, with: update.wrapped) ? count + 1 : count
                    }
                }
            }
            progress(moved)
            after = last
        }
    }

    /// The audit key (one metadata entry), from the copy this vault unwrapped when it opened.
    private func rewrapAuditKey(under keys: MasterKeySet) async throws -> Bool {
        let stored = try await read { try $0.metadata(Metadata.auditKey) }
        guard let stored, (try? keys.current.unwrap(stored, purpose: .auditKey)) == nil else { return false }
        let wrapped = keys.current.wrap(auditLog.key.secret, purpose: .auditKey)
        return try await write { writer in
            try keys.fence.verify(writer)
            guard try writer.metadata(Metadata.auditKey) == stored else { return false }
            try writer.setMetadata(Metadata.auditKey, value: wrapped)
            return true
        }
    }

    /// Reports a failed fence in a rotation step as the concurrent rotation it is.
    private func fenced<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch is MasterKeyFence.Moved {
            throw KeyManagementError.masterKeyRotationInProgress
        }
    }
}

extension WrappedKeyKind {
    /// What the row's wrapping is bound to; a row whose id does not fit its kind is `integrityFailure`.
    func purpose(of row: WrappedKeyRow) throws(VaultError) -> KeyPurpose {
        switch self {
        case .dataKeys:
            guard let version = Int(row.id) else { throw .integrityFailure }
            return .dataKey(version: version)
        case .fingerprintKeys: return .fingerprintKey(TenantID(unchecked: row.id))
        case .cardDataKeys:
            guard let tenant = row.tenantID else { throw .integrityFailure }
            return .cardDataKey(tenant, KeyID(unchecked: row.id))
        case .ssoSecrets: return .ssoSecret(TenantID(unchecked: row.id))
        }
    }
}
