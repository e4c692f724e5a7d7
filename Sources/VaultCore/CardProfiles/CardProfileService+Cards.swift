import Foundation
import VaultCrypto

extension CardProfileService {
    /// Links a vault card to the customer under a new `icrd_` id. Card data given with the link is
    /// resolved, fingerprinted and sealed first, then stored with the link in one transaction
    /// (with its `card.tokenize` entry): a refused link stores no card.
    public func linkCard(_ source: ProfileCardSource, to customer: ProfileCustomerID, reference: String?, tenant: TenantID,
                         actor: AuditActor) async throws -> ProfileCard {
        let id = ProfileCardID.generate()
        let now = vault.clock()
        var newCard: CardRecord?
        let token: Token
        switch source {
        case .token(let given):
            token = given
        case .card(let input):
            let card = try await vault.resolve(input, tenant: tenant)
            let record = try await vault.sealedRecord(of: card, token: .generate(), tenant: tenant, at: now)
            (newCard, token) = (record, record.token)
        }
        let (version, key) = try vault.activeDataKey()
        let sealedReference = reference.map {
            RecordSealing.seal(.profileCardReference, SecretBytes($0.utf8), key: key, tenant: tenant, subject: id.rawValue,
                               keyVersion: version)
        }
        let record = ProfileCardRecord(id: id, tenantID: tenant, customerID: customer, vaultToken: token,
                                       sealedReference: sealedReference, sealedProfile: nil, keyVersion: version,
                                       createdAt: now, syncedAt: nil)
        let events = (newCard.map { [Vault.tokenizeEvent($0.token, tenant: tenant, actor: actor)] } ?? [])
            + [AuditEvent(tenantID: tenant, actor: actor, action: .profileCardLink, subject: id.rawValue, outcome: .success)]
        let log = vault.auditLog
        try await vault.write { [newCard] writer in
            guard try writer.profileCustomer(customer, tenant: tenant) != nil else { throw CardProfileError.customerNotFound }
            if let newCard {
                try writer.insertCard(newCard)
            } else if try writer.card(token, tenant: tenant) == nil {
                throw CardProfileError.vaultCardNotFound
            }
            try writer.insertProfileCard(record)
            for event in events { try log.append(event, at: now, to: writer) }
        }
        return ProfileCard(id: id, customerID: customer, token: token, reference: reference, profile: nil, createdAt: now,
                           syncedAt: nil)
    }

    /// The linked card with its reference and last synced profile opened; another tenant's is `cardNotFound`.
    public func card(_ id: ProfileCardID, tenant: TenantID) async throws -> ProfileCard {
        guard let record = try await vault.read({ try $0.profileCard(id, tenant: tenant) }) else {
            throw CardProfileError.cardNotFound
        }
        return try await opened(record)
    }

    /// Copies the customer's details into the card's sealed cardholder profile: `derive` makes
    /// the profile from the customer (the dialect decides what it holds, and refuses what it
    /// cannot sync), `payload` the outbox message announcing it. A card not linked to this
    /// customer of this tenant is `cardNotFound`. Idempotent: a profile equal to the stored one
    /// changes nothing and queues nothing; a changed one is stored, queued (topic
    /// `profileTopic`) and audited in one transaction, guarded against a concurrent update of the
    /// customer or the card. Every call is audited.
    public func syncProfile(card id: ProfileCardID, customer: ProfileCustomerID, tenant: TenantID, actor: AuditActor,
                            derive: @escaping @Sendable (ProfileCustomer) throws -> [UInt8],
                            payload: @escaping @Sendable (ProfileCard) -> [UInt8]) async throws -> ProfileCard {
        let log = vault.auditLog
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .profileCardSync, subject: id.rawValue, outcome: .success)
        for _ in 0..<Self.attempts {
            let (storedCard, storedCustomer) = try await vault.read { reader in
                (try reader.profileCard(id, tenant: tenant), try reader.profileCustomer(customer, tenant: tenant))
            }
            guard let customerRecord = storedCustomer else { throw CardProfileError.customerNotFound }
            guard let cardRecord = storedCard, cardRecord.customerID == customer else { throw CardProfileError.cardNotFound }
            let profile = try derive(try await opened(customerRecord))
            var card = try await opened(cardRecord)
            let now = vault.clock()
            if card.profile == profile {
                try await vault.audit([event], at: now)
                return card
            }
            (card.profile, card.syncedAt) = (profile, now)
            let (version, key) = try vault.activeDataKey()
            func seal(_ kind: RecordSealing.Kind, _ bytes: [UInt8]) -> [UInt8] {
                RecordSealing.seal(kind, SecretBytes(bytes), key: key, tenant: tenant, subject: id.rawValue, keyVersion: version)
            }
            var updated = cardRecord
            updated.sealedReference = card.reference.map { seal(.profileCardReference, Array($0.utf8)) }
            (updated.sealedProfile, updated.keyVersion, updated.syncedAt) = (seal(.profileCard, profile), version, now)
            let message = try OutboxService(vault).message(topic: Self.profileTopic, payload: payload(card), tenant: tenant, at: now)
            let stored = try await vault.write { [updated] writer in
                guard try writer.profileCustomer(customer, tenant: tenant)?.revision == customerRecord.revision,
                      try writer.replaceProfileCard(updated, expected: cardRecord) else { return false }
                try writer.insertOutboxMessage(message)
                try log.append(event, at: now, to: writer)
                return true
            }
            if stored { return card }
        }
        throw CardProfileError.conflict
    }

    func opened(_ record: ProfileCardRecord) async throws -> ProfileCard {
        func open(_ kind: RecordSealing.Kind, _ sealed: [UInt8]?) async throws -> [UInt8]? {
            guard let sealed else { return nil }
            return try await vault.openSealed(kind, sealed, version: record.keyVersion, tenant: record.tenantID,
                                              subject: record.id.rawValue).withUnsafeBytes { Array($0) }
        }
        let reference = try await open(.profileCardReference, record.sealedReference)
        return ProfileCard(id: record.id, customerID: record.customerID, token: record.vaultToken,
                           reference: reference.map { String(decoding: $0, as: UTF8.self) },
                           profile: try await open(.profileCard, record.sealedProfile), createdAt: record.createdAt,
                           syncedAt: record.syncedAt)
    }
}
