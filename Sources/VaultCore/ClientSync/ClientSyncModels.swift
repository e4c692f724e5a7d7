import Foundation

/// What a payment method holds, as a sync request names it.
public enum PaymentInstrumentInput: Sendable {
    /// Card data in any form tokenize takes (plain, encrypted, a single-use token): stored as a new card.
    case card(CardInput)
    /// A Coffer token: a single-use card token is taken and its card stored; a card the tenant
    /// already holds, by its reusable token, is referred to, never copied.
    case token(Token)
    case bank(BankAccount)
}

public struct PaymentMethodInput: Sendable {
    /// The caller's identifier for the method: a second sync with the same one updates it.
    public var identifier: String?
    public var instrument: PaymentInstrumentInput
    /// The brand the caller expects; a card of another (known) brand is refused, never overwritten.
    public var brandHint: CardBrand?
    /// Name, zip code, label, type hint… in the API layer's encoding; the vault only seals them.
    public var details: [UInt8]
    public var setAsDefault: Bool

    /// Whether the method brings card data or a card token (what the tokenize limit meters).
    var carriesCard: Bool {
        if case .bank = instrument { false } else { true }
    }

    public init(identifier: String?, instrument: PaymentInstrumentInput, brandHint: CardBrand?, details: [UInt8],
                setAsDefault: Bool) {
        self.identifier = identifier
        self.instrument = instrument
        self.brandHint = brandHint
        self.details = details
        self.setAsDefault = setAsDefault
    }
}

/// The client a sync is about: found by the caller's identifier, created when new.
public struct SyncClientInput: Sendable {
    public var identifier: String
    /// The client's personal data in the API layer's encoding, sealed; nil leaves an existing client's as it is.
    public var meta: [UInt8]?

    public init(identifier: String, meta: [UInt8]?) {
        self.identifier = identifier
        self.meta = meta
    }
}

public struct ClientSyncResult: Sendable {
    public var clientID: SyncClientID
    /// The request's payment methods, in request order.
    public var paymentMethods: [(id: PaymentMethodID, identifier: String?)]
}

public struct PaymentMethodDetails: Sendable {
    public var id: PaymentMethodID
    public var identifier: String?
    public var kind: PaymentMethodRecord.Kind
    public var isDefault: Bool
    /// Nil once the card was deleted through another API.
    public var card: CardMetadata?
    public var bank: BankAccountSummary?
    public var details: [UInt8]
    public var createdAt: Date
}
