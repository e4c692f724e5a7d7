import Foundation
import Synchronization
import VaultCore

/// `StorageReader` over one PostgreSQL connection; shared by the read and the write adapter.
/// The statements are SQLite's (`RecordSQL`, …) wherever the two dialects agree — the schemas
/// share column names, types and `rowid` order — rewritten to `$n` parameters by `PGSQL`; the
/// few that differ are written out here. Rows become records through the shared `StoredRow`
/// mapping. Every failure leaves as a `StorageError`; one that means "lost a race with another
/// transaction" is also noted in `attempt`, so the writer runs the body again.
protocol PGBackedReader: StorageReader {
    var connection: PGConnection { get }
    var attempt: PGAttempt { get }
}

/// What a `read` body gets: a pooled connection inside a read-only REPEATABLE READ transaction
/// (one snapshot, like SQLite's read transaction).
struct PGReader: PGBackedReader {
    let connection: PGConnection
    let attempt = PGAttempt()
}

/// What a `write` body gets: the write connection inside a SERIALIZABLE transaction and the body's savepoint.
struct PGWriter: PGBackedReader, StorageWriter {
    let connection: PGConnection
    let attempt: PGAttempt
    /// Raised at each COMMIT, for the engine's `.replica` reads.
    let fence: PGCommitFence

    /// Commits the transaction and raises the fence to the WAL's end after it, in one round trip.
    func commit() throws(PGError) {
        let result = try connection.scriptResult("COMMIT; " + PGCommitFence.currentPositionQuery)
        fence.advance(to: try result.first?.optionalText(0))
    }
}

/// Whether the current run of a write body lost a race — a serialization failure, a deadlock, or
/// a unique violation of the audit sequence — so that the writer retries it rather than fail it.
/// Used only on the thread that owns the connection.
final class PGAttempt: @unchecked Sendable {
    var lostRace = false
}

/// SQLite statement text → PostgreSQL: `?` and `?N` become `$n`, `IS ?` (SQLite's null-safe
/// equality) becomes `IS NOT DISTINCT FROM $n`. Quoted text is left alone. Translations are
/// cached (the statements are a fixed set).
enum PGSQL {
    private static let cache = Mutex<[String: String]>([:])

    static func translate(_ sql: String) -> String {
        if let known = cache.withLock({ $0[sql] }) { return known }
        var out = ""
        var next = 1
        var quoted = false
        var characters = sql.makeIterator()
        var pending: Character? = characters.next()
        while let character = pending {
            pending = characters.next()
            if character == "'" { quoted.toggle() }
            guard character == "?", !quoted else { out.append(character); continue }
            var digits = ""
            while let digit = pending, digit.isASCII, digit.isNumber {
                digits.append(digit)
                pending = characters.next()
            }
            if out.hasSuffix(" IS ") { out += "NOT DISTINCT FROM " }
            if digits.isEmpty {
                out += "$\(next)"
                next += 1
            } else {
                out += "$" + digits
            }
        }
        cache.withLock { $0[sql] = out }
        return out
    }
}

extension PGBackedReader {
    /// Runs `sql` (SQLite text, translated) and maps every row.
    func rows<T>(_ sql: String, _ parameters: [any PGBindable], map: (PGRow) throws -> T) throws -> [T] {
        try mappingFailures { try connection.query(PGSQL.translate(sql), parameters.map(\.pgValue)).rows.map(map) }
    }

    func rows<T>(_ sql: String, _ parameters: any PGBindable..., map: (PGRow) throws -> T) throws -> [T] {
        try rows(sql, parameters, map: map)
    }

    func first<T>(_ sql: String, _ parameters: any PGBindable..., map: (PGRow) throws -> T) throws -> T? {
        try mappingFailures { try connection.query(PGSQL.translate(sql), parameters.map(\.pgValue)).first.map(map) }
    }

    /// Runs `sql` and returns how many rows it inserted, changed or deleted.
    @discardableResult
    func run(_ sql: String, _ parameters: [any PGBindable]) throws -> Int {
        try mappingFailures { try connection.query(PGSQL.translate(sql), parameters.map(\.pgValue)).affectedRows }
    }

    @discardableResult
    func run(_ sql: String, _ parameters: any PGBindable...) throws -> Int {
        try run(sql, parameters)
    }

    /// `PGError` → the contract's `StorageError`, noting a lost race for the writer.
    func mappingFailures<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PGError {
            if error.kind == .serializationFailure { attempt.lostRace = true }
            throw error.storageError
        }
    }

    func metadata(_ key: String) throws -> [UInt8]? {
        try first("SELECT value FROM metadata WHERE key = ?", key) { try $0.blob(0) }
    }

    func tenant(_ id: TenantID) throws -> TenantRecord? {
        try first(RecordSQL.tenantByID, id.rawValue) { try $0.tenantRecord() }
    }

    func tenants() throws -> [TenantRecord] {
        try rows(RecordSQL.allTenants) { try $0.tenantRecord() }
    }

    func subTenant(parent: TenantID, subClientID: String) throws -> TenantRecord? {
        try first(RecordSQL.subTenant, parent.rawValue, subClientID) { try $0.tenantRecord() }
    }

    func apiKey(secretHash: [UInt8]) throws -> APIKeyRecord? {
        try first(RecordSQL.apiKeyBySecretHash, secretHash) { try $0.apiKeyRecord() }
    }

    func apiKeys(tenant: TenantID) throws -> [APIKeyRecord] {
        try rows(RecordSQL.apiKeysOfTenant, tenant.rawValue) { try $0.apiKeyRecord() }
    }

    func dataKeys() throws -> [DataKeyRecord] {
        try rows(RecordSQL.allDataKeys) { try $0.dataKeyRecord() }
    }

    func cardDataKey(_ id: KeyID, tenant: TenantID) throws -> CardDataKeyRecord? {
        try first(RecordSQL.cardDataKeyByID, id.rawValue, tenant.rawValue) { try $0.cardDataKeyRecord() }
    }

    func cardDataKeys(tenant: TenantID) throws -> [CardDataKeyRecord] {
        try rows(RecordSQL.liveCardDataKeysOfTenant, tenant.rawValue) { try $0.cardDataKeyRecord() }
    }

    func card(_ token: Token, tenant: TenantID) throws -> CardRecord? {
        try first(RecordSQL.cardByToken, token.rawValue, tenant.rawValue) { try $0.cardRecord() }
    }

    func cards(fingerprint: [UInt8], tenant: TenantID) throws -> [CardRecord] {
        try rows(RecordSQL.cardsByFingerprint, tenant.rawValue, fingerprint) { try $0.cardRecord() }
    }

    func cardCount() throws -> Int {
        try first("SELECT count(*) FROM cards") { try $0.int(0) } ?? 0
    }

    func cardCountsByTenant() throws -> [TenantID: Int] {
        let counts = try rows("SELECT tenant_id, count(*) FROM cards GROUP BY tenant_id") {
            (try $0.identifier(0, as: TenantID.self, "cards.tenant_id"), try $0.int(1))
        }
        return Dictionary(uniqueKeysWithValues: counts)
    }

    func auditEntries(after sequence: Int64, limit: Int) throws -> [AuditEntry] {
        try rows(RecordSQL.auditEntriesAfter, sequence, max(limit, 0)) { try $0.auditEntry() }
    }

    func auditHead() throws -> AuditHead? {
        try first(RecordSQL.auditHead) { AuditHead(sequence: try $0.int64(0), mac: try $0.blob(1)) }
    }

    func idempotencyRecord(tenant: TenantID, lookup: String) throws -> IdempotencyRecord? {
        try first(RecordSQL.idempotencyByLookup, tenant.rawValue, lookup) { try $0.idempotencyRecord() }
    }

    func account(_ token: Token, tenant: TenantID) throws -> AccountRecord? {
        try first(RecordSQL.accountByToken, token.rawValue, tenant.rawValue) { try $0.accountRecord() }
    }

    func newestAccount(referenceID: String, tenant: TenantID) throws -> AccountRecord? {
        try first(RecordSQL.newestAccountByReference, tenant.rawValue, referenceID) { try $0.accountRecord() }
    }

    func syncClient(_ id: SyncClientID, tenant: TenantID) throws -> SyncClientRecord? {
        try first(RecordSQL.syncClientByID, id.rawValue, tenant.rawValue) { try $0.syncClientRecord() }
    }

    func syncClient(identifier: String, tenant: TenantID) throws -> SyncClientRecord? {
        try first(RecordSQL.syncClientByIdentifier, tenant.rawValue, identifier) { try $0.syncClientRecord() }
    }

    func paymentMethods(of client: SyncClientID) throws -> [PaymentMethodRecord] {
        try rows(RecordSQL.paymentMethodsOfClient, client.rawValue) { try $0.paymentMethodRecord() }
    }

    func ssoSecret(tenant: TenantID) throws -> [UInt8]? {
        try first("SELECT wrapped_secret FROM sso_secrets WHERE tenant_id = ?", tenant.rawValue) { try $0.blob(0) }
    }

    func duplicateCheckedAccounts(fingerprint: [UInt8], tenant: TenantID, limit: Int) throws -> [Token] {
        try rows(RecordSQL.duplicateCheckedAccounts, tenant.rawValue, fingerprint, max(limit, 0)) {
            try $0.identifier(0, as: Token.self, "accounts.token")
        }
    }
}

extension PGWriter {
    func setMetadata(_ key: String, value: [UInt8]) throws {
        try run("INSERT INTO metadata (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key, value)
    }

    func deleteMetadata(_ key: String) throws -> Bool {
        try run("DELETE FROM metadata WHERE key = ?", key) > 0
    }

    func insertTenant(_ tenant: TenantRecord) throws {
        try run(RecordSQL.insertTenant,
            tenant.id.rawValue, tenant.name, tenant.parentID?.rawValue, tenant.wrappedFingerprintKey,
            SQLiteTime.milliseconds(tenant.createdAt), tenant.subClientID, tenant.disabledAt.map(SQLiteTime.milliseconds))
    }

    func setTenantDisabled(_ id: TenantID, at date: Date?) throws {
        try run("UPDATE tenants SET disabled_at = ? WHERE id = ?", date.map(SQLiteTime.milliseconds), id.rawValue)
    }

    func insertAPIKey(_ key: APIKeyRecord) throws {
        let columns: [any PGBindable] = [
            key.id.rawValue, key.tenantID.rawValue, key.secretHash, RoleList.format(key.roles), key.label,
            SQLiteTime.milliseconds(key.createdAt), key.revokedAt.map(SQLiteTime.milliseconds),
        ]
        try run(RecordSQL.insertAPIKey, columns + RateLimitColumns.values(key.limits).map { $0 as any PGBindable })
    }

    func revokeAPIKey(_ id: APIKeyID, tenant: TenantID, at date: Date) throws -> Bool {
        try run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
                SQLiteTime.milliseconds(date), id.rawValue, tenant.rawValue) > 0
    }

    func recordAPIKeyUse(_ id: APIKeyID, at date: Date) throws {
        let time = SQLiteTime.milliseconds(date)
        try run("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                time, id.rawValue, time)
    }

    func insertDataKey(_ key: DataKeyRecord) throws {
        try run(RecordSQL.insertDataKey, key.version, key.wrappedKey, SQLiteTime.milliseconds(key.createdAt))
    }

    func deleteDataKey(version: Int) throws -> Bool {
        try run("DELETE FROM data_keys WHERE version = ?", version) > 0
    }

    func insertCardDataKey(_ key: CardDataKeyRecord) throws {
        try run(RecordSQL.insertCardDataKey,
            key.id.rawValue, key.tenantID.rawValue, key.wrappedPrivateKey, key.publicKeyDER,
            SQLiteTime.milliseconds(key.createdAt), SQLiteTime.milliseconds(key.expiresAt),
            key.deletedAt.map(SQLiteTime.milliseconds))
    }

    func deleteCardDataKey(_ id: KeyID, tenant: TenantID, at date: Date) throws -> Bool {
        try run("""
            UPDATE card_data_keys SET wrapped_private_key = ''::bytea, deleted_at = ?
            WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL
            """, SQLiteTime.milliseconds(date), id.rawValue, tenant.rawValue) > 0
    }

    func insertCard(_ card: CardRecord) throws {
        try run(RecordSQL.insertCard,
            card.token.rawValue, card.tenantID.rawValue, card.ciphertext, card.keyVersion, card.fingerprint,
            card.bin, card.last4, card.brand.rawValue, card.expiration?.yyyymm,
            SQLiteTime.milliseconds(card.createdAt), SQLiteTime.milliseconds(card.updatedAt))
    }

    func replaceCard(_ card: CardRecord) throws -> Bool {
        try run(RecordSQL.replaceCard,
            card.ciphertext, card.keyVersion, card.fingerprint, card.bin, card.last4, card.brand.rawValue,
            card.expiration?.yyyymm, SQLiteTime.milliseconds(card.updatedAt), card.token.rawValue,
            card.tenantID.rawValue) > 0
    }

    func deleteCard(_ token: Token, tenant: TenantID) throws -> Bool {
        try run("DELETE FROM cards WHERE token = ? AND tenant_id = ?", token.rawValue, tenant.rawValue) > 0
    }

    /// A unique violation here means another node appended the same sequence after the same head
    /// since this body read it: a lost race, retried (the body reads the new head), not a failure.
    func insertAuditEntry(_ entry: AuditEntry) throws {
        let event = entry.event
        do {
            try connection.execute(PGSQL.translate(RecordSQL.insertAudit),
                entry.sequence, entry.timestampMillis, event.tenantID?.rawValue, event.actor.name, event.action.rawValue,
                event.subject, event.outcome.rawValue, entry.previousMAC, entry.mac, event.actor.source,
                event.actor.requestID, event.count, entry.chainVersion.rawValue)
        } catch {
            if error.kind == .uniqueViolation || error.kind == .serializationFailure { attempt.lostRace = true }
            throw error.storageError
        }
    }

    func insertIdempotencyRecord(_ record: IdempotencyRecord, naming subjects: [String]) throws {
        try run(RecordSQL.insertIdempotency,
            record.tenantID.rawValue, record.lookup, record.requestMAC, record.response?.status,
            record.response?.sealedBody, record.response?.keyVersion, SQLiteTime.milliseconds(record.createdAt))
        for subject in subjects {
            // A response may name one card twice (two payment methods holding it).
            try run("INSERT INTO idempotency_subjects (subject, tenant_id, lookup) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    subject, record.tenantID.rawValue, record.lookup)
        }
    }

    func neutralizeIdempotencyRecords(naming subject: String) throws -> Int {
        try run(RecordSQL.neutralizeIdempotency, subject)
    }

    func deleteIdempotencyRecords(before date: Date) throws -> Int {
        try run("DELETE FROM idempotency_records WHERE created_at < ?", SQLiteTime.milliseconds(date))
    }

    func insertCardToken(_ record: CardTokenRecord) throws {
        try run(RecordSQL.insertCardToken,
            record.token.rawValue, record.tenantID.rawValue, record.ciphertext, record.keyVersion,
            SQLiteTime.milliseconds(record.createdAt), SQLiteTime.milliseconds(record.expiresAt))
    }

    func takeCardToken(_ token: Token, tenant: TenantID) throws -> CardTokenRecord? {
        try first(RecordSQL.takeCardToken, token.rawValue, tenant.rawValue) { try $0.cardTokenRecord() }
    }

    func deleteCardTokens(expiredBefore date: Date) throws -> Int {
        try run("DELETE FROM card_tokens WHERE expires_at < ?", SQLiteTime.milliseconds(date))
    }

    func insertAccount(_ account: AccountRecord) throws {
        try run(RecordSQL.insertAccount,
            account.token.rawValue, account.tenantID.rawValue, account.referenceID, account.duplicateCheck ? 1 : 0,
            account.sealedHolder, account.keyVersion, account.bank?.sealedNumber, account.bank?.fingerprint,
            account.bank?.routingNumber, account.bank?.accountType.rawValue, account.bank?.last4,
            SQLiteTime.milliseconds(account.createdAt), account.deletedAt.map(SQLiteTime.milliseconds))
    }

    func replaceAccount(_ account: AccountRecord) throws -> Bool {
        try run(RecordSQL.replaceAccount,
            account.duplicateCheck ? 1 : 0, account.sealedHolder, account.keyVersion, account.bank?.sealedNumber,
            account.bank?.fingerprint, account.bank?.routingNumber, account.bank?.accountType.rawValue,
            account.bank?.last4, account.token.rawValue, account.tenantID.rawValue) > 0
    }

    func markAccountDeleted(_ token: Token, tenant: TenantID, at date: Date) throws -> Bool {
        try run("""
            UPDATE accounts SET deleted_at = ?, sealed_holder = ''::bytea,
                sealed_bank_number = CASE WHEN sealed_bank_number IS NULL THEN NULL ELSE ''::bytea END
            WHERE token = ? AND tenant_id = ? AND deleted_at IS NULL
            """, SQLiteTime.milliseconds(date), token.rawValue, tenant.rawValue) > 0
    }

    func relabelAccountTombstones(keyVersion: Int, to newVersion: Int) throws -> Int {
        try run("UPDATE accounts SET key_version = ? WHERE key_version = ? AND deleted_at IS NOT NULL", newVersion, keyVersion)
    }

    func upsertSyncClient(_ client: SyncClientRecord) throws {
        try run(RecordSQL.upsertSyncClient,
            client.id.rawValue, client.tenantID.rawValue, client.identifier, client.sealedMeta, client.keyVersion,
            SQLiteTime.milliseconds(client.createdAt), SQLiteTime.milliseconds(client.updatedAt))
    }

    func upsertPaymentMethod(_ method: PaymentMethodRecord) throws {
        try run(RecordSQL.upsertPaymentMethod,
            method.id.rawValue, method.tenantID.rawValue, method.clientID.rawValue, method.identifier,
            method.kind.rawValue, method.token.rawValue, method.ownsInstrument ? 1 : 0, method.sealedDetails,
            method.keyVersion, method.isDefault ? 1 : 0,
            SQLiteTime.milliseconds(method.createdAt), SQLiteTime.milliseconds(method.updatedAt))
    }

    func setDefaultPaymentMethod(_ method: PaymentMethodID, client: SyncClientID) throws {
        try run("UPDATE payment_methods SET is_default = CASE WHEN id = ? THEN 1 ELSE 0 END WHERE client_id = ?",
                method.rawValue, client.rawValue)
    }

    func insertSSOSecret(tenant: TenantID, wrapped: [UInt8], at date: Date) throws {
        try run("INSERT INTO sso_secrets (tenant_id, wrapped_secret, created_at) VALUES (?, ?, ?)",
                tenant.rawValue, wrapped, SQLiteTime.milliseconds(date))
    }

    func insertSSONonce(_ nonce: String, tenant: TenantID, expiresAt: Date) throws {
        try run("INSERT INTO sso_nonces (tenant_id, nonce, expires_at) VALUES (?, ?, ?)",
                tenant.rawValue, nonce, SQLiteTime.milliseconds(expiresAt))
    }

    func deleteSSONonces(expiredBefore date: Date) throws -> Int {
        try run("DELETE FROM sso_nonces WHERE expires_at < ?", SQLiteTime.milliseconds(date))
    }
}
