import Foundation
import VaultCore

/// The platform dialect's tables (migrations/0004_platform_cards.sql).
extension SQLiteBackedReader {
    func paymentSettings(tenant: TenantID) throws -> PaymentSettingsRecord? {
        try connection.queryFirst(PlatformSQL.paymentSettings, tenant.rawValue) { try $0.paymentSettingsRecord() }
    }

    func platformClient(_ id: PlatformClientID, tenant: TenantID) throws -> PlatformClientRecord? {
        try connection.queryFirst(PlatformSQL.platformClient, id.rawValue, tenant.rawValue) { try $0.platformClientRecord() }
    }

    func gatewayCards(client: PlatformClientID, tenant: TenantID) throws -> [GatewayCardRecord] {
        try connection.query(PlatformSQL.gatewayCardsOfClient, tenant.rawValue, client.rawValue) { try $0.gatewayCardRecord() }
    }
}

extension SQLiteWriter {
    func savePaymentSettings(_ settings: PaymentSettingsRecord) throws {
        try connection.execute(PlatformSQL.savePaymentSettings,
            settings.tenantID.rawValue, settings.stripeUserID, settings.sealedStripeAccessToken, settings.keyVersion,
            settings.gateway, settings.paymentsEnabled ? 1 : 0, settings.allowCreditCard ? 1 : 0,
            SQLiteTime.milliseconds(settings.updatedAt))
    }

    func insertPlatformClient(_ client: PlatformClientRecord) throws {
        try connection.execute(PlatformSQL.insertPlatformClient,
            client.id.rawValue, client.tenantID.rawValue, client.sealedProfile, client.keyVersion,
            SQLiteTime.milliseconds(client.createdAt))
    }

    func insertGatewayCard(_ card: GatewayCardRecord) throws {
        try connection.execute(PlatformSQL.insertGatewayCard,
            card.id.rawValue, card.tenantID.rawValue, card.clientID.rawValue, card.customerID, card.externalCardID,
            card.paymentProvider, card.vaultToken?.rawValue, card.brand.rawValue, card.sealedCardholderName,
            card.keyVersion, card.expMonth, card.expYear, card.last4, card.isDefault ? 1 : 0, card.staffID.rawValue,
            card.staffName, SQLiteTime.milliseconds(card.createdAt))
    }

    func makeDefaultGatewayCard(_ id: GatewayCardID, client: PlatformClientID, tenant: TenantID) throws {
        // Two statements, cleared first: the partial unique index allows one default per client at every step.
        try connection.execute(
            "UPDATE gateway_cards SET is_default = 0 WHERE tenant_id = ? AND client_id = ? AND is_default = 1",
            tenant.rawValue, client.rawValue)
        try connection.execute(
            "UPDATE gateway_cards SET is_default = 1 WHERE id = ? AND tenant_id = ? AND client_id = ?",
            id.rawValue, tenant.rawValue, client.rawValue)
    }

    func deleteGatewayCard(_ id: GatewayCardID, tenant: TenantID) throws -> GatewayCardRecord? {
        try connection.queryFirst(PlatformSQL.deleteGatewayCard, id.rawValue, tenant.rawValue) { try $0.gatewayCardRecord() }
    }
}

enum PlatformSQL {
    static let paymentSettingsColumns = """
        tenant_id, stripe_user_id, sealed_stripe_access_token, key_version, payments_gateway_type, payments_enabled, \
        allow_credit_card, updated_at
        """
    static let platformClientColumns = "id, tenant_id, sealed_profile, key_version, created_at"
    static let gatewayCardColumns = """
        id, tenant_id, client_id, customer_id, external_card_id, payment_provider, vault_token, brand, \
        sealed_cardholder_name, key_version, exp_month, exp_year, last4, is_default, staff_id, staff_name, created_at
        """

    static let paymentSettings = "SELECT \(paymentSettingsColumns) FROM payment_settings WHERE tenant_id = ?"
    static let savePaymentSettings = "INSERT OR REPLACE INTO payment_settings (\(paymentSettingsColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    static let platformClient = "SELECT \(platformClientColumns) FROM platform_clients WHERE id = ? AND tenant_id = ?"
    static let insertPlatformClient = "INSERT INTO platform_clients (\(platformClientColumns)) VALUES (?, ?, ?, ?, ?)"
    static let gatewayCardsOfClient = "SELECT \(gatewayCardColumns) FROM gateway_cards WHERE tenant_id = ? AND client_id = ? ORDER BY rowid"
    static let insertGatewayCard = "INSERT INTO gateway_cards (\(gatewayCardColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let deleteGatewayCard = "DELETE FROM gateway_cards WHERE id = ? AND tenant_id = ? RETURNING \(gatewayCardColumns)"
}

extension StoredRow {
    func paymentSettingsRecord() throws -> PaymentSettingsRecord {
        try PaymentSettingsRecord(
            tenantID: try identifier(0, as: TenantID.self, "payment_settings.tenant_id"),
            stripeUserID: optionalText(1),
            sealedStripeAccessToken: isNull(2) ? nil : blob(2),
            keyVersion: optionalInt64(3).map { Int($0) },
            gateway: optionalText(4),
            paymentsEnabled: int(5) != 0,
            allowCreditCard: int(6) != 0,
            updatedAt: SQLiteTime.date(int64(7)))
    }

    func platformClientRecord() throws -> PlatformClientRecord {
        try PlatformClientRecord(
            id: try identifier(0, as: PlatformClientID.self, "platform_clients.id"),
            tenantID: try identifier(1, as: TenantID.self, "platform_clients.tenant_id"),
            sealedProfile: blob(2),
            keyVersion: int(3),
            createdAt: SQLiteTime.date(int64(4)))
    }

    func gatewayCardRecord() throws -> GatewayCardRecord {
        try GatewayCardRecord(
            id: try identifier(0, as: GatewayCardID.self, "gateway_cards.id"),
            tenantID: try identifier(1, as: TenantID.self, "gateway_cards.tenant_id"),
            clientID: try identifier(2, as: PlatformClientID.self, "gateway_cards.client_id"),
            customerID: text(3),
            externalCardID: text(4),
            paymentProvider: text(5),
            vaultToken: isNull(6) ? nil : try identifier(6, as: Token.self, "gateway_cards.vault_token"),
            brand: GatewayCardBrand(rawValue: text(7)) ?? .unknown,
            sealedCardholderName: blob(8),
            keyVersion: int(9),
            expMonth: int(10),
            expYear: int(11),
            last4: text(12),
            isDefault: int(13) != 0,
            staffID: try identifier(14, as: APIKeyID.self, "gateway_cards.staff_id"),
            staffName: text(15),
            createdAt: SQLiteTime.date(int64(16)))
    }
}
