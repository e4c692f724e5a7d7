/// A card brand as Stripe reports it, stored in Stripe's current spelling (`PaymentMethod.card.brand`).
///
/// Stripe names brands two ways: the legacy Card and Source objects say "American Express",
/// "Diners Club", "MasterCard"…; PaymentMethods say `amex`, `diners`, `mastercard`…. An integration
/// copies whichever object it holds, so both are accepted (without regard to case) and normalised.
/// Local schemes (`cartes_bancaires`, `eftpos_au`, `girocard`), `link` and `unknown` are brands the
/// gateway reports although Coffer's IIN table has no network for them.
public enum GatewayCardBrand: String, Sendable, CaseIterable {
    case amex
    case cartesBancaires = "cartes_bancaires"
    case diners, discover
    case eftposAustralia = "eftpos_au"
    case girocard, jcb, link, mastercard, unionpay, visa, unknown

    /// `spelling` in either of Stripe's spellings, any case; nil for anything else.
    public init?(stripe spelling: String) {
        let lowercased = spelling.lowercased()
        guard let brand = Self(rawValue: lowercased) ?? Self.allCases.first(where: { $0.legacyName == lowercased }) else {
            return nil
        }
        self = brand
    }

    /// The name the legacy Card object gives the brand, lowercased; nil where it has none.
    private var legacyName: String? {
        switch self {
        case .amex: "american express"
        case .cartesBancaires: "cartes bancaires"
        case .diners: "diners club"
        case .discover: "discover"
        case .eftposAustralia: "eftpos australia"
        case .girocard: "girocard"
        case .jcb: "jcb"
        case .link: nil
        case .mastercard: "mastercard"
        case .unionpay: "unionpay"
        case .visa: "visa"
        case .unknown: "unknown"
        }
    }

    /// The network the vault's IIN table would give a card of this brand; nil where it has none.
    public var network: CardBrand? {
        switch self {
        case .amex: .amex
        case .diners: .diners
        case .discover: .discover
        case .jcb: .jcb
        case .mastercard: .mastercard
        case .unionpay: .unionpay
        case .visa: .visa
        case .cartesBancaires, .eftposAustralia, .girocard, .link, .unknown: nil
        }
    }
}
