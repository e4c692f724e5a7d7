import Foundation
import VaultCore

/// `StorageReader` over one connection; shared by the read and the write adapter.
protocol SQLiteBackedReader: StorageReader {
    var connection: SQLiteConnection { get }
}

/// What a `read` body gets: a checked-out read-only connection inside a read transaction.
struct SQLiteReader: SQLiteBackedReader {
    let connection: SQLiteConnection
}

/// What a `write` body gets: the write connection, inside the batch's transaction and the body's savepoint.
struct SQLiteWriter: SQLiteBackedReader, StorageWriter {
    let connection: SQLiteConnection
}

extension SQLiteBackedReader {
    func metadata(_ key: String) throws -> [UInt8]? {
        try connection.queryFirst("SELECT value FROM metadata WHERE key = ?", key) { $0.blob(0) }
    }

    func tenant(_ id: TenantID) throws -> TenantRecord? {
        try connection.queryFirst(RecordSQL.tenantByID, id.rawValue) { try $0.tenantRecord() }
    }

    func tenants() throws -> [TenantRecord] {
        try connection.query(RecordSQL.allTenants) { try $0.tenantRecord() }
    }

    func subTenant(parent: TenantID, subClientID: String) throws -> TenantRecord? {
        try connection.queryFirst(RecordSQL.subTenant, parent.rawValue, subClientID) { try $0.tenantRecord() }
    }

    func apiKey(secretHash: [UInt8]) throws -> APIKeyRecord? {
        try connection.queryFirst(RecordSQL.apiKeyBySecretHash, secretHash) { try $0.apiKeyRecord() }
    }

    func apiKeys(tenant: TenantID) throws -> [APIKeyRecord] {
        try connection.query(RecordSQL.apiKeysOfTenant, tenant.rawValue) { try $0.apiKeyRecord() }
    }

    func dataKeys() throws -> [DataKeyRecord] {
        try connection.query(RecordSQL.allDataKeys) { try $0.dataKeyRecord() }
    }

    func cardDataKey(_ id: KeyID, tenant: TenantID) throws -> CardDataKeyRecord? {
        try connection.queryFirst(RecordSQL.cardDataKeyByID, id.rawValue, tenant.rawValue) { try $0.cardDataKeyRecord() }
    }

    func cardDataKeys(tenant: TenantID) throws -> [CardDataKeyRecord] {
        try connection.query(RecordSQL.liveCardDataKeysOfTenant, tenant.rawValue) { try $0.cardDataKeyRecord() }
    }

    func card(_ token: Token, tenant: TenantID) throws -> CardRecord? {
        try connection.queryFirst(RecordSQL.cardByToken, token.rawValue, tenant.rawValue) { try $0.cardRecord() }
    }

    func cards(fingerprint: [UInt8], tenant: TenantID) throws -> [CardRecord] {
        try connection.query(RecordSQL.cardsByFingerprint, tenant.rawValue, fingerprint) { try $0.cardRecord() }
    }

    func cardCount() throws -> Int {
        try connection.queryFirst("SELECT count(*) FROM cards") { $0.int(0) } ?? 0
    }

    func cardCountsByTenant() throws -> [TenantID: Int] {
        // Reads the (tenant_id, fingerprint) index, not the rows.
        let counts = try connection.query("SELECT tenant_id, count(*) FROM cards GROUP BY tenant_id") {
            (try $0.identifier(0, as: TenantID.self, "cards.tenant_id"), $0.int(1))
        }
        return Dictionary(uniqueKeysWithValues: counts)
    }

    func auditEntries(after sequence: Int64, limit: Int) throws -> [AuditEntry] {
        try connection.query(RecordSQL.auditEntriesAfter, sequence, max(limit, 0)) { try $0.auditEntry() }
    }

    func auditHead() throws -> AuditHead? {
        try connection.queryFirst(RecordSQL.auditHead) { AuditHead(sequence: $0.int64(0), mac: $0.blob(1)) }
    }

    func idempotencyRecord(tenant: TenantID, lookup: String) throws -> IdempotencyRecord? {
        try connection.queryFirst(RecordSQL.idempotencyByLookup, tenant.rawValue, lookup) { try $0.idempotencyRecord() }
    }

    func account(_ token: Token, tenant: TenantID) throws -> AccountRecord? {
        try connection.queryFirst(RecordSQL.accountByToken, token.rawValue, tenant.rawValue) { try $0.accountRecord() }
    }

    func newestAccount(referenceID: String, tenant: TenantID) throws -> AccountRecord? {
        try connection.queryFirst(RecordSQL.newestAccountByReference, tenant.rawValue, referenceID) {
            try $0.accountRecord()
        }
    }

    func syncClient(_ id: SyncClientID, tenant: TenantID) throws -> SyncClientRecord? {
        try connection.queryFirst(RecordSQL.syncClientByID, id.rawValue, tenant.rawValue) { try $0.syncClientRecord() }
    }

    func syncClient(identifier: String, tenant: TenantID) throws -> SyncClientRecord? {
        try connection.queryFirst(RecordSQL.syncClientByIdentifier, tenant.rawValue, identifier) {
            try $0.syncClientRecord()
        }
    }

    func paymentMethods(of client: SyncClientID) throws -> [PaymentMethodRecord] {
        try connection.query(RecordSQL.paymentMethodsOfClient, client.rawValue) { try $0.paymentMethodRecord() }
    }

    func ssoSecret(tenant: TenantID) throws -> [UInt8]? {
        try connection.queryFirst("SELECT wrapped_secret FROM sso_secrets WHERE tenant_id = ?", tenant.rawValue) {
            $0.blob(0)
        }
    }

    func duplicateCheckedAccounts(fingerprint: [UInt8], tenant: TenantID, limit: Int) throws -> [Token] {
        try connection.query(RecordSQL.duplicateCheckedAccounts, tenant.rawValue, fingerprint, max(limit, 0)) {
            try $0.identifier(0, as: Token.self, "accounts.token")
        }
    }
}

extension SQLiteWriter {
    func setMetadata(_ key: String, value: [UInt8]) throws {
        try connection.execute(
            "INSERT INTO metadata (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key, value)
    }

    func deleteMetadata(_ key: String) throws -> Bool {
        try connection.executeCountingChanges("DELETE FROM metadata WHERE key = ?", key) > 0
    }

    func insertTenant(_ tenant: TenantRecord) throws {
        try connection.execute(RecordSQL.insertTenant,
            tenant.id.rawValue, tenant.name, tenant.parentID?.rawValue, tenant.wrappedFingerprintKey,
            SQLiteTime.milliseconds(tenant.createdAt), tenant.subClientID, tenant.disabledAt.map(SQLiteTime.milliseconds))
    }

    func setTenantDisabled(_ id: TenantID, at date: Date?) throws {
        try connection.execute("UPDATE tenants SET disabled_at = ? WHERE id = ?", date.map(SQLiteTime.milliseconds), id.rawValue)
    }

    func insertAPIKey(_ key: APIKeyRecord) throws {
        try connection.execute(RecordSQL.insertAPIKey, arguments: [
            key.id.rawValue, key.tenantID.rawValue, key.secretHash, RoleList.format(key.roles), key.label,
            SQLiteTime.milliseconds(key.createdAt), key.revokedAt.map(SQLiteTime.milliseconds),
        ] + RateLimitColumns.values(key.limits).map { $0 as any SQLiteBindable })
    }

    func revokeAPIKey(_ id: APIKeyID, tenant: TenantID, at date: Date) throws -> Bool {
        try connection.executeCountingChanges(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
            SQLiteTime.milliseconds(date), id.rawValue, tenant.rawValue) > 0
    }

    func recordAPIKeyUse(_ id: APIKeyID, at date: Date) throws {
        let time = SQLiteTime.milliseconds(date)
        try connection.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                               time, id.rawValue, time)
    }

    func insertDataKey(_ key: DataKeyRecord) throws {
        try connection.execute(RecordSQL.insertDataKey,
            key.version, key.wrappedKey, SQLiteTime.milliseconds(key.createdAt))
    }

    func deleteDataKey(version: Int) throws -> Bool {
        try connection.executeCountingChanges("DELETE FROM data_keys WHERE version = ?", version) > 0
    }

    func insertCardDataKey(_ key: CardDataKeyRecord) throws {
        try connection.execute(RecordSQL.insertCardDataKey,
            key.id.rawValue, key.tenantID.rawValue, key.wrappedPrivateKey, key.publicKeyDER,
            SQLiteTime.milliseconds(key.createdAt), SQLiteTime.milliseconds(key.expiresAt),
            key.deletedAt.map(SQLiteTime.milliseconds))
    }

    func deleteCardDataKey(_ id: KeyID, tenant: TenantID, at date: Date) throws -> Bool {
        // With secure_delete the old wrapped key's bytes are overwritten in the page, not left in free space.
        try connection.executeCountingChanges(
            """
            UPDATE card_data_keys SET wrapped_private_key = X'', deleted_at = ?
            WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL
            """,
            SQLiteTime.milliseconds(date), id.rawValue, tenant.rawValue) > 0
    }

    func insertCard(_ card: CardRecord) throws {
        try connection.execute(RecordSQL.insertCard,
            card.token.rawValue, card.tenantID.rawValue, card.ciphertext, card.keyVersion, card.fingerprint,
            card.bin, card.last4, card.brand.rawValue, card.expiration?.yyyymm,
            SQLiteTime.milliseconds(card.createdAt), SQLiteTime.milliseconds(card.updatedAt))
    }

    func replaceCard(_ card: CardRecord) throws -> Bool {
        try connection.executeCountingChanges(RecordSQL.replaceCard,
            card.ciphertext, card.keyVersion, card.fingerprint, card.bin, card.last4, card.brand.rawValue,
            card.expiration?.yyyymm, SQLiteTime.milliseconds(card.updatedAt), card.token.rawValue,
            card.tenantID.rawValue) > 0
    }

    func deleteCard(_ token: Token, tenant: TenantID) throws -> Bool {
        try connection.executeCountingChanges(
            "DELETE FROM cards WHERE token = ? AND tenant_id = ?", token.rawValue, tenant.rawValue) > 0
    }

    func insertAuditEntry(_ entry: AuditEntry) throws {
        let event = entry.event
        try connection.execute(RecordSQL.insertAudit,
            entry.sequence, entry.timestampMillis, event.tenantID?.rawValue, event.actor.name, event.action.rawValue,
            event.subject, event.outcome.rawValue, entry.previousMAC, entry.mac, event.actor.source,
            event.actor.requestID, event.count, entry.chainVersion.rawValue)
    }

    func insertIdempotencyRecord(_ record: IdempotencyRecord, naming subjects: [String]) throws {
        try connection.execute(RecordSQL.insertIdempotency,
            record.tenantID.rawValue, record.lookup, record.requestMAC, record.response?.status,
            record.response?.sealedBody, record.response?.keyVersion, SQLiteTime.milliseconds(record.createdAt))
        for subject in subjects {
            try connection.execute(RecordSQL.insertIdempotencySubject, subject, record.tenantID.rawValue, record.lookup)
        }
    }

    func neutralizeIdempotencyRecords(naming subject: String) throws -> Int {
        try connection.executeCountingChanges(RecordSQL.neutralizeIdempotency, subject)
    }

    /// Their subjects go with them (`ON DELETE CASCADE`).
    func deleteIdempotencyRecords(before date: Date) throws -> Int {
        try connection.executeCountingChanges(
            "DELETE FROM idempotency_records WHERE created_at < ?", SQLiteTime.milliseconds(date))
    }

    func insertCardToken(_ record: CardTokenRecord) throws {
        try connection.execute(RecordSQL.insertCardToken,
            record.token.rawValue, record.tenantID.rawValue, record.ciphertext, record.keyVersion,
            SQLiteTime.milliseconds(record.createdAt), SQLiteTime.milliseconds(record.expiresAt))
    }

    func takeCardToken(_ token: Token, tenant: TenantID) throws -> CardTokenRecord? {
        try connection.queryFirst(RecordSQL.takeCardToken, token.rawValue, tenant.rawValue) { try $0.cardTokenRecord() }
    }

    func deleteCardTokens(expiredBefore date: Date) throws -> Int {
        try connection.executeCountingChanges(
            "DELETE FROM card_tokens WHERE expires_at < ?", SQLiteTime.milliseconds(date))
    }

    func insertAccount(_ account: AccountRecord) throws {
        try connection.execute(RecordSQL.insertAccount,
            account.token.rawValue, account.tenantID.rawValue, account.referenceID, account.duplicateCheck ? 1 : 0,
            account.sealedHolder, account.keyVersion, account.bank?.sealedNumber, account.bank?.fingerprint,
            account.bank?.routingNumber, account.bank?.accountType.rawValue, account.bank?.last4,
            SQLiteTime.milliseconds(account.createdAt), account.deletedAt.map(SQLiteTime.milliseconds))
    }

    func replaceAccount(_ account: AccountRecord) throws -> Bool {
        try connection.executeCountingChanges(RecordSQL.replaceAccount,
            account.duplicateCheck ? 1 : 0, account.sealedHolder, account.keyVersion, account.bank?.sealedNumber,
            account.bank?.fingerprint, account.bank?.routingNumber, account.bank?.accountType.rawValue,
            account.bank?.last4, account.token.rawValue, account.tenantID.rawValue) > 0
    }

    func markAccountDeleted(_ token: Token, tenant: TenantID, at date: Date) throws -> Bool {
        try connection.executeCountingChanges(RecordSQL.markAccountDeleted,
            SQLiteTime.milliseconds(date), token.rawValue, tenant.rawValue) > 0
    }

    func relabelAccountTombstones(keyVersion: Int, to newVersion: Int) throws -> Int {
        try connection.executeCountingChanges(
            "UPDATE accounts SET key_version = ? WHERE key_version = ? AND deleted_at IS NOT NULL", newVersion, keyVersion)
    }

    func upsertSyncClient(_ client: SyncClientRecord) throws {
        try connection.execute(RecordSQL.upsertSyncClient,
            client.id.rawValue, client.tenantID.rawValue, client.identifier, client.sealedMeta, client.keyVersion,
            SQLiteTime.milliseconds(client.createdAt), SQLiteTime.milliseconds(client.updatedAt))
    }

    func upsertPaymentMethod(_ method: PaymentMethodRecord) throws {
        try connection.execute(RecordSQL.upsertPaymentMethod,
            method.id.rawValue, method.tenantID.rawValue, method.clientID.rawValue, method.identifier,
            method.kind.rawValue, method.token.rawValue, method.ownsInstrument ? 1 : 0, method.sealedDetails,
            method.keyVersion, method.isDefault ? 1 : 0,
            SQLiteTime.milliseconds(method.createdAt), SQLiteTime.milliseconds(method.updatedAt))
    }

    func setDefaultPaymentMethod(_ method: PaymentMethodID, client: SyncClientID) throws {
        try connection.execute("UPDATE payment_methods SET is_default = (id = ?) WHERE client_id = ?",
                               method.rawValue, client.rawValue)
    }

    func insertSSOSecret(tenant: TenantID, wrapped: [UInt8], at date: Date) throws {
        try connection.execute("INSERT INTO sso_secrets (tenant_id, wrapped_secret, created_at) VALUES (?, ?, ?)",
                               tenant.rawValue, wrapped, SQLiteTime.milliseconds(date))
    }

    func insertSSONonce(_ nonce: String, tenant: TenantID, expiresAt: Date) throws {
        try connection.execute("INSERT INTO sso_nonces (tenant_id, nonce, expires_at) VALUES (?, ?, ?)",
                               tenant.rawValue, nonce, SQLiteTime.milliseconds(expiresAt))
    }

    func deleteSSONonces(expiredBefore date: Date) throws -> Int {
        try connection.executeCountingChanges("DELETE FROM sso_nonces WHERE expires_at < ?", SQLiteTime.milliseconds(date))
    }
}
