import Foundation

/// The platform dialect's records (see migrations/0004_platform_cards.sql).

/// A tenant's payment settings as stored: the access token only sealed under `keyVersion`.
public struct PaymentSettingsRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var stripeUserID: String?
    public var sealedStripeAccessToken: [UInt8]?
    public var keyVersion: Int?
    /// Raw value of a `PaymentGateway`; an unknown value (from a newer binary) reads as no gateway.
    public var gateway: String?
    public var paymentsEnabled: Bool
    public var allowCreditCard: Bool
    public var updatedAt: Date

    public init(tenantID: TenantID, stripeUserID: String? = nil, sealedStripeAccessToken: [UInt8]? = nil,
                keyVersion: Int? = nil, gateway: String? = nil, paymentsEnabled: Bool = false,
                allowCreditCard: Bool = false, updatedAt: Date) {
        self.tenantID = tenantID
        self.stripeUserID = stripeUserID
        self.sealedStripeAccessToken = sealedStripeAccessToken
        self.keyVersion = keyVersion
        self.gateway = gateway
        self.paymentsEnabled = paymentsEnabled
        self.allowCreditCard = allowCreditCard
        self.updatedAt = updatedAt
    }
}

public struct PlatformClientRecord: Sendable, Equatable {
    public var id: PlatformClientID
    public var tenantID: TenantID
    /// The client's name and email in the API layer's encoding, sealed under `keyVersion`.
    public var sealedProfile: [UInt8]
    public var keyVersion: Int
    public var createdAt: Date

    public init(id: PlatformClientID, tenantID: TenantID, sealedProfile: [UInt8], keyVersion: Int, createdAt: Date) {
        self.id = id
        self.tenantID = tenantID
        self.sealedProfile = sealedProfile
        self.keyVersion = keyVersion
        self.createdAt = createdAt
    }
}

/// A synced gateway card as stored: what the gateway shows of it, never a number.
public struct GatewayCardRecord: Sendable, Equatable {
    public var id: GatewayCardID
    public var tenantID: TenantID
    public var clientID: PlatformClientID
    public var customerID: String
    public var externalCardID: String
    /// The gateway the card was synced from (`PaymentGateway` raw value).
    public var paymentProvider: String
    public var vaultToken: Token?
    public var brand: GatewayCardBrand
    public var sealedCardholderName: [UInt8]
    public var keyVersion: Int
    public var expMonth: Int
    public var expYear: Int
    public var last4: String
    public var isDefault: Bool
    /// The API key that synced the card, and its label at the time.
    public var staffID: APIKeyID
    public var staffName: String
    public var createdAt: Date

    public init(id: GatewayCardID, tenantID: TenantID, clientID: PlatformClientID, customerID: String,
                externalCardID: String, paymentProvider: String, vaultToken: Token?, brand: GatewayCardBrand,
                sealedCardholderName: [UInt8], keyVersion: Int, expMonth: Int, expYear: Int, last4: String,
                isDefault: Bool, staffID: APIKeyID, staffName: String, createdAt: Date) {
        self.id = id
        self.tenantID = tenantID
        self.clientID = clientID
        self.customerID = customerID
        self.externalCardID = externalCardID
        self.paymentProvider = paymentProvider
        self.vaultToken = vaultToken
        self.brand = brand
        self.sealedCardholderName = sealedCardholderName
        self.keyVersion = keyVersion
        self.expMonth = expMonth
        self.expYear = expYear
        self.last4 = last4
        self.isDefault = isDefault
        self.staffID = staffID
        self.staffName = staffName
        self.createdAt = createdAt
    }
}
