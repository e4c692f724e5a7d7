import Foundation

/// The only way the vault reaches its data. SQLite implements it, PostgreSQL next: the core
/// composes its own atomic operations from these primitives inside `write` and never sees SQL.
///
/// What every engine guarantees (and the storage conformance suite checks):
/// - **Atomic, durable writes.** A `write` body runs inside one transaction (an engine may group
///   several callers' bodies into one commit). A body that throws changes nothing; the call
///   returns only once the write is durable.
/// - **Serializable write bodies.** A body behaves as if no other write ran between its first
///   read and its commit: a check-then-insert (a duplicate card, a sub-client id, the audit
///   chain's "read the head, then append") holds across every node of a deployment. SQLite has one
///   writer; PostgreSQL runs SERIALIZABLE transactions and retries a serialization failure, so
///   **a body may run more than once**: it must change nothing outside the writer it is given
///   (no captured counters, no side effects) and be quick — do crypto before calling `write`.
///   A body that gets a `StorageError` from the writer must end by throwing (PostgreSQL aborts
///   the transaction at a failed statement; catching the error and writing on fails the write).
/// - **Reads see every acknowledged write** of the same engine instance: a token just stored
///   reveals at once. A `.primary` read also sees every write another instance acknowledged
///   before it began; a `.replica` read may miss those for a moment (see `ReadConsistency`).
/// - **Insertion order.** "In the order they were stored" and "oldest first" follow a sequence
///   the engine assigns at insert, increasing with every row (SQLite's `rowid`, a PostgreSQL
///   identity column), never a timestamp, which can tie.
/// - **Typed failures.** An engine says what happened (`StorageError`), so callers decide on the
///   case, never on message text, and no message contains a bound value:
///   `.uniqueViolation` naming the key — SQLite CONSTRAINT_UNIQUE/_PRIMARYKEY/_ROWID, PostgreSQL
///   23505; `.integrityViolation` — any other constraint (foreign key, not null, check, trigger),
///   other 23xxx; `.serializationFailure` — 40001/40P01 still lost after the engine's retries;
///   `.busy` — SQLITE_BUSY/LOCKED beyond the busy timeout; `.unavailable` — closed, connection
///   gone (08xxx, 57P0x), disk or any other failure.
/// - **Deletion.** A delete removes the row from every later read. With SQLite's
///   `secure_delete` the bytes are overwritten in the file at once; PostgreSQL leaves a dead row
///   version until `VACUUM` (and in its WAL until recycled). Either way what was deleted is only
///   ever ciphertext or a wrapped key, sealed under keys the database does not hold.
public protocol VaultStorage: Sendable {
    /// A `.primary` read.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T
    /// A read the caller allows to lag other instances' writes (`.replica`), or not (`.primary`).
    func read<T: Sendable>(consistency: ReadConsistency,
                           _ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T
    func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T
    /// Finishes queued writes and releases the engine; later calls fail with `.unavailable`.
    func close() async
}

/// What a read must see. The caller decides — only it knows whether a read authorizes
/// something or leads to a write — and the engine never guesses.
public enum ReadConsistency: Sendable {
    /// Every write any instance acknowledged before the read began: what authenticates,
    /// authorizes, holds key material or precedes a write reads this way.
    case primary
    /// Every write this instance acknowledged, but another instance's only a moment later (a
    /// PostgreSQL replica's lag): lookups by token, listings, reports. An engine without replicas
    /// reads as `.primary`.
    case replica
}

extension VaultStorage {
    public func read<T: Sendable>(consistency: ReadConsistency,
                                  _ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await read(body)
    }
}

public protocol StorageReader: SealedRecordReader, WrappedKeyReader, OutboxReader, CardProfileReader, PatronReader {
    func metadata(_ key: String) throws -> [UInt8]?
    func tenant(_ id: TenantID) throws -> TenantRecord?
    func tenants() throws -> [TenantRecord]
    func subTenant(parent: TenantID, subClientID: String) throws -> TenantRecord?
    func apiKey(secretHash: [UInt8]) throws -> APIKeyRecord?
    func apiKeys(tenant: TenantID) throws -> [APIKeyRecord]
    /// All data-key versions, ascending.
    func dataKeys() throws -> [DataKeyRecord]
    func cardDataKey(_ id: KeyID, tenant: TenantID) throws -> CardDataKeyRecord?
    /// The tenant's keys that are not deleted (expired ones included), oldest first.
    func cardDataKeys(tenant: TenantID) throws -> [CardDataKeyRecord]
    func card(_ token: Token, tenant: TenantID) throws -> CardRecord?
    /// Cards of the tenant with this fingerprint, in the order they were stored (oldest first,
    /// even when their timestamps tie).
    func cards(fingerprint: [UInt8], tenant: TenantID) throws -> [CardRecord]
    func cardCount() throws -> Int
    /// Cards per tenant; tenants without cards are absent.
    func cardCountsByTenant() throws -> [TenantID: Int]
    /// Audit entries with sequence greater than `sequence`, ascending.
    func auditEntries(after sequence: Int64, limit: Int) throws -> [AuditEntry]
    /// The sequence and MAC of the entry with the highest sequence, nil while the log is empty:
    /// all an append or a checkpoint needs, read on the writer for every audited request.
    func auditHead() throws -> AuditHead?
    func idempotencyRecord(tenant: TenantID, lookup: String) throws -> IdempotencyRecord?
    /// The account, deleted or not.
    func account(_ token: Token, tenant: TenantID) throws -> AccountRecord?
    /// The most recently created live account with this reference ID.
    func newestAccount(referenceID: String, tenant: TenantID) throws -> AccountRecord?
    /// Live card accounts that took a duplicate check and hold a card with this fingerprint,
    /// most recent first.
    func duplicateCheckedAccounts(fingerprint: [UInt8], tenant: TenantID, limit: Int) throws -> [Token]
    func syncClient(_ id: SyncClientID, tenant: TenantID) throws -> SyncClientRecord?
    func syncClient(identifier: String, tenant: TenantID) throws -> SyncClientRecord?
    /// The client's payment methods, oldest first.
    func paymentMethods(of client: SyncClientID) throws -> [PaymentMethodRecord]
    /// The wrapped key that signs the tenant's SSO tokens, if one was made.
    func ssoSecret(tenant: TenantID) throws -> [UInt8]?
    func paymentSettings(tenant: TenantID) throws -> PaymentSettingsRecord?
    func platformClient(_ id: PlatformClientID, tenant: TenantID) throws -> PlatformClientRecord?
    /// The client's gateway cards in the order they were synced.
    func gatewayCards(client: PlatformClientID, tenant: TenantID) throws -> [GatewayCardRecord]
}

public protocol StorageWriter: StorageReader, SealedRecordWriter, WrappedKeyWriter, OutboxWriter, CardProfileWriter, PatronWriter {
    func setMetadata(_ key: String, value: [UInt8]) throws
    /// Removes the entry (with SQLite `secure_delete` its bytes are overwritten); false if absent.
    func deleteMetadata(_ key: String) throws -> Bool
    func insertTenant(_ tenant: TenantRecord) throws
    /// Sets the tenant's `disabledAt` (nil enables it).
    func setTenantDisabled(_ id: TenantID, at date: Date?) throws
    func insertAPIKey(_ key: APIKeyRecord) throws
    /// Returns false when no unrevoked key with this id belongs to the tenant.
    func revokeAPIKey(_ id: APIKeyID, tenant: TenantID, at date: Date) throws -> Bool
    /// Sets the key's last use to `date` unless a later one is stored.
    func recordAPIKeyUse(_ id: APIKeyID, at date: Date) throws
    func insertDataKey(_ key: DataKeyRecord) throws
    /// Removes the version's wrapped key (overwritten with `secure_delete`); false if absent. Fails
    /// with `.integrityViolation` while any record still names the version.
    func deleteDataKey(version: Int) throws -> Bool
    func insertCardDataKey(_ key: CardDataKeyRecord) throws
    /// Marks the key deleted and overwrites its wrapped private key; false if absent or already deleted.
    func deleteCardDataKey(_ id: KeyID, tenant: TenantID, at date: Date) throws -> Bool
    func insertCard(_ card: CardRecord) throws
    /// Replaces the card stored under `card.token` in place (all but its creation time); with
    /// SQLite `secure_delete` the old ciphertext is overwritten. False if absent.
    func replaceCard(_ card: CardRecord) throws -> Bool
    /// Removes the card; with SQLite `secure_delete` its ciphertext bytes are overwritten. False if absent.
    func deleteCard(_ token: Token, tenant: TenantID) throws -> Bool
    /// Stores an entry the core chained (see `AuditLog`); entries are never changed or removed.
    func insertAuditEntry(_ entry: AuditEntry) throws
    /// Stores the record with the identifiers of what its response names (`subjects`: tokens,
    /// payment-method and gateway-card ids). Fails with `.uniqueViolation` when the tenant
    /// already holds a record under `record.lookup`.
    func insertIdempotencyRecord(_ record: IdempotencyRecord, naming subjects: [String]) throws
    /// Empties the response of every record that names `subject`, whatever its tenant (identifiers
    /// are random and unique; an ISO's record names its sub-client's accounts); returns how many.
    func neutralizeIdempotencyRecords(naming subject: String) throws -> Int
    /// Forgets records created before `date`; returns how many.
    func deleteIdempotencyRecords(before date: Date) throws -> Int
    func insertCardToken(_ record: CardTokenRecord) throws
    /// Removes and returns the tenant's single-use token, or nil if it is unknown or already taken.
    func takeCardToken(_ token: Token, tenant: TenantID) throws -> CardTokenRecord?
    /// Deletes tokens that expired before `date`; returns how many.
    func deleteCardTokens(expiredBefore date: Date) throws -> Int
    func insertAccount(_ account: AccountRecord) throws
    /// Replaces a live account's sealed holder, key version, bank columns and duplicate-check flag
    /// (its reference and creation time stay). False if the tenant has no such live account.
    func replaceAccount(_ account: AccountRecord) throws -> Bool
    /// Leaves a tombstone: sets `deletedAt` and overwrites the sealed holder and bank number.
    /// False if the tenant has no such live account. A card account's card is deleted separately.
    func markAccountDeleted(_ token: Token, tenant: TenantID, at date: Date) throws -> Bool
    /// Moves account tombstones (which hold nothing sealed) from one key version to another, so
    /// the old version can be destroyed; returns how many.
    func relabelAccountTombstones(keyVersion: Int, to newVersion: Int) throws -> Int
    /// Inserts the client, or replaces its sealed meta when `id` exists.
    func upsertSyncClient(_ client: SyncClientRecord) throws
    /// Inserts the method, or replaces everything but its id, client and creation time when `id` exists.
    func upsertPaymentMethod(_ method: PaymentMethodRecord) throws
    /// Makes `method` the client's only default.
    func setDefaultPaymentMethod(_ method: PaymentMethodID, client: SyncClientID) throws
    func insertSSOSecret(tenant: TenantID, wrapped: [UInt8], at date: Date) throws
    /// Fails with `.uniqueViolation` when the tenant has seen this nonce.
    func insertSSONonce(_ nonce: String, tenant: TenantID, expiresAt: Date) throws
    /// Forgets nonces of tokens that expired before `date`; returns how many.
    func deleteSSONonces(expiredBefore date: Date) throws -> Int
    /// Inserts or replaces the tenant's settings row.
    func savePaymentSettings(_ settings: PaymentSettingsRecord) throws
    func insertPlatformClient(_ client: PlatformClientRecord) throws
    func insertGatewayCard(_ card: GatewayCardRecord) throws
    /// Makes this card its client's only default card.
    func makeDefaultGatewayCard(_ id: GatewayCardID, client: PlatformClientID, tenant: TenantID) throws
    /// Removes and returns the card (its row is overwritten with `secure_delete`); nil if absent.
    func deleteGatewayCard(_ id: GatewayCardID, tenant: TenantID) throws -> GatewayCardRecord?
}
