import VaultCore

/// Row <-> record mapping, in one place: the column lists of the SELECTs and how each row
/// becomes a record. Identifiers read back are validated (a malformed one is `.corrupt`), roles
/// are parsed leniently, an unknown brand reads as `.unknown`.
enum RecordColumns {
    static let tenant = "id, name, parent_id, wrapped_fingerprint_key, created_at, sub_client_id, disabled_at"
    static let apiKey = "id, tenant_id, secret_hash, roles, label, created_at, revoked_at, " + RateLimitColumns.names
    static let dataKey = "version, wrapped_key, created_at"
    static let cardDataKey = "id, tenant_id, wrapped_private_key, public_key_der, created_at, expires_at, deleted_at"
    static let card = "token, tenant_id, ciphertext, key_version, fingerprint, bin, last4, brand, expiration, created_at, updated_at"
    static let audit = """
        sequence, timestamp_ms, tenant_id, actor, action, subject, outcome, previous_hash, hash, source, request_id, \
        count, chain_version
        """
    static let idempotency = "tenant_id, lookup, request_mac, status, sealed_body, key_version, created_at"
    static let cardToken = "token, tenant_id, ciphertext, key_version, created_at, expires_at"
    static let syncClient = "id, tenant_id, identifier, sealed_meta, key_version, created_at, updated_at"
    static let paymentMethod = """
        id, tenant_id, client_id, identifier, kind, token, owns_instrument, sealed_details, key_version, is_default, \
        created_at, updated_at
        """
    static let account = """
        token, tenant_id, reference_id, duplicate_check, sealed_holder, key_version, sealed_bank_number, \
        bank_fingerprint, bank_routing_number, bank_account_type, bank_last4, created_at, deleted_at
        """
}

/// The statements that read and write records, built once (they are also the statement-cache keys).
enum RecordSQL {
    static let tenantByID = "SELECT \(RecordColumns.tenant) FROM tenants WHERE id = ?"
    static let allTenants = "SELECT \(RecordColumns.tenant) FROM tenants ORDER BY created_at, id"
    static let apiKeyBySecretHash = "SELECT \(RecordColumns.apiKey), last_used_at FROM api_keys WHERE secret_hash = ?"
    static let apiKeysOfTenant = "SELECT \(RecordColumns.apiKey), last_used_at FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id"
    static let allDataKeys = "SELECT \(RecordColumns.dataKey) FROM data_keys ORDER BY version"
    static let cardDataKeyByID = "SELECT \(RecordColumns.cardDataKey) FROM card_data_keys WHERE id = ? AND tenant_id = ?"
    static let liveCardDataKeysOfTenant = "SELECT \(RecordColumns.cardDataKey) FROM card_data_keys WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at, id"
    static let cardByToken = "SELECT \(RecordColumns.card) FROM cards WHERE token = ? AND tenant_id = ?"
    static let cardsByFingerprint = "SELECT \(RecordColumns.card) FROM cards WHERE tenant_id = ? AND fingerprint = ? ORDER BY rowid"
    static let auditEntriesAfter = "SELECT \(RecordColumns.audit) FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT ?"
    static let subTenant = "SELECT \(RecordColumns.tenant) FROM tenants WHERE parent_id = ? AND sub_client_id = ?"
    static let insertTenant = "INSERT INTO tenants (\(RecordColumns.tenant)) VALUES (?, ?, ?, ?, ?, ?, ?)"
    static let insertAPIKey = "INSERT INTO api_keys (\(RecordColumns.apiKey)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let insertDataKey = "INSERT INTO data_keys (\(RecordColumns.dataKey)) VALUES (?, ?, ?)"
    static let insertCardDataKey = "INSERT INTO card_data_keys (\(RecordColumns.cardDataKey)) VALUES (?, ?, ?, ?, ?, ?, ?)"
    static let insertCard = "INSERT INTO cards (\(RecordColumns.card)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let auditHead = "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1"
    static let insertAudit = "INSERT INTO audit_log (\(RecordColumns.audit)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let idempotencyByLookup = "SELECT \(RecordColumns.idempotency) FROM idempotency_records WHERE tenant_id = ? AND lookup = ?"
    static let insertIdempotency = "INSERT INTO idempotency_records (\(RecordColumns.idempotency)) VALUES (?, ?, ?, ?, ?, ?, ?)"
    /// A response may name one card twice (two payment methods holding it).
    static let insertIdempotencySubject = "INSERT OR IGNORE INTO idempotency_subjects (subject, tenant_id, lookup) VALUES (?, ?, ?)"
    static let neutralizeIdempotency = """
        UPDATE idempotency_records SET status = NULL, sealed_body = NULL, key_version = NULL
        WHERE sealed_body IS NOT NULL
          AND (tenant_id, lookup) IN (SELECT tenant_id, lookup FROM idempotency_subjects WHERE subject = ?)
        """
    static let takeCardToken = "DELETE FROM card_tokens WHERE token = ? AND tenant_id = ? RETURNING \(RecordColumns.cardToken)"
    static let insertCardToken = "INSERT INTO card_tokens (\(RecordColumns.cardToken)) VALUES (?, ?, ?, ?, ?, ?)"
    static let accountByToken = "SELECT \(RecordColumns.account) FROM accounts WHERE token = ? AND tenant_id = ?"
    static let newestAccountByReference = """
        SELECT \(RecordColumns.account) FROM accounts
        WHERE tenant_id = ? AND reference_id = ? AND deleted_at IS NULL ORDER BY rowid DESC LIMIT 1
        """
    static let duplicateCheckedAccounts = """
        SELECT accounts.token FROM cards JOIN accounts ON accounts.token = cards.token
        WHERE cards.tenant_id = ? AND cards.fingerprint = ? AND accounts.duplicate_check = 1
          AND accounts.deleted_at IS NULL
        ORDER BY accounts.rowid DESC LIMIT ?
        """
    static let syncClientByID = "SELECT \(RecordColumns.syncClient) FROM sync_clients WHERE id = ? AND tenant_id = ?"
    static let syncClientByIdentifier = "SELECT \(RecordColumns.syncClient) FROM sync_clients WHERE tenant_id = ? AND identifier = ?"
    static let upsertSyncClient = """
        INSERT INTO sync_clients (\(RecordColumns.syncClient)) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET sealed_meta = excluded.sealed_meta, key_version = excluded.key_version,
            updated_at = excluded.updated_at
        """
    static let paymentMethodsOfClient = "SELECT \(RecordColumns.paymentMethod) FROM payment_methods WHERE client_id = ? ORDER BY rowid"
    static let upsertPaymentMethod = """
        INSERT INTO payment_methods (\(RecordColumns.paymentMethod)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET identifier = excluded.identifier, kind = excluded.kind, token = excluded.token,
            owns_instrument = excluded.owns_instrument, sealed_details = excluded.sealed_details,
            key_version = excluded.key_version, is_default = excluded.is_default, updated_at = excluded.updated_at
        """
    static let insertAccount = "INSERT INTO accounts (\(RecordColumns.account)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let markAccountDeleted = """
        UPDATE accounts SET deleted_at = ?, sealed_holder = X'',
            sealed_bank_number = CASE WHEN sealed_bank_number IS NULL THEN NULL ELSE X'' END
        WHERE token = ? AND tenant_id = ? AND deleted_at IS NULL
        """
    static let replaceCard = """
        UPDATE cards SET ciphertext = ?, key_version = ?, fingerprint = ?, bin = ?, last4 = ?, brand = ?,
            expiration = ?, updated_at = ?
        WHERE token = ? AND tenant_id = ?
        """
    static let replaceAccount = """
        UPDATE accounts SET duplicate_check = ?, sealed_holder = ?, key_version = ?, sealed_bank_number = ?,
            bank_fingerprint = ?, bank_routing_number = ?, bank_account_type = ?, bank_last4 = ?
        WHERE token = ? AND tenant_id = ? AND deleted_at IS NULL
        """
}

/// Row -> record mapping for both engines (`StoredRow`: SQLite's and PostgreSQL's rows).
extension StoredRow {
    func identifier<ID: RandomIdentifier>(_ column: Int32, as type: ID.Type, _ what: String) throws -> ID {
        guard let id = try ID(validating: text(column)) else { throw StorageError.corrupt("\(what) is not a 22-character identifier") }
        return id
    }

    func tenantRecord() throws -> TenantRecord {
        try TenantRecord(
            id: try identifier(0, as: TenantID.self, "tenants.id"),
            name: text(1),
            parentID: isNull(2) ? nil : try identifier(2, as: TenantID.self, "tenants.parent_id"),
            subClientID: isNull(5) ? nil : text(5),
            wrappedFingerprintKey: blob(3),
            createdAt: SQLiteTime.date(int64(4)),
            disabledAt: optionalInt64(6).map(SQLiteTime.date))
    }

    func apiKeyRecord() throws -> APIKeyRecord {
        try APIKeyRecord(
            id: try identifier(0, as: APIKeyID.self, "api_keys.id"),
            tenantID: try identifier(1, as: TenantID.self, "api_keys.tenant_id"),
            secretHash: blob(2),
            roles: RoleList.parse(text(3)),
            limits: try rateLimits(from: 7),
            label: text(4),
            createdAt: SQLiteTime.date(int64(5)),
            revokedAt: optionalInt64(6).map(SQLiteTime.date),
            lastUsedAt: optionalInt64(Int32(7 + 2 * RateLimitColumns.operations.count)).map(SQLiteTime.date))
    }

    /// The limits stored in `RateLimitColumns` order from `column` on.
    func rateLimits(from column: Int32) throws -> RateLimits {
        var limits = RateLimits.unlimited
        for (index, operation) in RateLimitColumns.operations.enumerated() {
            let perSecond = column + Int32(2 * index)
            if isNull(perSecond) { continue }
            guard let rate = try TokenBucket.Rate(perSecond: double(perSecond), burst: double(perSecond + 1)) else {
                throw StorageError.corrupt("api_keys.\(operation.rawValue)_* is not a valid rate")
            }
            limits[operation] = rate
        }
        return limits
    }

    func dataKeyRecord() throws -> DataKeyRecord {
        try DataKeyRecord(version: int(0), wrappedKey: blob(1), createdAt: SQLiteTime.date(int64(2)))
    }

    func cardDataKeyRecord() throws -> CardDataKeyRecord {
        try CardDataKeyRecord(
            id: try identifier(0, as: KeyID.self, "card_data_keys.id"),
            tenantID: try identifier(1, as: TenantID.self, "card_data_keys.tenant_id"),
            wrappedPrivateKey: blob(2),
            publicKeyDER: blob(3),
            createdAt: SQLiteTime.date(int64(4)),
            expiresAt: SQLiteTime.date(int64(5)),
            deletedAt: optionalInt64(6).map(SQLiteTime.date))
    }

    func cardRecord() throws -> CardRecord {
        var expiration: ExpirationDate?
        if let yyyymm = try optionalText(8) {
            do { expiration = try ExpirationDate(yyyymm: yyyymm) } catch { throw StorageError.corrupt("cards.expiration is not YYYYMM") }
        }
        return try CardRecord(
            token: try identifier(0, as: Token.self, "cards.token"),
            tenantID: try identifier(1, as: TenantID.self, "cards.tenant_id"),
            ciphertext: blob(2),
            keyVersion: int(3),
            fingerprint: blob(4),
            bin: text(5),
            last4: text(6),
            brand: CardBrand(rawValue: text(7)) ?? .unknown,
            expiration: expiration,
            createdAt: SQLiteTime.date(int64(9)),
            updatedAt: SQLiteTime.date(int64(10)))
    }

    /// A neutralised record has NULL status, body and version (a CHECK keeps the three together).
    func idempotencyRecord() throws -> IdempotencyRecord {
        try IdempotencyRecord(
            tenantID: try identifier(0, as: TenantID.self, "idempotency_records.tenant_id"),
            lookup: text(1),
            requestMAC: blob(2),
            response: isNull(4) ? nil : SealedResponse(status: int(3), sealedBody: blob(4), keyVersion: int(5)),
            createdAt: SQLiteTime.date(int64(6)))
    }

    func cardTokenRecord() throws -> CardTokenRecord {
        try CardTokenRecord(
            token: try identifier(0, as: Token.self, "card_tokens.token"),
            tenantID: try identifier(1, as: TenantID.self, "card_tokens.tenant_id"),
            ciphertext: blob(2),
            keyVersion: int(3),
            createdAt: SQLiteTime.date(int64(4)),
            expiresAt: SQLiteTime.date(int64(5)))
    }

    /// Audit rows are read as stored, without validating identifiers: a tampered value must
    /// reach `AuditChain.verify` (and show as a broken chain) rather than fail the read.
    func auditEntry() throws -> AuditEntry {
        guard let outcome = try AuditOutcome(rawValue: text(6)) else {
            throw StorageError.corrupt("audit_log entry \((try? int64(0)) ?? 0) has an unknown outcome")
        }
        guard let version = try AuditChain.Version(rawValue: int(12)) else {
            throw StorageError.corrupt("audit_log entry \((try? int64(0)) ?? 0) has an unknown chain version")
        }
        return try AuditEntry(
            sequence: int64(0),
            timestampMillis: int64(1),
            event: AuditEvent(
                tenantID: optionalText(2).map(TenantID.init(unchecked:)),
                actor: AuditActor(name: text(3), source: optionalText(9), requestID: optionalText(10)),
                action: AuditAction(rawValue: text(4)),
                subject: optionalText(5),
                outcome: outcome,
                count: int(11)),
            chainVersion: version,
            previousMAC: blob(7),
            mac: blob(8))
    }
}

/// API key limits as stored: `<operation>_per_second` and `<operation>_burst` for each operation,
/// both NULL when it is unlimited.
enum RateLimitColumns {
    static let operations = RateLimits.Operation.allCases
    static let names = operations.map { "\($0.rawValue)_per_second, \($0.rawValue)_burst" }.joined(separator: ", ")

    static func values(_ limits: RateLimits) -> [Double?] {
        operations.flatMap { operation -> [Double?] in
            [limits[operation]?.perSecond, limits[operation]?.burst]
        }
    }
}

/// API key roles as stored: sorted raw values joined by commas.
enum RoleList {
    static func format(_ roles: Set<Role>) -> String {
        roles.sorted().map(\.rawValue).joined(separator: ",")
    }

    /// Unknown values (from a newer binary, or removed roles) are dropped.
    static func parse(_ text: String) -> Set<Role> {
        Set(text.split(separator: ",").compactMap { Role(rawValue: String($0)) })
    }
}

extension StoredRow {
    func accountRecord() throws -> AccountRecord {
        var bank: StoredBankAccount?
        if !isNull(6) {
            guard let type = try BankAccountType(rawValue: text(9)) else { throw StorageError.corrupt("accounts.bank_account_type") }
            bank = try StoredBankAccount(sealedNumber: blob(6), fingerprint: blob(7), routingNumber: text(8),
                                     accountType: type, last4: text(10))
        }
        return try AccountRecord(
            token: try identifier(0, as: Token.self, "accounts.token"),
            tenantID: try identifier(1, as: TenantID.self, "accounts.tenant_id"),
            referenceID: isNull(2) ? nil : text(2),
            duplicateCheck: int(3) != 0,
            sealedHolder: blob(4),
            keyVersion: int(5),
            bank: bank,
            createdAt: SQLiteTime.date(int64(11)),
            deletedAt: optionalInt64(12).map(SQLiteTime.date))
    }
}

extension StoredRow {
    func syncClientRecord() throws -> SyncClientRecord {
        guard let id = try SyncClientID(validating: text(0)) else { throw StorageError.corrupt("sync_clients.id") }
        return try SyncClientRecord(
            id: id, tenantID: try identifier(1, as: TenantID.self, "sync_clients.tenant_id"), identifier: text(2),
            sealedMeta: blob(3), keyVersion: int(4),
            createdAt: SQLiteTime.date(int64(5)), updatedAt: SQLiteTime.date(int64(6)))
    }

    func paymentMethodRecord() throws -> PaymentMethodRecord {
        guard let id = try PaymentMethodID(validating: text(0)), let client = try SyncClientID(validating: text(2)),
              let kind = try PaymentMethodRecord.Kind(rawValue: text(4))
        else { throw StorageError.corrupt("payment_methods row") }
        return try PaymentMethodRecord(
            id: id, tenantID: try identifier(1, as: TenantID.self, "payment_methods.tenant_id"), clientID: client,
            identifier: isNull(3) ? nil : text(3), kind: kind,
            token: try identifier(5, as: Token.self, "payment_methods.token"), ownsInstrument: int(6) != 0,
            sealedDetails: blob(7), keyVersion: int(8), isDefault: int(9) != 0,
            createdAt: SQLiteTime.date(int64(10)), updatedAt: SQLiteTime.date(int64(11)))
    }
}
