import Foundation
import VaultCrypto

/// The inTandem-style platform: businesses acting through a directory, their payment settings
/// and clients, and the cards an external gateway holds for those clients
/// (`PlatformService+GatewayCards`). A service over the vault's shared context.
public struct PlatformService: Sendable {
    let vault: Vault

    public init(_ vault: Vault) {
        self.vault = vault
    }

    /// The business a directory key acts for (`x-on-behalf-of`). A directory is a tenant, its
    /// businesses are its sub-tenants, and its directory token is an API key holding `admin` of
    /// it, the role that already creates and disables those sub-tenants. Any other key, and any
    /// id that is not an enabled direct sub-tenant of the key's tenant, is refused.
    public func business(_ id: String, actedForBy principal: Principal) async throws -> TenantID {
        guard principal.apiKeyID != nil, principal.has(.admin) else {
            throw VaultError.platform(.actingForBusinessNotAllowed)
        }
        guard let business = TenantID(validating: id) else { throw VaultError.platform(.businessNotInDirectory) }
        let directory = principal.tenantID
        let inDirectory = try await vault.read { reader in
            try reader.tenant(business)?.parentID == directory && !Vault.isDisabled(business, in: reader)
        }
        guard inDirectory else { throw VaultError.platform(.businessNotInDirectory) }
        return business
    }

    /// Merges `update` into the tenant's settings in one transaction, so two partial updates
    /// (credentials, then switches) never lose each other's fields. Audited: credentials changed.
    public func updatePaymentSettings(_ update: PaymentSettingsUpdate, tenant: TenantID,
                                      actor: AuditActor) async throws -> PaymentSettings {
        let now = vault.clock()
        let sealedToken = try update.stripeAccessToken.map { secret throws(VaultError) in
            try vault.sealWithActiveKey(.stripeAccessToken, secret, tenant: tenant, subject: tenant.rawValue)
        }
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .paymentSettingsUpdate, subject: tenant.rawValue,
                               outcome: .success)
        let stored = try await vault.write { writer in
            var record = try writer.paymentSettings(tenant: tenant) ?? PaymentSettingsRecord(tenantID: tenant, updatedAt: now)
            if let id = update.stripeUserID { record.stripeUserID = id }
            if let sealedToken {
                record.sealedStripeAccessToken = sealedToken.sealed
                record.keyVersion = sealedToken.version
            }
            if let gateway = update.gateway { record.gateway = gateway.rawValue }
            if let enabled = update.paymentsEnabled { record.paymentsEnabled = enabled }
            if let allowed = update.allowCreditCard { record.allowCreditCard = allowed }
            record.updatedAt = now
            try writer.savePaymentSettings(record)
            try vault.auditLog.append(event, at: now, to: writer)
            return record
        }
        return Self.view(of: stored, tenant: tenant)
    }

    public func paymentSettings(tenant: TenantID) async throws -> PaymentSettings {
        let stored = try await vault.read { try $0.paymentSettings(tenant: tenant) }
        return Self.view(of: stored, tenant: tenant)
    }

    /// Stores a client with its profile — name and email in whatever encoding the API layer
    /// chose — sealed: it is personal data.
    public func createPlatformClient(profile: [UInt8], tenant: TenantID,
                                     idempotency: IdempotencyRecording<PlatformClient>? = nil) async throws -> PlatformClient {
        let id = PlatformClientID.generate()
        let (sealed, version) = try vault.sealWithActiveKey(.platformClientProfile, SecretBytes(profile), tenant: tenant, subject: id.rawValue)
        let record = PlatformClientRecord(id: id, tenantID: tenant, sealedProfile: sealed, keyVersion: version,
                                          createdAt: vault.clock())
        let client = PlatformClient(id: id, createdAt: record.createdAt)
        let recordResponse = vault.recorder(idempotency)
        try await vault.write { writer in
            try writer.insertPlatformClient(record)
            try recordResponse?(writer, client)
        }
        return client
    }

    /// The gateway a card can be synced from now, or why there is none.
    static func readyGateway(_ settings: PaymentSettingsRecord?) throws(VaultError) -> PaymentGateway {
        guard let settings, let gateway = settings.gateway.flatMap(PaymentGateway.init(rawValue:)),
              isConnected(gateway, settings) else { throw .platform(.gatewayNotConnected) }
        guard settings.paymentsEnabled else { throw .platform(.paymentsDisabled) }
        guard settings.allowCreditCard else { throw .platform(.creditCardsNotAllowed) }
        return gateway
    }

    private static func isConnected(_ gateway: PaymentGateway, _ settings: PaymentSettingsRecord) -> Bool {
        switch gateway {
        case .stripe: settings.stripeUserID != nil && settings.sealedStripeAccessToken != nil
        }
    }

    private static func view(of record: PaymentSettingsRecord?, tenant: TenantID) -> PaymentSettings {
        let record = record ?? PaymentSettingsRecord(tenantID: tenant, updatedAt: .distantPast)
        return PaymentSettings(stripeUserID: record.stripeUserID, stripeConnected: isConnected(.stripe, record),
                               gateway: record.gateway.flatMap(PaymentGateway.init(rawValue:)),
                               paymentsEnabled: record.paymentsEnabled, allowCreditCard: record.allowCreditCard)
    }
}
