import Foundation
import VaultCrypto

/// Patrons — the clients of a ticket seller (Ticket Evolution's "clients") — with their
/// addresses, phone numbers and verified cards, and the signing credentials their API calls
/// carry. A service over the vault's shared context; card verification goes through the
/// `CardVerifier` it is given (network I/O on the verifier's own threads, awaited here).
public struct PatronService: Sendable {
    let vault: Vault
    let verifier: any CardVerifier

    public init(_ vault: Vault, verifier: any CardVerifier) {
        self.vault = vault
        self.verifier = verifier
    }

    // MARK: Signing credentials

    /// A token (32 lowercase hex characters, TEvo's shape, 128 random bits) and a secret (40
    /// Base64URL characters, 240 bits), shown once. The token is kept as its SHA-256, the secret
    /// sealed under the data key: every request's HMAC is checked with it. An idempotent retry
    /// replays the first answer (sealed, as an API key's is) until the credential is revoked.
    public func createSigningCredential(tenant: TenantID, label: String, actor: AuditActor,
                                        idempotency: IdempotencyRecording<IssuedSigningCredential>? = nil) async throws -> IssuedSigningCredential {
        _ = try await vault.tenant(tenant)
        let now = vault.clock()
        let id = SigningCredentialID.generate()
        let token = SecureRandom.bytes(count: 16).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        let secret = Base64URL.encode(SecureRandom.bytes(count: 30))
        let (sealed, version) = try vault.sealWithActiveKey(.signingSecret, SecretBytes(secret.utf8), tenant: tenant,
                                                            subject: id.rawValue)
        let record = SigningCredentialRecord(id: id, tenantID: tenant, tokenHash: SHA256.hash(token.utf8), label: label,
                                             sealedSecret: sealed, keyVersion: version, createdAt: now)
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .signingCredentialCreate, subject: id.rawValue,
                               outcome: .success)
        let issued = IssuedSigningCredential(record: record, token: token, secret: secret)
        let recordResponse = vault.recorder(idempotency)
        try await vault.write { writer in
            try writer.insertSigningCredential(record)
            try vault.auditLog.append(event, at: now, to: writer)
            try recordResponse?(writer, issued, naming: [id.rawValue])
        }
        return issued
    }

    public func signingCredentials(tenant: TenantID) async throws -> [SigningCredentialRecord] {
        try await vault.read { try $0.signingCredentials(tenant: tenant) }
    }

    /// Revokes the credential and wipes its secret: from the commit on, its signatures fail, and a
    /// retry of its creation is `idempotent_subject_deleted`, never the secret again.
    public func revokeSigningCredential(_ id: SigningCredentialID, tenant: TenantID, actor: AuditActor) async throws {
        let now = vault.clock()
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .signingCredentialRevoke, subject: id.rawValue,
                               outcome: .success)
        try await vault.write { writer in
            guard try writer.revokeSigningCredential(id, tenant: tenant, at: now) else { throw PatronError.credentialNotFound }
            _ = try writer.neutralizeIdempotencyRecords(naming: id.rawValue)
            try vault.auditLog.append(event, at: now, to: writer)
        }
    }

    /// The caller a signed request names by `token`, once `signatureMatches` accepts the
    /// request's signature under the credential's secret. Every refusal — malformed or unknown
    /// token, revoked, tenant disabled, wrong signature — is counted like any failed
    /// authentication (`Vault.refuse`). The lookup is by the token's hash, so its timing says
    /// nothing of the token.
    public func authenticate(token: String, actor: AuditActor,
                             signatureMatches: @Sendable (SecretBytes) -> Bool) async throws -> Principal {
        guard token.utf8.count == 32, token.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { try await vault.refuse(.malformedCredential, actor: actor) }
        let hash = SHA256.hash(token.utf8)
        let found = try await vault.read { reader -> (SigningCredentialRecord, Bool)? in
            guard let record = try reader.signingCredential(tokenHash: hash) else { return nil }
            return (record, try Vault.isDisabled(record.tenantID, in: reader))
        }
        guard let (record, tenantDisabled) = found else { try await vault.refuse(.unknownKey, actor: actor) }
        guard let sealed = record.sealedSecret, let version = record.keyVersion, record.revokedAt == nil else {
            try await vault.refuse(.revokedKey, tenant: record.tenantID, actor: actor)
        }
        guard !tenantDisabled else { try await vault.refuse(.tenantDisabled, tenant: record.tenantID, actor: actor) }
        let secret = try await vault.openSealed(.signingSecret, sealed, version: version, tenant: record.tenantID,
                                                subject: record.id.rawValue)
        guard signatureMatches(secret) else { try await vault.refuse(.invalidSignature, tenant: record.tenantID, actor: actor) }
        return Principal(tenantID: record.tenantID, credential: .signingCredential(record.id), roles: [],
                         limits: RateLimits.defaults(for: []))
    }

    // MARK: Patrons and contacts

    /// Stores patrons from their profiles, in one transaction.
    public func createPatrons(profiles: [[UInt8]], tenant: TenantID) async throws -> [Patron] {
        let now = vault.clock()
        var records: [PatronRecord] = []
        for _ in profiles {
            records.append(PatronRecord(id: .generate(), tenantID: tenant, sealedProfile: [], keyVersion: 0, createdAt: now))
        }
        for index in records.indices {
            let (sealed, version) = try vault.sealWithActiveKey(.patronProfile, SecretBytes(profiles[index]), tenant: tenant,
                                                                subject: records[index].id.description)
            records[index].sealedProfile = sealed
            records[index].keyVersion = version
        }
        let stored = records
        try await vault.write { writer in
            for record in stored { try writer.insertPatron(record) }
        }
        return zip(stored, profiles).map { Patron(id: $0.id, profile: $1, createdAt: now) }
    }

    public func patrons(tenant: TenantID) async throws -> [Patron] {
        var patrons: [Patron] = []
        for record in try await vault.read({ try $0.patrons(tenant: tenant) }) { patrons.append(try await open(record)) }
        return patrons
    }

    public func patron(_ id: PatronRowID, tenant: TenantID) async throws -> Patron {
        guard let record = try await vault.read({ try $0.patron(id, tenant: tenant) }) else {
            throw PatronError.patronNotFound
        }
        return try await open(record)
    }

    /// Stores the patron's new addresses or phone numbers, in one transaction.
    public func createContacts(_ kind: PatronContactKind, details: [[UInt8]], patron: PatronRowID,
                               tenant: TenantID) async throws -> [PatronContact] {
        let now = vault.clock()
        var records: [PatronContactRecord] = []
        for item in details {
            let id = PatronRowID.generate()
            let (sealed, version) = try vault.sealWithActiveKey(.patronContact, SecretBytes(item), tenant: tenant,
                                                                subject: id.description)
            records.append(PatronContactRecord(id: id, tenantID: tenant, patronID: patron, kind: kind, sealedDetails: sealed,
                                               keyVersion: version, createdAt: now))
        }
        let stored = records
        try await vault.write { writer in
            guard try writer.patron(patron, tenant: tenant) != nil else { throw PatronError.patronNotFound }
            for record in stored { try writer.insertPatronContact(record) }
        }
        return zip(stored, details).map {
            PatronContact(id: $0.id, patronID: patron, kind: kind, details: $1, createdAt: now)
        }
    }

    public func contacts(_ kind: PatronContactKind, patron: PatronRowID, tenant: TenantID) async throws -> [PatronContact] {
        let records = try await vault.read { reader -> [PatronContactRecord]? in
            guard try reader.patron(patron, tenant: tenant) != nil else { return nil }
            return try reader.patronContacts(of: patron, kind: kind, tenant: tenant)
        }
        guard let records else { throw PatronError.patronNotFound }
        var contacts: [PatronContact] = []
        for record in records { contacts.append(try await open(record)) }
        return contacts
    }

    /// The patron's contact of `kind`; another patron's, another kind's or an unknown id is
    /// `addressNotFound` / `phoneNumberNotFound`.
    public func contact(_ kind: PatronContactKind, _ id: PatronRowID, patron: PatronRowID,
                        tenant: TenantID) async throws -> PatronContact {
        let record = try await vault.read { reader in
            guard try reader.patron(patron, tenant: tenant) != nil else { throw PatronError.patronNotFound }
            return try Self.contact(kind, id, patron: patron, tenant: tenant, in: reader)
        }
        return try await open(record)
    }

    // MARK: Cards

    /// Verifies each card with a $1.00 authorization, in order, and stores the batch only if
    /// every one was approved: all of it or nothing. Every approval is voided as soon as the
    /// batch's outcome is known — whether it is stored or refused — so no funds stay held. A
    /// decline or a verifier failure stores nothing and names the card. The security code goes
    /// to the verification call only. The cards are vault cards (a `card.tokenize` audit entry
    /// each), stored with their patron cards in one transaction; the batch counts as that many
    /// tokenizations. `billingAddress` reads an address contact's details (the API layer's
    /// encoding) for the processor's address check.
    public func createCards(_ cards: [NewPatronCard], patron: PatronRowID, tenant: TenantID, caller: Principal,
                            actor: AuditActor,
                            billingAddress: @Sendable ([UInt8]) -> BillingAddress?) async throws -> [PatronCard] {
        try vault.admit(Array(repeating: .tokenize, count: cards.count), for: caller)
        let now = vault.clock()
        var verified: [CardToVerify] = []
        for new in cards {
            try vault.validateExpiration(new.card, at: now)
            guard let expiration = new.card.expiration else { throw VaultError.card(.invalidExpirationDate) }
            verified.append(CardToVerify(number: new.card.number, expiration: expiration, cardholderName: new.cardholderName))
        }
        let named = try await vault.read { reader in
            guard try reader.patron(patron, tenant: tenant) != nil else { throw PatronError.patronNotFound }
            return try cards.map { new in
                (try Self.contact(.address, new.addressID, patron: patron, tenant: tenant, in: reader),
                 try Self.contact(.phoneNumber, new.phoneNumberID, patron: patron, tenant: tenant, in: reader))
            }
        }
        var contacts: [(address: PatronContact, phoneNumber: PatronContact)] = []
        for (address, phoneNumber) in named { contacts.append((try await open(address), try await open(phoneNumber))) }

        var approvals: [CardAuthorizationID] = []
        var refusal: PatronError?
        for (index, new) in cards.enumerated() {
            let answer = await verifier.authorize(verified[index], securityCode: new.card.securityCode,
                                                  address: billingAddress(contacts[index].address.details),
                                                  amount: .oneDollar)
            switch answer {
            case .approved(let id): approvals.append(id)
            case .declined(let decline): refusal = .cardDeclined(index: index, decline)
            case .failed(let failure): refusal = .verificationUnavailable(index: index, failure)
            }
            if refusal != nil { break }
        }
        // A void that fails leaves a $1.00 hold the issuer releases on its own; the batch's
        // outcome does not depend on it.
        for id in approvals { try? await verifier.void(id) }
        if let refusal { throw refusal }

        var stored: [(card: CardRecord, patronCard: PatronCardRecord)] = []
        for (index, new) in cards.enumerated() {
            let token = Token.generate()
            let id = PatronRowID.generate()
            let card = try await vault.sealedRecord(of: new.card, token: token, tenant: tenant, at: now)
            let (sealed, version) = try vault.sealWithActiveKey(.patronCardDetails, SecretBytes(new.details), tenant: tenant,
                                                                subject: id.description)
            stored.append((card, PatronCardRecord(
                id: id, tenantID: tenant, patronID: patron, token: token, addressID: contacts[index].address.id,
                phoneNumberID: contacts[index].phoneNumber.id, sealedDetails: sealed, keyVersion: version, createdAt: now)))
        }
        let rows = stored
        try await vault.write { writer in
            guard try writer.patron(patron, tenant: tenant) != nil else { throw PatronError.patronNotFound }
            for (card, patronCard) in rows {
                try writer.insertCard(card)
                try vault.auditLog.append(Vault.tokenizeEvent(card.token, tenant: tenant, actor: actor), at: now, to: writer)
                try writer.insertPatronCard(patronCard)
            }
        }
        return zip(rows, zip(cards, contacts)).map { row, input in
            PatronCard(id: row.patronCard.id, patronID: patron, details: input.0.details, card: CardMetadata(row.card),
                       address: input.1.address, phoneNumber: input.1.phoneNumber, createdAt: now)
        }
    }

    /// The patron's cards in the order stored; a card whose vault card was deleted since is left out.
    public func cards(patron: PatronRowID, tenant: TenantID) async throws -> [PatronCard] {
        let rows = try await vault.read { reader -> [CardRow]? in
            guard try reader.patron(patron, tenant: tenant) != nil else { return nil }
            return try reader.patronCards(of: patron, tenant: tenant).compactMap { try Self.row(of: $0, in: reader) }
        }
        guard let rows else { throw PatronError.patronNotFound }
        var cards: [PatronCard] = []
        for row in rows { cards.append(try await open(row)) }
        return cards
    }

    public func card(_ id: PatronRowID, patron: PatronRowID, tenant: TenantID) async throws -> PatronCard {
        let row = try await vault.read { reader -> CardRow? in
            guard try reader.patron(patron, tenant: tenant) != nil else { throw PatronError.patronNotFound }
            guard let record = try reader.patronCard(id, tenant: tenant), record.patronID == patron else { return nil }
            return try Self.row(of: record, in: reader)
        }
        guard let row else { throw PatronError.cardNotFound }
        return try await open(row)
    }

    // MARK: Reading sealed rows

    /// A patron card with what it names, as read in one transaction.
    private struct CardRow: Sendable {
        var record: PatronCardRecord
        var card: CardRecord
        var address: PatronContactRecord
        var phoneNumber: PatronContactRecord
    }

    private static func row(of record: PatronCardRecord, in reader: any StorageReader) throws -> CardRow? {
        guard let card = try reader.card(record.token, tenant: record.tenantID),
              let address = try reader.patronContact(record.addressID, tenant: record.tenantID),
              let phoneNumber = try reader.patronContact(record.phoneNumberID, tenant: record.tenantID) else { return nil }
        return CardRow(record: record, card: card, address: address, phoneNumber: phoneNumber)
    }

    private static func contact(_ kind: PatronContactKind, _ id: PatronRowID, patron: PatronRowID, tenant: TenantID,
                                in reader: any StorageReader) throws -> PatronContactRecord {
        guard let record = try reader.patronContact(id, tenant: tenant), record.patronID == patron, record.kind == kind else {
            throw kind == .address ? PatronError.addressNotFound : PatronError.phoneNumberNotFound
        }
        return record
    }

    private func open(_ record: PatronRecord) async throws -> Patron {
        let profile = try await vault.openSealed(.patronProfile, record.sealedProfile, version: record.keyVersion,
                                                 tenant: record.tenantID, subject: record.id.description)
        return Patron(id: record.id, profile: profile.bytes, createdAt: record.createdAt)
    }

    private func open(_ record: PatronContactRecord) async throws -> PatronContact {
        let details = try await vault.openSealed(.patronContact, record.sealedDetails, version: record.keyVersion,
                                                 tenant: record.tenantID, subject: record.id.description)
        return PatronContact(id: record.id, patronID: record.patronID, kind: record.kind, details: details.bytes,
                             createdAt: record.createdAt)
    }

    private func open(_ row: CardRow) async throws -> PatronCard {
        let details = try await vault.openSealed(.patronCardDetails, row.record.sealedDetails, version: row.record.keyVersion,
                                                 tenant: row.record.tenantID, subject: row.record.id.description)
        return PatronCard(id: row.record.id, patronID: row.record.patronID, details: details.bytes,
                          card: CardMetadata(row.card), address: try await open(row.address),
                          phoneNumber: try await open(row.phoneNumber), createdAt: row.record.createdAt)
    }
}

private extension String {
    func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
