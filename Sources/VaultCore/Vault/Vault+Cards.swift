import Foundation
import VaultCrypto

extension Vault {
    /// Stores a card and returns its new token. The number is fingerprinted with the tenant's key
    /// and sealed under the active data key before the store sees it; the security code is
    /// returned for an immediate verification call and never stored. The fingerprint and the
    /// earlier cards with the same number go only to a caller with the `fingerprint` grant, and
    /// count against its duplicates limit; for any other caller the lookup is not made. The
    /// card and its `card.tokenize` audit entry are one transaction.
    public func tokenize(_ input: CardInput, tenant: TenantID, caller: Principal, actor: AuditActor,
                         duplicates policy: DuplicatePolicy = .allow,
                         idempotency: IdempotencyRecording<TokenizedCard>? = nil) async throws -> TokenizedCard {
        let seesDuplicates = caller.has(.fingerprint)
        // Refusing a duplicate tells that one exists.
        if policy == .reject, !seesDuplicates { throw VaultError.forbidden }
        try admit(seesDuplicates ? [.tokenize, .duplicates] : [.tokenize], for: caller)
        let card = try await resolve(input, tenant: tenant)
        let now = clock()
        let record = try await sealedRecord(of: card, token: .generate(), tenant: tenant, at: now)
        let securityCode = card.securityCode
        let event = Self.tokenizeEvent(record.token, tenant: tenant, actor: actor)
        let recordResponse = recorder(idempotency)
        return try await write { writer in
            let earlier = seesDuplicates
                ? try writer.cards(fingerprint: record.fingerprint, tenant: tenant).map(\.token) : nil
            if policy == .reject, let earlier, !earlier.isEmpty { throw VaultError.duplicateCard(existing: earlier) }
            try writer.insertCard(record)
            try self.auditLog.append(event, at: now, to: writer)
            let tokenized = TokenizedCard(metadata: CardMetadata(record, showingFingerprint: seesDuplicates),
                                          duplicates: earlier, securityCode: securityCode)
            try recordResponse?(writer, tokenized, naming: [record.token.rawValue])
            return tokenized
        }
    }

    /// The card's metadata; its fingerprint only for a caller with the `fingerprint` grant, and
    /// then counted against its duplicates limit (fingerprints of cards stored by another key
    /// would otherwise test candidates that key tokenized unthrottled).
    public func metadata(of token: Token, tenant: TenantID, caller: Principal) async throws -> CardMetadata {
        let showsFingerprint = caller.has(.fingerprint)
        if showsFingerprint { try admit([.duplicates], for: caller) }
        return CardMetadata(try await record(of: token, tenant: tenant), showingFingerprint: showsFingerprint)
    }

    /// Decrypts a stored card for a caller allowed to see it, within its reveal limit; every
    /// reveal is audited before it returns.
    public func reveal(_ token: Token, tenant: TenantID, caller: Principal, actor: AuditActor) async throws -> CardData {
        try admit([.reveal], for: caller)
        let record = try await record(of: token, tenant: tenant)
        let key = try await keyring.dataKey(version: record.keyVersion, storage: storage)
        do {
            let card = try RecordSealing.open(record.ciphertext, key: key, tenant: tenant, token: token,
                                            keyVersion: record.keyVersion)
            try await audit(.cardReveal, tenant: tenant, actor: actor, subject: token.rawValue)
            return card
        } catch VaultError.integrityFailure {
            try await audit(.cardReveal, tenant: tenant, actor: actor, subject: token.rawValue, outcome: .failure)
            throw VaultError.integrityFailure
        }
    }

    /// Removes a card; the store overwrites its ciphertext. A card held by an account takes the
    /// account with it (leaving the account's tombstone), and recorded responses naming it are
    /// neutralised: a retry neither replays it nor stores it again.
    public func delete(_ token: Token, tenant: TenantID, actor: AuditActor) async throws {
        let now = clock()
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .cardDelete, subject: token.rawValue,
                               outcome: .success)
        try await write { writer in
            guard try writer.deleteCard(token, tenant: tenant) else { throw VaultError.cardNotFound }
            _ = try writer.markAccountDeleted(token, tenant: tenant, at: now)
            _ = try writer.neutralizeIdempotencyRecords(naming: token.rawValue)
            try self.auditLog.append(event, at: now, to: writer)
        }
    }

    /// The tenant's cards with this number, oldest first, found through the fingerprint: a
    /// duplicate answer, so only for a caller with the `fingerprint` grant, within its limit.
    public func cards(matching number: PrimaryAccountNumber, tenant: TenantID, caller: Principal) async throws -> [CardMetadata] {
        guard caller.has(.fingerprint) else { throw VaultError.forbidden }
        try admit([.duplicates], for: caller)
        let fingerprint = try await fingerprint(of: number, tenant: tenant)
        return try await readReplica { try $0.cards(fingerprint: fingerprint, tenant: tenant) }
            .map { CardMetadata($0, showingFingerprint: true) }
    }

    /// The entry every path that stores card data appends in the transaction that stores it.
    static func tokenizeEvent(_ token: Token, tenant: TenantID, actor: AuditActor) -> AuditEvent {
        AuditEvent(tenantID: tenant, actor: actor, action: .cardTokenize, subject: token.rawValue, outcome: .success)
    }

    func record(of token: Token, tenant: TenantID) async throws -> CardRecord {
        guard let record = try await readReplica({ try $0.card(token, tenant: tenant) }) else {
            throw VaultError.cardNotFound
        }
        return record
    }

    /// A card ready to insert under `token`: fingerprinted and sealed under the active data key,
    /// once its expiration is checked.
    func sealedRecord(of card: CardData, token: Token, tenant: TenantID, at now: Date) async throws -> CardRecord {
        try validateExpiration(card, at: now)
        let fingerprint = try await fingerprint(of: card.number, tenant: tenant)
        let (version, key) = try activeDataKey()
        return CardRecord(
            token: token, tenantID: tenant,
            ciphertext: RecordSealing.seal(number: card.number, expiration: card.expiration, key: key,
                                           tenant: tenant, token: token, keyVersion: version),
            keyVersion: version, fingerprint: fingerprint,
            bin: card.number.leadingDigits, last4: card.number.last4, brand: card.number.brand,
            expiration: card.expiration, createdAt: now, updatedAt: now)
    }

    func fingerprint(of number: PrimaryAccountNumber, tenant: TenantID) async throws -> [UInt8] {
        let key = try await keyring.fingerprintKey(for: tenant, storage: storage)
        return HMACSHA256.authenticationCode(for: number.utf8Digits, using: key)
    }

    /// Card data in the clear: decrypted when it came encrypted to a tenant key, taken from the
    /// store when it came as a single-use token.
    func resolve(_ input: CardInput, tenant: TenantID) async throws -> CardData {
        switch input {
        case .plain(let card): card
        case .encrypted(let encrypted): try await decrypt(encrypted, tenant: tenant)
        case .singleUseToken(let token): try await takeCardToken(token, tenant: tenant)
        }
    }

    func validateExpiration(_ card: CardData, at date: Date) throws(VaultError) {
        guard let expiration = card.expiration else { return }
        do { _ = try expiration.validated(at: date) } catch { throw .card(error) }
    }
}

extension Vault {
    /// Cards stored across all tenants.
    public func cardCount() async throws -> Int {
        try await readReplica { try $0.cardCount() }
    }

    /// Cards stored per tenant; tenants without cards are absent. One pass over an index: callers
    /// that poll (metrics) keep the answer for a while.
    public func cardCountsByTenant() async throws -> [TenantID: Int] {
        try await readReplica { try $0.cardCountsByTenant() }
    }

    /// Whether the store takes writes now: one empty durable transaction.
    public func checkWritable() async throws {
        try await write { _ in }
    }
}
