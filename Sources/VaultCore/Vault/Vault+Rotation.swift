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
            let record = DataKeyRecord(
                version: version,
                wrappedKey: keyring.masterKey.wrap(SymmetricKey.generate().secret, purpose: .dataKey(version: version)),
                createdAt: now)
            let event = AuditEvent(tenantID: nil, actor: actor, action: .dataKeyRotate, subject: "v\(version)",
                                   outcome: .success)
            try await write { writer in
                try writer.insertDataKey(record)
                try self.auditLog.append(event, at: now, to: writer)
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
    /// running server), so new records move to the new version.
    public func reloadDataKeys() async throws {
        try await keyring.reloadDataKeys(from: storage)
    }

    /// Every data-key version with how many records of each kind it still seals.
    public func dataKeyStatus() async throws -> [DataKeyStatus] {
        let (keys, counts) = try await read { reader in
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
