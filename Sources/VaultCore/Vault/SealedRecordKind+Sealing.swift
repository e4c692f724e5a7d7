import VaultCrypto

/// What binds each sealed column of each kind of record, so that rotation opens any record under
/// its version and seals it again under another with one piece of code.
extension SealedRecordKind {
    /// What each sealed column is, in the order of `SealedRow.sealed`: its associated data is
    /// `RecordSealing`'s kind ‖ tenant ‖ subject ‖ version.
    var columns: [RecordSealing.Kind] {
        switch self {
        case .cards: [.card]
        case .cardTokens: [.singleUseToken]
        case .accounts: [.accountHolder, .bankAccountNumber]
        case .idempotencyRecords: [.idempotentResponse]
        case .syncClients: [.syncClientMeta]
        case .paymentMethods: [.paymentMethodDetails]
        case .paymentSettings: [.stripeAccessToken]
        case .platformClients: [.platformClientProfile]
        case .gatewayCards: [.cardholderName]
        case .outboxMessages: [.outboxPayload]
        case .profileCustomers: [.profileCustomer]
        case .profileCards: [.profileCardReference, .profileCard]
        case .signingCredentials: [.signingSecret]
        case .patrons: [.patronProfile]
        case .patronContacts: [.patronContact]
        case .patronCards: [.patronCardDetails]
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
            let plaintext = try RecordSealing.open(column, ciphertext, key: oldKey, tenant: row.tenantID,
                                                   subject: row.subject, keyVersion: row.keyVersion)
            return RecordSealing.seal(column, plaintext, key: target.key, tenant: row.tenantID, subject: row.subject,
                                      keyVersion: target.version)
        }
    }
}
