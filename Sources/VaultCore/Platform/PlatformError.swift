/// Why the platform refused a payment-settings, client or gateway-card request. Messages are
/// the sentences platform clients show (`"Client not found"`) and never carry request data.
public enum PlatformError: Error, Equatable, Sendable {
    case invalidExpirationMonth
    case invalidExpirationYear
    case invalidLast4
    case unsupportedCardBrand
    /// No gateway type set, or the set gateway has no credentials.
    case gatewayNotConnected
    case paymentsDisabled
    case creditCardsNotAllowed
    /// The client already has a card with this expiration and last 4 digits.
    case duplicateCard
    case cardLimitReached(limit: Int)
    /// Unknown, malformed, or another tenant's.
    case clientNotFound
    case cardNotFound
    /// The `vault_token` names no card of this tenant.
    case vaultCardNotFound
    /// The vault card's last 4, expiration or brand differ from the gateway's description.
    case vaultCardMismatch
    /// `x-on-behalf-of` from a key that is not a directory's (an admin key of the parent tenant).
    case actingForBusinessNotAllowed
    /// `x-on-behalf-of` names no enabled sub-tenant of the key's tenant: malformed, unknown,
    /// another directory's, disabled, or the directory itself. One answer, so nothing is learned.
    case businessNotInDirectory

    public var code: String {
        switch self {
        case .invalidExpirationMonth: "invalid_exp_month"
        case .invalidExpirationYear: "invalid_exp_year"
        case .invalidLast4: "invalid_last_4"
        case .unsupportedCardBrand: "unsupported_card_brand"
        case .gatewayNotConnected: "payment_gateway_not_connected"
        case .paymentsDisabled: "payments_disabled"
        case .creditCardsNotAllowed: "credit_cards_not_allowed"
        case .duplicateCard: "duplicate_gateway_card"
        case .cardLimitReached: "card_limit_reached"
        case .clientNotFound: "client_not_found"
        case .cardNotFound: "gateway_card_not_found"
        case .vaultCardNotFound: "vault_card_not_found"
        case .vaultCardMismatch: "vault_card_mismatch"
        case .actingForBusinessNotAllowed: "on_behalf_of_not_allowed"
        case .businessNotInDirectory: "business_not_in_directory"
        }
    }

    public var message: String {
        switch self {
        case .invalidExpirationMonth: "exp_month must be between 1 and 12"
        case .invalidExpirationYear: "exp_year must be a 4-digit year"
        case .invalidLast4: "last_4 must be 4 digits"
        case .unsupportedCardBrand:
            "card_brand must be one of " + GatewayCardBrand.allCases.map(\.rawValue).joined(separator: ", ")
        case .gatewayNotConnected: "Payment gateway is not connected"
        case .paymentsDisabled: "Payments are disabled"
        case .creditCardsNotAllowed: "Credit card payments are not allowed"
        case .duplicateCard: "Card already exists for this client"
        case .cardLimitReached(let limit): "Client has reached the limit of \(limit) cards"
        case .clientNotFound: "Client not found"
        case .cardNotFound: "Card not found"
        case .vaultCardNotFound: "Vault card not found"
        case .vaultCardMismatch: "Card details do not match the vault card"
        case .actingForBusinessNotAllowed: "x-on-behalf-of is only for directory keys"
        case .businessNotInDirectory: "x-on-behalf-of names no business of this directory"
        }
    }
}
