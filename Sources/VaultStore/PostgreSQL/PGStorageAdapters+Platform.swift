import Foundation
import VaultCore

/// The platform dialect's tables, as `SQLiteStorageAdapters+Platform.swift` reads and writes them.
extension PGBackedReader {
    func paymentSettings(tenant: TenantID) throws -> PaymentSettingsRecord? {
        try first(PlatformSQL.paymentSettings, tenant.rawValue) { try $0.paymentSettingsRecord() }
    }

    func platformClient(_ id: PlatformClientID, tenant: TenantID) throws -> PlatformClientRecord? {
        try first(PlatformSQL.platformClient, id.rawValue, tenant.rawValue) { try $0.platformClientRecord() }
    }

    func gatewayCards(client: PlatformClientID, tenant: TenantID) throws -> [GatewayCardRecord] {
        try rows(PlatformSQL.gatewayCardsOfClient, tenant.rawValue, client.rawValue) { try $0.gatewayCardRecord() }
    }
}

extension PGWriter {
    /// SQLite's `INSERT OR REPLACE`, as an upsert of every column.
    static let savePaymentSettings = """
        INSERT INTO payment_settings (\(PlatformSQL.paymentSettingsColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant_id) DO UPDATE SET stripe_user_id = excluded.stripe_user_id,
            sealed_stripe_access_token = excluded.sealed_stripe_access_token, key_version = excluded.key_version,
            payments_gateway_type = excluded.payments_gateway_type, payments_enabled = excluded.payments_enabled,
            allow_credit_card = excluded.allow_credit_card, updated_at = excluded.updated_at
        """

    func savePaymentSettings(_ settings: PaymentSettingsRecord) throws {
        try run(Self.savePaymentSettings,
            settings.tenantID.rawValue, settings.stripeUserID, settings.sealedStripeAccessToken, settings.keyVersion,
            settings.gateway, settings.paymentsEnabled ? 1 : 0, settings.allowCreditCard ? 1 : 0,
            SQLiteTime.milliseconds(settings.updatedAt))
    }

    func insertPlatformClient(_ client: PlatformClientRecord) throws {
        try run(PlatformSQL.insertPlatformClient,
            client.id.rawValue, client.tenantID.rawValue, client.sealedProfile, client.keyVersion,
            SQLiteTime.milliseconds(client.createdAt))
    }

    func insertGatewayCard(_ card: GatewayCardRecord) throws {
        try run(PlatformSQL.insertGatewayCard,
            card.id.rawValue, card.tenantID.rawValue, card.clientID.rawValue, card.customerID, card.externalCardID,
            card.paymentProvider, card.vaultToken?.rawValue, card.brand.rawValue, card.sealedCardholderName,
            card.keyVersion, card.expMonth, card.expYear, card.last4, card.isDefault ? 1 : 0, card.staffID.rawValue,
            card.staffName, SQLiteTime.milliseconds(card.createdAt))
    }

    func makeDefaultGatewayCard(_ id: GatewayCardID, client: PlatformClientID, tenant: TenantID) throws {
        // Two statements, cleared first: the partial unique index allows one default per client at every step.
        try run("UPDATE gateway_cards SET is_default = 0 WHERE tenant_id = ? AND client_id = ? AND is_default = 1",
                tenant.rawValue, client.rawValue)
        try run("UPDATE gateway_cards SET is_default = 1 WHERE id = ? AND tenant_id = ? AND client_id = ?",
                id.rawValue, tenant.rawValue, client.rawValue)
    }

    func deleteGatewayCard(_ id: GatewayCardID, tenant: TenantID) throws -> GatewayCardRecord? {
        try first(PlatformSQL.deleteGatewayCard, id.rawValue, tenant.rawValue) { try $0.gatewayCardRecord() }
    }
}
