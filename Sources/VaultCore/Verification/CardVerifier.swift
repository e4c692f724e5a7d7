/// Checks with a processor that a card is live before the vault keeps it: a small
/// authorization, voided right after (Ticket Evolution verifies each card this way).
///
/// The core decides when to verify and what an answer means; how is configuration's choice
/// (`CardVerifiers`: `none`, `sandbox`, a gateway over HTTPS). The inputs are the vault's own
/// value types, never a vendor's shapes. The security code is passed to one call and never kept:
/// no implementation may store or log it, nor put a card number in a reason or error.
public protocol CardVerifier: Sendable {
    /// Asks for an authorization of `amount` on `card`.
    func authorize(
        _ card: CardToVerify, securityCode: SecurityCode?, address: BillingAddress?, amount: VerificationAmount
    ) async -> CardAuthorization

    /// Releases an approved authorization, so the cardholder's funds are not held.
    func void(_ authorization: CardAuthorizationID) async throws(CardVerifierFailure)
}

/// The card data a verification needs. Its description shows the brand and last four only.
public struct CardToVerify: Sendable {
    public var number: PrimaryAccountNumber
    public var expiration: ExpirationDate
    public var cardholderName: String?

    public init(number: PrimaryAccountNumber, expiration: ExpirationDate, cardholderName: String? = nil) {
        self.number = number
        self.expiration = expiration
        self.cardholderName = cardholderName
    }
}

extension CardToVerify: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "CardToVerify(\(number))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["number": number], displayStyle: .struct) }
}

/// The cardholder's billing address, for the processor's address check (AVS). Personal data:
/// its description names no field's value.
public struct BillingAddress: Sendable, Hashable {
    public var line1: String
    public var line2: String?
    public var city: String?
    /// State or province code (`NY`).
    public var region: String?
    public var postalCode: String?
    /// ISO 3166-1 alpha-2 (`US`) or alpha-3 (`USA`), as the caller's API carried it.
    public var countryCode: String?

    public init(
        line1: String, line2: String? = nil, city: String? = nil, region: String? = nil, postalCode: String? = nil,
        countryCode: String? = nil
    ) {
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.countryCode = countryCode
    }
}

extension BillingAddress: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "BillingAddress(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// An amount in a currency's minor units (cents).
public struct VerificationAmount: Sendable, Hashable {
    public var minorUnits: Int
    /// ISO 4217 alphabetic code.
    public var currency: String

    public init(minorUnits: Int, currency: String) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// $1.00: what a verification authorizes and voids.
    public static let oneDollar = VerificationAmount(minorUnits: 100, currency: "USD")

    /// `1.00`: the amount with two decimals, as gateways take it (currencies with other
    /// exponents are not verified in).
    public var decimal: String {
        let cents = minorUnits % 100
        return "\(minorUnits / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}

/// The processor's identifier of an authorization, for `void`.
public struct CardAuthorizationID: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

/// What an authorization came to.
public enum CardAuthorization: Sendable, Hashable {
    /// The card is live; the authorization must be voided.
    case approved(CardAuthorizationID)
    /// The issuer or the gateway said no: the card must not be kept.
    case declined(CardDecline)
    /// No answer about the card (gateway down, timeout, malformed reply): neither keep nor
    /// blame the card; the client may retry later.
    case failed(CardVerifierFailure)
}

/// Why a card was declined: a stable `code` and the processor's short text, which never holds
/// the card number.
public struct CardDecline: Sendable, Hashable, CustomStringConvertible {
    /// `processor_declined`, `gateway_rejected` or `not_a_test_card` (sandbox).
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// Why a verifier could not give an answer.
public enum CardVerifierFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The gateway could not be reached or did not answer in time (with the transport's code,
    /// e.g. `read_timeout`).
    case unavailable(String)
    /// The gateway answered with an error status (5xx, or a 4xx other than a decline — e.g.
    /// refused credentials).
    case gatewayError(status: Int)
    /// The answer did not have the documented shape.
    case invalidResponse(String)

    /// Stable snake_case for logs, metrics and error envelopes.
    public var code: String {
        switch self {
        case .unavailable: "verifier_unavailable"
        case .gatewayError: "verifier_gateway_error"
        case .invalidResponse: "verifier_invalid_response"
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let reason): "\(code): \(reason)"
        case .gatewayError(let status): "\(code): HTTP \(status)"
        case .invalidResponse(let reason): "\(code): \(reason)"
        }
    }
}
