import Foundation
import VaultCrypto

/// A client of a tenant's business on the inTandem-style platform: the owner of gateway cards.
public struct PlatformClientID: RandomIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// A card synced from an external gateway. Not a vault token: the gateway holds the number.
public struct GatewayCardID: RandomIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// The gateways whose credentials the platform takes; a card can only be synced from one of them.
public enum PaymentGateway: String, Sendable, CaseIterable {
    case stripe
}

/// A partial update of a tenant's payment settings: nil leaves a setting as it is, so
/// credentials and switches can be set by separate calls.
public struct PaymentSettingsUpdate: Sendable {
    public var stripeUserID: String?
    /// A secret: sealed before it reaches the store, never returned.
    public var stripeAccessToken: SecretBytes?
    public var gateway: PaymentGateway?
    public var paymentsEnabled: Bool?
    public var allowCreditCard: Bool?

    public init(stripeUserID: String? = nil, stripeAccessToken: SecretBytes? = nil, gateway: PaymentGateway? = nil,
                paymentsEnabled: Bool? = nil, allowCreditCard: Bool? = nil) {
        self.stripeUserID = stripeUserID
        self.stripeAccessToken = stripeAccessToken
        self.gateway = gateway
        self.paymentsEnabled = paymentsEnabled
        self.allowCreditCard = allowCreditCard
    }
}

/// What may be shown of a tenant's payment settings: whether an access token is held, never the token.
public struct PaymentSettings: Sendable, Equatable {
    public var stripeUserID: String?
    public var stripeConnected: Bool
    public var gateway: PaymentGateway?
    public var paymentsEnabled: Bool
    public var allowCreditCard: Bool
}

public struct PlatformClient: Sendable {
    public var id: PlatformClientID
    public var createdAt: Date
}

/// A card as the gateway describes it, checked against the platform's rules.
public struct GatewayCardDetails: Sendable, Equatable {
    public var expMonth: Int
    public var expYear: Int
    public var last4: String
    public var cardholderName: String
    public var brand: GatewayCardBrand

    /// `brand` is either of Stripe's spellings (`GatewayCardBrand`). An expired card is accepted:
    /// the gateway, not the platform, decides whether it can still be charged.
    public init(expMonth: Int, expYear: Int, last4: String, cardholderName: String, brand: String) throws(PlatformError) {
        guard (1...12).contains(expMonth) else { throw .invalidExpirationMonth }
        guard (1000...9999).contains(expYear) else { throw .invalidExpirationYear }
        guard last4.utf8.count == 4, last4.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { throw .invalidLast4 }
        guard let brand = GatewayCardBrand(stripe: brand) else { throw .unsupportedCardBrand }
        self.expMonth = expMonth
        self.expYear = expYear
        self.last4 = last4
        self.cardholderName = cardholderName
        self.brand = brand
    }

    /// The duplicate rule: one card per client with the same expiration and last 4 digits.
    func isSameCard(as record: GatewayCardRecord) -> Bool {
        record.expMonth == expMonth && record.expYear == expYear && record.last4 == last4
    }

    /// Whether a card held in the vault is this card, as far as the gateway's description tells.
    /// A brand without a network in the IIN table (a local scheme, `unknown`) cannot be compared.
    func matches(_ card: CardRecord) -> Bool {
        card.last4 == last4 && brand.network.map { $0 == card.brand } ?? true
            && card.expiration?.year == expYear && card.expiration?.month == expMonth
    }
}

public struct NewGatewayCard: Sendable {
    public var clientID: PlatformClientID
    public var customerID: String
    public var externalCardID: String
    /// Makes this the client's default card; a client's first card is its default either way.
    public var makeDefault: Bool
    public var details: GatewayCardDetails
    /// A card held in this vault that the gateway card is a copy of.
    public var vaultToken: Token?

    public init(clientID: PlatformClientID, customerID: String, externalCardID: String, makeDefault: Bool,
                details: GatewayCardDetails, vaultToken: Token?) {
        self.clientID = clientID
        self.customerID = customerID
        self.externalCardID = externalCardID
        self.makeDefault = makeDefault
        self.details = details
        self.vaultToken = vaultToken
    }
}

/// Which slice of a list to answer: the platform pages every list, 25 entries by default.
public struct ListPage: Sendable, Equatable {
    public static let defaultSize = 25
    public static let maximumSize = 100
    /// Pages past this one are refused rather than computed, so the offset cannot overflow.
    public static let maximumNumber = 1_000_000

    /// 1-based.
    public var number: Int
    public var size: Int

    public init(number: Int = 1, size: Int = ListPage.defaultSize) {
        self.number = number
        self.size = size
    }

    /// The entries of `all` on this page; empty past the last page.
    func slice<Element>(_ all: [Element]) -> ArraySlice<Element> {
        all.dropFirst((number - 1) * size).prefix(size)
    }
}

/// A synced card as callers see it: the stored record with its cardholder name opened.
public struct GatewayCard: Sendable {
    public var record: GatewayCardRecord
    public var cardholderName: String
}
