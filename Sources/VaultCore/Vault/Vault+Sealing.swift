import VaultCrypto

/// Sealing at rest with the data keys: new secrets go under the active version, and a record
/// keeps the version it was sealed with (see `RecordSealing` for what binds a ciphertext to its row).
extension Vault {
    func activeDataKey() throws(VaultError) -> (version: Int, key: SymmetricKey) {
        guard let active = keyring.activeDataKey else { throw .integrityFailure }
        return active
    }

    /// Seals a secret under the active data key, bound to its kind, tenant and row.
    func sealWithActiveKey(_ kind: RecordSealing.Kind, _ secret: SecretBytes, tenant: TenantID,
                           subject: String) throws(VaultError) -> (sealed: [UInt8], version: Int) {
        let (version, key) = try activeDataKey()
        return (RecordSealing.seal(kind, secret, key: key, tenant: tenant, subject: subject, keyVersion: version), version)
    }

    /// Opens what `sealWithActiveKey` sealed, under the version it was sealed with.
    func openSealed(_ kind: RecordSealing.Kind, _ sealed: [UInt8], version: Int, tenant: TenantID,
                    subject: String) async throws -> SecretBytes {
        let key = try await keyring.dataKey(version: version, storage: storage)
        return try RecordSealing.open(kind, sealed, key: key, tenant: tenant, subject: subject, keyVersion: version)
    }
}
