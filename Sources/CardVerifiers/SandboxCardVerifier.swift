import Synchronization
import VaultCore

/// Mode `sandbox`: Braintree's sandbox rules for card verification, decided locally — no
/// network, the same answer for the same card every time.
///
/// Braintree's "Testing and Go Live" guide lists the card numbers its sandbox accepts
/// ("Valid card numbers") and four that "simulate an unsuccessful card verification response"
/// (processor declined). The sandbox accepts no other numbers, so neither does this one: any
/// other card is declined as `not_a_test_card`. Amount, security code and address are not
/// consulted (Braintree: "verification success is determined by the test card number").
public final class SandboxCardVerifier: CardVerifier {
    /// Braintree's valid test card numbers.
    public static let approvedNumbers: Set<String> = [
        "378282246310005", "371449635398431",  // American Express
        "36259600000004",  // Diners Club
        "6011000991300009",  // Discover
        "3530111333300000",  // JCB
        "6304000000000000",  // Maestro
        "5555555555554444", "2223000048400011",  // Mastercard
        "4111111111111111", "4005519200000004", "4009348888881881", "4012000033330026",  // Visa
        "4012000077777777", "4012888888881881", "4217651111111119", "4500600000000061",
        "6243030000000001", "6221261111117766", "6223164991230014",  // UnionPay
    ]

    /// Braintree's card numbers for an unsuccessful verification (processor declined).
    public static let declinedNumbers: Set<String> = [
        "4000111111111115",  // Visa
        "5105105105105100",  // Mastercard
        "378734493671000",  // American Express
        "6011000990139424",  // Discover
    ]

    private let state = Mutex((issued: 0, open: Set<String>()))

    public init() {}

    public func authorize(
        _ card: CardToVerify, securityCode: SecurityCode?, address: BillingAddress?, amount: VerificationAmount
    ) async -> CardAuthorization {
        let digits = card.number.digits
        if Self.declinedNumbers.contains(digits) {
            return .declined(CardDecline(code: "processor_declined", message: "Processor declined (sandbox test card)."))
        }
        guard Self.approvedNumbers.contains(digits) else {
            return .declined(CardDecline(code: "not_a_test_card", message: "The sandbox accepts only test card numbers."))
        }
        let id = state.withLock { state in
            state.issued += 1
            let id = "sandbox-\(state.issued)"
            state.open.insert(id)
            return id
        }
        return .approved(CardAuthorizationID(rawValue: id))
    }

    /// Forgets the authorization; an id it never issued (or already voided) is an error, as a
    /// gateway would answer, so a caller voiding twice or voiding a decline shows in tests.
    public func void(_ authorization: CardAuthorizationID) async throws(CardVerifierFailure) {
        let known = state.withLock { $0.open.remove(authorization.rawValue) != nil }
        guard known else { throw .invalidResponse("no open authorization '\(authorization)'") }
    }

    /// Authorizations approved and not voided yet.
    public var openAuthorizations: Set<CardAuthorizationID> {
        Set(state.withLock { $0.open }.map(CardAuthorizationID.init(rawValue:)))
    }
}
