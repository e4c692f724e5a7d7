import VaultCrypto

/// What binds each sealed column of each kind of record, so that rotation opens any record under
/// its version and seals it again under another with one piece of code.
extension SealedRecordKind {
    /// How a sealed column's associated data is built from its row.
    enum ColumnSealing {
        /// `RecordSealing`: kind ‖ tenant ‖ subject ‖ version.
        case record(RecordSealing.Kind)
        /// A recorded response, bound to its tenant and idempotency key (`Vault.idempotencyAssociatedData`).
        case idempotencyBody

        func associatedData(of row: SealedRow, keyVersion: Int) -> [UInt8] {
            switch self {
            case .record(let kind):
                RecordSealing.associatedData(kind, tenant: row.tenantID, subject: row.subject, keyVersion: keyVersion)
            case .idempotencyBody:
                Vault.idempotencyAssociatedData(tenant: row.tenantID, key: row.subject, keyVersion: keyVersion)
            }
        }
    }

    /// The sealed columns, in the order of `SealedRow.sealed`.
    var columns: [ColumnSealing] {
        switch self {
        case .cards: [.record(.card)]
        case .cardTokens: [.record(.singleUseToken)]
        case .accounts: [.record(.accountHolder), .record(.bankAccountNumber)]
        case .idempotencyRecords: [.idempotencyBody]
        case .syncClients: [.record(.syncClientMeta)]
        case .paymentMethods: [.record(.paymentMethodDetails)]
        case .paymentSettings: [.record(.stripeAccessToken)]
        case .platformClients: [.record(.platformClientProfile)]
        case .gatewayCards: [.record(.cardholderName)]
        }
    }

    /// The row's columns opened under `oldKey` (its own version) and sealed under `target`; NULL
    /// columns stay NULL. Plaintexts exist only as `SecretBytes`, wiped when released. A column
    /// that does not open — tampered, moved, or a row of the wrong shape — is `integrityFailure`.
    func reseal(_ row: SealedRow, from oldKey: SymmetricKey,
                to target: (version: Int, key: SymmetricKey)) throws(VaultError) -> [[UInt8]?] {
        guard row.sealed.count == columns.count else { throw .integrityFailure }
        return try zip(columns, row.sealed).map { (column, ciphertext) throws(VaultError) -> [UInt8]? in
            guard let ciphertext else { return nil }
            let plaintext = try RecordSealing.open(ciphertext, key: oldKey,
                                                   associatedData: column.associatedData(of: row, keyVersion: row.keyVersion))
            return RecordSealing.seal(plaintext, key: target.key,
                                      associatedData: column.associatedData(of: row, keyVersion: target.version))
        }
    }
}
