import Foundation
import VaultCrypto

extension Vault {
    /// Adds a data-key version and re-encrypts every sealed record of every kind to it, one
    /// transaction per batch. If any record is still under an older version — a rotation was
    /// interrupted — no version is added: the interrupted rotation is finished instead. So running
    /// it again after a crash is always safe, and a batch is either fully re-encrypted or untouched.
    ///
    /// A record a running server deletes or seals again while its batch is being re-encrypted is
    /// left as the server wrote it; if that is under an older version, the next run moves it.
    /// `progress` gets each kind's running count after every batch.
    public func rotateDataKey(actor: AuditActor, batchSize: Int = 500,
                              progress: @Sendable (SealedRecordKind, Int) -> Void = { _, _ in }) async throws -> RotationReport {
        try await keyring.reloadDataKeys(from: storage)
        let current = try activeDataKey().version
        let resumed = try await read { reader in
            try SealedRecordKind.allCases.contains { kind in
                try !reader.sealedRecords(kind, keyVersionBelow: current, after: nil, limit: 1).isEmpty
            }
        }
        if !resumed {
            let version = current + 1
            let now = clock()
            let dataKey = SymmetricKey.generate()
            let event = AuditEvent(tenantID: nil, actor: actor, action: .dataKeyRotate, subject: "v\(version)",
                                   outcome: .success)
            try await wrappingKeys {
                let wrapped = keyring.wrap(dataKey.secret, purpose: .dataKey(version: version))
                try await write { writer in
                    try wrapped.fence.verify(writer)
                    try writer.insertDataKey(DataKeyRecord(version: version, wrappedKey: wrapped.bytes, createdAt: now))
                    try self.auditLog.append(event, at: now, to: writer)
                }
            }
            try await keyring.reloadDataKeys(from: storage)
        }
        let target = try activeDataKey()
        var reencrypted: [SealedRecordKind: Int] = [:]
        for kind in SealedRecordKind.allCases {
            let count = try await reencrypt(kind, to: target, batchSize: batchSize) { progress(kind, $0) }
            if count > 0 { reencrypted[kind] = count }
        }
        return RotationReport(activeVersion: target.version, resumed: resumed, reencrypted: reencrypted)
    }

    /// Moves every record of `kind` under an older version to `target`, batch by batch: all the
    /// crypto of a batch is done before its one write, so a record that fails to open fails the
    /// rotation with nothing of its batch written. Returns how many records were moved.
    private func reencrypt(_ kind: SealedRecordKind, to target: (version: Int, key: SymmetricKey), batchSize: Int,
                           progress: (Int) -> Void) async throws -> Int {
        let version = target.version
        var moved = 0
        var after: SealedRow?
        while true {
            let position = after
            let batch = try await read { try $0.sealedRecords(kind, keyVersionBelow: version, after: position, limit: batchSize) }
            guard let last = batch.last else { return moved }
            var resealed: [(row: SealedRow, sealed: [[UInt8]?])] = []
            resealed.reserveCapacity(batch.count)
            for row in batch {
                let oldKey = try await keyring.dataKey(version: row.keyVersion, storage: storage)
                resealed.append((row, try kind.reseal(row, from: oldKey, to: target)))
            }
            let updates = resealed
            moved += try await write { writer in
                try updates.reduce(0) { count, update in
                    try writer.resealRecord(kind, update.row, with: update.sealed, keyVersion: version) ? count + 1 : count
                }
            }
            progress(moved)
            after = last
        }
    }

    /// Picks up data-key versions added by another process (`coffer keys rotate` beside a
    /// running server), so new records move to the new version, and a master-key rotation begun
    /// or finished by another process (`coffer keys rotate-master`).
    public func reloadDataKeys() async throws {
        try await keyring.reloadDataKeys(from: storage)
    }

    /// Destroys data-key version `version` once it seals nothing: its wrapped key is deleted
    /// (SQLite's `secure_delete` overwrites it), so nothing in the database opens what was sealed
    /// under it any more — copies of old ciphertexts included; backups taken before still hold the
    /// key. Account tombstones, which hold nothing sealed, are relabelled to the active version in
    /// the same transaction. Audited as `datakey.retire`.
    ///
    /// Refused for the active version, for a version that still seals records, and until
    /// `policy.dataKeyRetirementDelay` after the next version was added: until a running server
    /// has reloaded its data keys it may still seal under the old one.
    public func retireDataKey(version: Int, actor: AuditActor) async throws {
        let status = try await dataKeyStatus()
        guard let index = status.firstIndex(where: { $0.version == version }) else {
            throw KeyManagementError.dataKeyNotFound(version: version)
        }
        guard index + 1 < status.count else { throw KeyManagementError.dataKeyActive(version: version) }
        guard status[index].records.isEmpty else {
            throw KeyManagementError.dataKeyInUse(version: version, records: status[index].records)
        }
        let now = clock()
        let retirableAt = status[index + 1].createdAt.addingTimeInterval(policy.dataKeyRetirementDelay)
        guard now >= retirableAt else {
            throw KeyManagementError.dataKeyRecentlyActive(version: version, retirableAt: retirableAt)
        }
        let active = status[status.count - 1].version
        let event = AuditEvent(tenantID: nil, actor: actor, action: .dataKeyRetire, subject: "v\(version)", outcome: .success)
        do {
            try await write { writer in
                _ = try writer.relabelAccountTombstones(keyVersion: version, to: active)
                guard try writer.deleteDataKey(version: version) else { throw KeyManagementError.dataKeyNotFound(version: version) }
                try self.auditLog.append(event, at: now, to: writer)
            }
        } catch VaultError.storage(.integrityViolation) {
            // A server sealed a record under the version after the count above: its foreign key
            // refused the delete.
            let records = try await dataKeyStatus().first { $0.version == version }?.records ?? [:]
            throw KeyManagementError.dataKeyInUse(version: version, records: records)
        }
        try await keyring.reloadDataKeys(from: storage)
    }

    /// Every data-key version with how many records of each kind it still seals: a report
    /// (`keys status`) may read a replica, a decision (retiring a version) may not.
    public func dataKeyStatus(consistency: ReadConsistency = .primary) async throws -> [DataKeyStatus] {
        let (keys, counts) = try await read(consistency: consistency) { reader in
            (try reader.dataKeys(),
             try SealedRecordKind.allCases.map { kind in (kind, try reader.sealedRecordCounts(kind)) })
        }
        let active = keys.map(\.version).max()
        return keys.map { key in
            var records: [SealedRecordKind: Int] = [:]
            for (kind, byVersion) in counts { records[kind] = byVersion[key.version] }
            return DataKeyStatus(version: key.version, createdAt: key.createdAt, isActive: key.version == active,
                                 records: records)
        }
    }
}
