import Foundation

/// The payment instrument an account holds.
public enum AccountInstrument: Sendable {
    case card(CardInput)
    case bank(BankAccount)
}

/// How a new card account is checked against the tenant's earlier ones (TabaPay's
/// "duplicate card check"). Only accounts created with a check take part in later checks, so a
/// tenant that mixes checked and unchecked creates gets no guarantee for the unchecked ones.
public enum DuplicateCardCheck: Sendable, Equatable {
    /// Not checked, and the account is not seen by later checks.
    case none
    /// A match stores nothing and fails with `VaultError.duplicateCard`.
    case reject
    /// The account is stored either way; the matches are reported.
    case report
}

public struct NewAccount: Sendable {
    /// The caller's own reference; not unique: a lookup by it finds the newest account.
    public var referenceID: String?
    public var instrument: AccountInstrument
    /// The holder's details in whatever encoding the API layer chose; the vault only seals them.
    public var holder: [UInt8]
    /// Applies to card accounts; bank accounts are never checked.
    public var duplicateCheck: DuplicateCardCheck

    public init(referenceID: String?, instrument: AccountInstrument, holder: [UInt8],
                duplicateCheck: DuplicateCardCheck) {
        self.referenceID = referenceID
        self.instrument = instrument
        self.holder = holder
        self.duplicateCheck = duplicateCheck
    }
}

/// What may be shown of a stored bank account: never the full number.
public struct BankAccountSummary: Sendable, Equatable {
    public var routingNumber: String
    public var accountType: BankAccountType
    public var last4: String
}

/// A change to a stored account; the account keeps its ID (TabaPay's Update Account).
public enum AccountUpdate: Sendable {
    /// Replaces the instrument and the holder (TabaPay v1). The instrument must be of the
    /// account's kind: a card for a card account, a bank account for a bank account.
    case replace(AccountInstrument, holder: [UInt8], duplicateCheck: DuplicateCardCheck)
    /// Changes the holder and/or the card's expiration, never a number (TabaPay v2). `holder`
    /// maps the stored holder to the new one, so a partial change applies to what is stored.
    case amend(holder: (@Sendable ([UInt8]) throws -> [UInt8])?, expiration: ExpirationDate?)
}

/// A stored account as a create or update leaves it.
public struct SavedAccount: Sendable {
    public var id: Token
    public var card: CardMetadata?
    public var bank: BankAccountSummary?
    /// Earlier duplicate-checked accounts with the same card, most recent first, at most
    /// `Vault.duplicateAccountLimit`. Empty when no check ran.
    public var duplicates: [Token]
    /// The request asked for a duplicate check on a card, and the caller lacks the `fingerprint`
    /// grant: the card was stored without the check (none was made) and takes no part in later ones.
    public var duplicateCheckSkipped = false
}

public struct AccountDetails: Sendable {
    public var id: Token
    public var referenceID: String?
    public var card: CardMetadata?
    public var bank: BankAccountSummary?
    public var holder: [UInt8]
    public var createdAt: Date
}
