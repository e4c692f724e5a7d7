import Foundation

/// Why a patron request was refused; each has a stable code.
public enum PatronError: Error, Sendable, Equatable {
    case patronNotFound
    /// An address id that is not one of the patron's addresses.
    case addressNotFound
    /// A phone number id that is not one of the patron's phone numbers.
    case phoneNumberNotFound
    case cardNotFound
    case credentialNotFound
    /// The processor declined the card at `index` of the batch; nothing was stored.
    case cardDeclined(index: Int, CardDecline)
    /// The verifier gave no answer for the card at `index`; nothing was stored.
    case verificationUnavailable(index: Int, CardVerifierFailure)

    public var code: String {
        switch self {
        case .patronNotFound: "client_not_found"
        case .addressNotFound: "address_not_found"
        case .phoneNumberNotFound: "phone_number_not_found"
        case .cardNotFound: "credit_card_not_found"
        case .credentialNotFound: "credential_not_found"
        case .cardDeclined: "card_declined"
        case .verificationUnavailable: "verification_unavailable"
        }
    }
}

/// A new signing credential: the token and secret are shown this once. The store keeps the
/// token's hash and the secret sealed (it must be recoverable to check signatures).
public struct IssuedSigningCredential: Sendable {
    public var record: SigningCredentialRecord
    public var token: String
    public var secret: String
}

/// A patron with its profile opened.
public struct Patron: Sendable {
    public var id: PatronRowID
    public var profile: [UInt8]
    public var createdAt: Date
}

/// An address or phone number with its details opened.
public struct PatronContact: Sendable {
    public var id: PatronRowID
    public var patronID: PatronRowID
    public var kind: PatronContactKind
    public var details: [UInt8]
    public var createdAt: Date
}

/// One card of a batch to verify and store.
public struct NewPatronCard: Sendable {
    /// Number and expiration, and the security code for the verification call only.
    public var card: CardData
    public var cardholderName: String
    public var addressID: PatronRowID
    public var phoneNumberID: PatronRowID
    /// Label and cardholder name in the API layer's encoding; sealed.
    public var details: [UInt8]

    public init(card: CardData, cardholderName: String, addressID: PatronRowID, phoneNumberID: PatronRowID,
                details: [UInt8]) {
        self.card = card
        self.cardholderName = cardholderName
        self.addressID = addressID
        self.phoneNumberID = phoneNumberID
        self.details = details
    }
}

/// A stored patron card: what may be shown of the vault card, and the contacts it names.
public struct PatronCard: Sendable {
    public var id: PatronRowID
    public var patronID: PatronRowID
    public var details: [UInt8]
    public var card: CardMetadata
    public var address: PatronContact
    public var phoneNumber: PatronContact
    public var createdAt: Date
}
