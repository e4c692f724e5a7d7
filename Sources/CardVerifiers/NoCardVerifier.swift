import VaultCore

/// Mode `none`: approves every card without calling anything.
///
/// Nothing is checked — not that the card exists, is open, or belongs to whoever sent it — so a
/// vault in this mode keeps any Luhn-valid number with a future expiration. For development, or
/// for deployments whose upstream verifies cards before they reach the vault; never for one that
/// promises its clients verified cards (docs/card-verification.md).
public struct NoCardVerifier: CardVerifier {
    /// The id of every authorization: there is nothing to void.
    public static let authorizationID = CardAuthorizationID(rawValue: "unverified")

    public init() {}

    public func authorize(
        _ card: CardToVerify, securityCode: SecurityCode?, address: BillingAddress?, amount: VerificationAmount
    ) async -> CardAuthorization {
        .approved(Self.authorizationID)
    }

    public func void(_ authorization: CardAuthorizationID) async throws(CardVerifierFailure) {}
}
