import Foundation
import VaultCrypto

extension PlatformService {
    /// Records a card the external gateway holds for a client. Every rule — gateway ready, client
    /// known, vault card matching, no duplicate, under the card limit, one default — is checked
    /// inside the write transaction (one writer), so concurrent syncs of one card store it once.
    /// The API key's label is recorded as the staff name; the audit entry names the key.
    public func syncGatewayCard(_ new: NewGatewayCard, tenant: TenantID, staff: Principal, actor: AuditActor,
                                idempotency: IdempotencyRecording<GatewayCard>? = nil) async throws -> GatewayCard {
        let id = GatewayCardID.generate()
        let now = vault.clock()
        let details = new.details
        let (sealedName, version) = try vault.sealWithActiveKey(.cardholderName, SecretBytes(details.cardholderName.utf8),
                                                          tenant: tenant, subject: id.rawValue)
        let limit = vault.policy.maximumGatewayCardsPerClient
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .gatewayCardSync, subject: id.rawValue,
                               outcome: .success)
        let recordResponse = vault.recorder(idempotency)
        return try await vault.write { writer in
            let gateway = try Self.readyGateway(try writer.paymentSettings(tenant: tenant))
            guard try writer.platformClient(new.clientID, tenant: tenant) != nil else {
                throw VaultError.platform(.clientNotFound)
            }
            if let token = new.vaultToken {
                guard let card = try writer.card(token, tenant: tenant) else { throw VaultError.platform(.vaultCardNotFound) }
                guard details.matches(card) else { throw VaultError.platform(.vaultCardMismatch) }
            }
            let existing = try writer.gatewayCards(client: new.clientID, tenant: tenant)
            guard !existing.contains(where: details.isSameCard) else { throw VaultError.platform(.duplicateCard) }
            guard existing.count < limit else { throw VaultError.platform(.cardLimitReached(limit: limit)) }
            // A key revoked since it authenticated this request no longer names a staff member.
            // The key's own tenant: a directory key acting for a business is not one of its keys.
            guard let key = try writer.apiKeys(tenant: staff.tenantID).first(where: { $0.id == staff.apiKeyID }),
                  key.revokedAt == nil else { throw VaultError.unauthenticated }
            var record = GatewayCardRecord(
                id: id, tenantID: tenant, clientID: new.clientID, customerID: new.customerID,
                externalCardID: new.externalCardID, paymentProvider: gateway.rawValue, vaultToken: new.vaultToken,
                brand: details.brand, sealedCardholderName: sealedName, keyVersion: version, expMonth: details.expMonth,
                expYear: details.expYear, last4: details.last4, isDefault: false, staffID: key.id, staffName: key.label,
                createdAt: now)
            try writer.insertGatewayCard(record)
            if existing.isEmpty || new.makeDefault {
                try writer.makeDefaultGatewayCard(id, client: new.clientID, tenant: tenant)
                record.isDefault = true
            }
            try vault.auditLog.append(event, at: now, to: writer)
            let card = GatewayCard(record: record, cardholderName: details.cardholderName)
            try recordResponse?(writer, card, naming: [id.rawValue])
            return card
        }
    }

    /// One page of the client's cards in the order they were synced; only that page's names are opened.
    public func gatewayCards(client: PlatformClientID, tenant: TenantID, page: ListPage = ListPage()) async throws -> [GatewayCard] {
        let records = try await vault.read { reader -> [GatewayCardRecord]? in
            guard try reader.platformClient(client, tenant: tenant) != nil else { return nil }
            return try reader.gatewayCards(client: client, tenant: tenant)
        }
        guard let records else { throw VaultError.platform(.clientNotFound) }
        var cards: [GatewayCard] = []
        for record in page.slice(records) {
            let name = try await vault.openSealed(.cardholderName, record.sealedCardholderName, version: record.keyVersion,
                                            tenant: tenant, subject: record.id.rawValue)
            cards.append(GatewayCard(record: record, cardholderName: name.withUnsafeBytes {
                String(decoding: $0, as: UTF8.self)
            }))
        }
        return cards
    }

    /// Removes the card. When it was the default, the client's most recently synced remaining
    /// card becomes the default, so a client with cards always has exactly one. Recorded responses
    /// naming the card are neutralised: a retry of its sync neither replays it nor syncs it again.
    public func deleteGatewayCard(_ id: GatewayCardID, tenant: TenantID, actor: AuditActor) async throws {
        let now = vault.clock()
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .gatewayCardDelete, subject: id.rawValue,
                               outcome: .success)
        try await vault.write { writer in
            guard let card = try writer.deleteGatewayCard(id, tenant: tenant) else {
                throw VaultError.platform(.cardNotFound)
            }
            if card.isDefault, let newest = try writer.gatewayCards(client: card.clientID, tenant: tenant).last {
                try writer.makeDefaultGatewayCard(newest.id, client: card.clientID, tenant: tenant)
            }
            _ = try writer.neutralizeIdempotencyRecords(naming: id.rawValue)
            try vault.auditLog.append(event, at: now, to: writer)
        }
    }
}
