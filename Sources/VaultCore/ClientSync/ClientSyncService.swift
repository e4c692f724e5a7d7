import Foundation
import VaultCrypto

/// Q2-style client sync: clients known by the caller's identifier, their payment methods (cards
/// and bank accounts the vault holds by token), and the keys and sessions of their SSO tokens. A
/// service over the vault's shared context (storage, keys, sealing, audit, limits), so that the
/// core's own API stays that of cards, accounts, keys, tokens and audit.
public struct ClientSyncService: Sendable {
    let vault: Vault

    public init(_ vault: Vault) {
        self.vault = vault
    }

    /// Finds or creates the client by its identifier and adds or updates its payment methods, in
    /// one transaction: all of it happens or none of it. A method whose identifier the client
    /// already has is updated when it is the same card or account: its card is replaced only when
    /// the expiry changed, so repeating a sync stores nothing new. Another type or number under
    /// that identifier is refused (`paymentMethodIdentifierTaken`): a stored method is never
    /// silently replaced. The first method of a client becomes its default. A request with cards
    /// counts as one tokenize; each card it stores is audited (`card.tokenize`) in the same
    /// transaction.
    public func syncClient(_ client: SyncClientInput, paymentMethods: [PaymentMethodInput], tenant: TenantID,
                           caller: Principal, actor: AuditActor,
                           idempotency: IdempotencyRecording<ClientSyncResult>? = nil) async throws -> ClientSyncResult {
        try await sync(.identifier(client.identifier, meta: client.meta), paymentMethods, tenant: tenant,
                       caller: caller, actor: actor, idempotency: idempotency)
    }

    /// Adds (or, by identifier, updates) one payment method of an existing client.
    public func addPaymentMethod(_ method: PaymentMethodInput, client: SyncClientID, tenant: TenantID,
                                 caller: Principal, actor: AuditActor,
                                 idempotency: IdempotencyRecording<ClientSyncResult>? = nil) async throws -> ClientSyncResult {
        try await sync(.id(client), [method], tenant: tenant, caller: caller, actor: actor, idempotency: idempotency)
    }

    /// The client known by `identifier`, created (without personal data) when new: whatever is
    /// done with a token issued for an identifier is linked to that one client.
    public func syncClient(identifier: String, tenant: TenantID, caller: Principal,
                           actor: AuditActor) async throws -> SyncClientID {
        if let record = try await vault.read({ try $0.syncClient(identifier: identifier, tenant: tenant) }) { return record.id }
        return try await syncClient(SyncClientInput(identifier: identifier, meta: nil), paymentMethods: [], tenant: tenant,
                                    caller: caller, actor: actor).clientID
    }

    public func paymentMethods(of client: SyncClientID, tenant: TenantID) async throws -> [PaymentMethodDetails] {
        let rows = try await vault.read { reader -> [(PaymentMethodRecord, CardRecord?, AccountRecord?)]? in
            guard try reader.syncClient(client, tenant: tenant) != nil else { return nil }
            return try reader.paymentMethods(of: client).map { method in
                switch method.kind {
                case .card: (method, try reader.card(method.token, tenant: tenant), nil)
                case .bank: (method, nil, try reader.account(method.token, tenant: tenant))
                }
            }
        }
        guard let rows else { throw VaultError.syncClientNotFound }
        var methods: [PaymentMethodDetails] = []
        for (method, card, account) in rows {
            let details = try await vault.openSealed(.paymentMethodDetails, method.sealedDetails, version: method.keyVersion,
                                               tenant: tenant, subject: method.id.rawValue)
            methods.append(PaymentMethodDetails(
                id: method.id, identifier: method.identifier, kind: method.kind, isDefault: method.isDefault,
                card: card.map(CardMetadata.init),
                bank: account.flatMap { $0.deletedAt == nil ? $0.bank : nil }.map(Vault.summary),
                details: details.withUnsafeBytes { Array($0) }, createdAt: method.createdAt))
        }
        return methods
    }

    // MARK: SSO

    /// The session of a sync client whose SSO token verified; refused while its tenant is disabled.
    /// `tokenID` (the token's `jti`) names the session for idempotency: a replay goes to it alone.
    public func clientSession(_ client: SyncClientID, tokenID: String, tenant: TenantID,
                              actor: AuditActor) async throws -> Principal {
        if try await vault.read({ try Vault.isDisabled(tenant, in: $0) }) {
            try await vault.refuse(.tenantDisabled, tenant: tenant, actor: actor)
        }
        return Principal(tenantID: tenant, credential: .clientSession(client, tokenID: tokenID), roles: [], limits: .unlimited)
    }

    /// The key that signs the tenant's SSO tokens, made (and stored wrapped under the master key)
    /// on first use when `creating`; otherwise a tenant without one is `unauthenticated`.
    public func ssoSigningKey(tenant: TenantID, creating: Bool) async throws -> SymmetricKey {
        if let key = vault.keyring.ssoKey(for: tenant) { return key }
        let wrapped: [UInt8]
        if let stored = try await vault.read({ try $0.ssoSecret(tenant: tenant) }) {
            wrapped = stored
        } else {
            guard creating else { throw VaultError.unauthenticated }
            let now = vault.clock()
            let signingKey = SymmetricKey.generate()
            wrapped = try await vault.wrappingKeys {
                let candidate = vault.keyring.wrap(signingKey.secret, purpose: .ssoSecret(tenant))
                return try await vault.write { writer in
                    if let existing = try writer.ssoSecret(tenant: tenant) { return existing }
                    try candidate.fence.verify(writer)
                    guard try writer.tenant(tenant) != nil else { throw VaultError.tenantNotFound }
                    try writer.insertSSOSecret(tenant: tenant, wrapped: candidate.bytes, at: now)
                    return candidate.bytes
                }
            }
        }
        let key = try SymmetricKey(await vault.keyring.unwrap(wrapped, purpose: .ssoSecret(tenant), storage: vault.storage))
        vault.keyring.rememberSSOKey(key, for: tenant)
        return key
    }

    /// Marks a single-use SSO token's nonce as used; `ssoTokenReused` the second time.
    public func consumeSSONonce(_ nonce: String, tenant: TenantID, expiresAt: Date) async throws {
        do {
            try await vault.write { try $0.insertSSONonce(nonce, tenant: tenant, expiresAt: expiresAt) }
        } catch VaultError.storage(.uniqueViolation) {
            throw VaultError.ssoTokenReused
        }
    }

    // MARK: The one write

    private enum ClientReference: Sendable {
        case identifier(String, meta: [UInt8]?)
        case id(SyncClientID)
    }

    /// A payment method with its crypto done: what the write transaction inserts if the
    /// method is new or its instrument changed.
    private struct PreparedMethod: Sendable {
        var identifier: String?
        var kind: PaymentMethodRecord.Kind
        var token: Token
        var ownsInstrument: Bool
        var card: CardRecord?
        var account: AccountRecord?
        var details: [UInt8]
        var setAsDefault: Bool
    }

    private func sync(_ reference: ClientReference, _ inputs: [PaymentMethodInput], tenant: TenantID, caller: Principal,
                      actor: AuditActor, idempotency: IdempotencyRecording<ClientSyncResult>?) async throws -> ClientSyncResult {
        // One token per card: a sync of many cards is as many tokenizations.
        try vault.admit(Array(repeating: .tokenize, count: inputs.count(where: \.carriesCard)), for: caller)
        let now = vault.clock()
        var prepared: [PreparedMethod] = []
        for input in inputs { prepared.append(try await prepare(input, tenant: tenant, at: now)) }
        let (version, key) = try vault.activeDataKey()
        let seal: @Sendable (RecordSealing.Kind, [UInt8], String) -> [UInt8] = { kind, plaintext, subject in
            RecordSealing.seal(kind, SecretBytes(plaintext), key: key, tenant: tenant, subject: subject, keyVersion: version)
        }
        let methods = prepared
        let recordResponse = vault.recorder(idempotency)
        return try await vault.write { writer in
            let client = try Self.client(reference, tenant: tenant, writer: writer, at: now, version: version, seal: seal)
            var existing = try writer.paymentMethods(of: client)
            var synced: [(id: PaymentMethodID, identifier: String?)] = []
            var instruments: [String] = []
            for method in methods {
                let earlier = method.identifier.flatMap { identifier in existing.first { $0.identifier == identifier } }
                let match = try earlier.map { try Self.match($0, method, tenant: tenant, writer: writer) }
                if match == .other { throw VaultError.paymentMethodIdentifierTaken }
                var record: PaymentMethodRecord
                if let earlier, match == .same {
                    record = earlier
                } else {
                    if let card = method.card {
                        try writer.insertCard(card)
                        try vault.auditLog.append(Vault.tokenizeEvent(card.token, tenant: tenant, actor: actor), at: now, to: writer)
                    }
                    if let account = method.account { try writer.insertAccount(account) }
                    if let earlier, earlier.ownsInstrument { try Self.deleteInstrument(of: earlier, writer: writer, at: now) }
                    let id = earlier?.id ?? PaymentMethodID.generate()
                    record = PaymentMethodRecord(
                        id: id, tenantID: tenant, clientID: client, identifier: method.identifier, kind: method.kind,
                        token: method.token, ownsInstrument: method.ownsInstrument, sealedDetails: [], keyVersion: version,
                        isDefault: earlier?.isDefault ?? false, createdAt: earlier?.createdAt ?? now, updatedAt: now)
                }
                record.sealedDetails = seal(.paymentMethodDetails, method.details, record.id.rawValue)
                record.keyVersion = version
                record.updatedAt = now
                record.isDefault = record.isDefault || method.setAsDefault || !existing.contains(where: \.isDefault)
                try writer.upsertPaymentMethod(record)
                if record.isDefault { try writer.setDefaultPaymentMethod(record.id, client: client) }
                existing = try writer.paymentMethods(of: client)
                synced.append((record.id, method.identifier))
                instruments.append(record.token.rawValue)
            }
            let result = ClientSyncResult(clientID: client, paymentMethods: synced)
            // The instruments too, kept or new: a retry after one is deleted would store it again.
            try recordResponse?(writer, result, naming: synced.map(\.id.rawValue) + instruments)
            return result
        }
    }

    private static func client(_ reference: ClientReference, tenant: TenantID, writer: any StorageWriter, at now: Date,
                               version: Int, seal: (RecordSealing.Kind, [UInt8], String) -> [UInt8]) throws -> SyncClientID {
        switch reference {
        case .id(let id):
            guard try writer.syncClient(id, tenant: tenant) != nil else { throw VaultError.syncClientNotFound }
            return id
        case .identifier(let identifier, let meta):
            let found = try writer.syncClient(identifier: identifier, tenant: tenant)
            if let found, meta == nil { return found.id }
            let id = found?.id ?? SyncClientID.generate()
            try writer.upsertSyncClient(SyncClientRecord(
                id: id, tenantID: tenant, identifier: identifier, sealedMeta: seal(.syncClientMeta, meta ?? [], id.rawValue),
                keyVersion: version, createdAt: found?.createdAt ?? now, updatedAt: now))
            return id
        }
    }

    /// Resolves and seals the instrument before the transaction: RSA, HMAC and AES work stay out of the writer.
    private func prepare(_ input: PaymentMethodInput, tenant: TenantID, at now: Date) async throws -> PreparedMethod {
        let token = Token.generate()
        var method = PreparedMethod(identifier: input.identifier, kind: .card, token: token, ownsInstrument: true,
                                    details: input.details, setAsDefault: input.setAsDefault)
        switch input.instrument {
        case .card(let cardInput):
            let card = try await vault.resolve(cardInput, tenant: tenant)
            try Self.check(card.number.brand, against: input.brandHint)
            method.card = try await vault.sealedRecord(of: card, token: token, tenant: tenant, at: now)
        case .token(let given):
            do {
                let card = try await vault.takeCardToken(given, tenant: tenant)
                try Self.check(card.number.brand, against: input.brandHint)
                method.card = try await vault.sealedRecord(of: card, token: token, tenant: tenant, at: now)
            } catch VaultError.cardTokenNotFound {
                try Self.check(try await vault.record(of: given, tenant: tenant).brand, against: input.brandHint)
                method.token = given
                method.ownsInstrument = false
            }
        case .bank(let account):
            method.kind = .bank
            method.account = try await vault.sealedAccount(token: token, tenant: tenant, referenceID: nil, duplicateCheck: false,
                                                     holder: input.details, bank: account, at: now)
        }
        return method
    }

    private static func check(_ brand: CardBrand, against hint: CardBrand?) throws(VaultError) {
        if let hint, brand != .unknown, brand != hint { throw .brandMismatch }
    }

    /// How a method sent under an identifier relates to the one the client holds under it.
    private enum InstrumentMatch {
        /// The same stored card or account: kept as it is.
        case same
        /// The same number (or account) with a new expiry (or account type), or an instrument
        /// since deleted: the method is updated in place.
        case renewed
        /// Another type or number: refused, so that no stored method is silently replaced.
        case other
    }

    /// Cards and bank accounts are compared by fingerprint: the numbers themselves stay sealed.
    private static func match(_ earlier: PaymentMethodRecord, _ method: PreparedMethod, tenant: TenantID,
                              writer: any StorageWriter) throws -> InstrumentMatch {
        guard earlier.kind == method.kind else { return .other }
        if earlier.token == method.token { return .same }
        switch method.kind {
        case .card:
            guard let stored = try writer.card(earlier.token, tenant: tenant) else { return .renewed }
            guard let sent = try method.card ?? writer.card(method.token, tenant: tenant),
                  sent.fingerprint == stored.fingerprint else { return .other }
            let kept = earlier.ownsInstrument && method.ownsInstrument && sent.expiration == stored.expiration
            return kept ? .same : .renewed
        case .bank:
            guard let stored = try writer.account(earlier.token, tenant: tenant), stored.deletedAt == nil,
                  let storedBank = stored.bank else { return .renewed }
            guard let sent = method.account?.bank, sent.fingerprint == storedBank.fingerprint else { return .other }
            return sent.accountType == storedBank.accountType ? .same : .renewed
        }
    }

    private static func deleteInstrument(of method: PaymentMethodRecord, writer: any StorageWriter, at now: Date) throws {
        _ = try writer.deleteCard(method.token, tenant: method.tenantID)
        _ = try writer.markAccountDeleted(method.token, tenant: method.tenantID, at: now)
        _ = try writer.neutralizeIdempotencyRecords(naming: method.token.rawValue)
    }
}
