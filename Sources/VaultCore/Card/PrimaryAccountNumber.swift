/// A card number (PAN) that has passed validation: 12–19 ASCII digits with a valid Luhn check
/// digit. Holding one proves the number is well formed, so later code never re-checks it.
///
/// The PAN is the secret the vault exists to protect, so this type can never be printed:
/// `description`, `debugDescription`, string interpolation, `dump` and reflection show only
/// the brand and last four digits. It is deliberately not `Codable`: the full number leaves
/// this type only through `digits` or `utf8Digits`, which callers must treat as secret.
public struct PrimaryAccountNumber: Sendable, Hashable {
    private let storage: String
    /// The card network from the IIN table in `CardBrand.identify(iin6:)`.
    public let brand: CardBrand

    /// Validates `digits` strictly: ASCII `0`–`9` only (no spaces, dashes or other scripts'
    /// digits), 12–19 of them, and a valid Luhn check digit.
    public init(_ digits: String) throws(CardError) {
        var digits = digits
        let ok = digits.withUTF8 { Self.validate($0) }
        if let error = ok { throw error }
        storage = digits
        brand = Self.brand(ofValidated: digits.utf8)
    }

    /// Validates and builds a PAN from the ASCII bytes of a packed card-data field.
    init<Bytes: Collection<UInt8>>(ascii bytes: Bytes) throws(CardError) {
        if let error = Self.validate(bytes) { throw error }
        storage = String(decoding: bytes, as: UTF8.self)
        brand = Self.brand(ofValidated: bytes)
    }

    /// The leading digits that may be shown and stored beside `last4`: the first six (the issuer
    /// identification number), fewer for numbers under 16 digits, so that at least
    /// `minimumHiddenDigits` stay hidden whatever the length — 12 digits keep 2, 13 keep 3, 14 keep
    /// 4, 15 keep 5, 16–19 keep 6 (`docs/security.md`, "Masked digits"). Six digits and the last
    /// four of a 12-digit number would leave two to guess, and Luhn cuts those to ten candidates.
    /// The brand is read from the full number, never from these.
    public var leadingDigits: String {
        let count = storage.utf8.count
        return String(decoding: storage.utf8.prefix(min(6, count - 4 - Self.minimumHiddenDigits)), as: UTF8.self)
    }

    /// How many digits neither `leadingDigits` nor `last4` shows, at the least.
    public static let minimumHiddenDigits = 6

    /// The last four digits. Not secret under PCI DSS; safe to show and store.
    public var last4: String { String(decoding: storage.utf8.suffix(4), as: UTF8.self) }

    /// The full card number. Secret: never log it, persist it in the clear, or put it in errors.
    public var digits: String { storage }

    /// The full card number as ASCII bytes, for HMAC fingerprints and encryption. Secret.
    public var utf8Digits: [UInt8] { Array(storage.utf8) }

    /// Returns the first problem with `bytes`, or `nil` for a valid PAN.
    private static func validate<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> CardError? {
        let count = bytes.count
        guard (12...19).contains(count) else { return .invalidCardNumber }
        var sum = 0
        var doubled = count % 2 == 0  // the leftmost digit is doubled when the count is even
        for byte in bytes {
            let digit = Int(byte) &- 0x30
            guard digit >= 0 && digit <= 9 else { return .invalidCardNumber }
            if doubled {
                let twice = digit &* 2
                sum &+= twice > 9 ? twice &- 9 : twice
            } else {
                sum &+= digit
            }
            doubled.toggle()
        }
        return sum % 10 == 0 ? nil : .luhnCheckFailed
    }

    /// The brand from the first six digits of already-validated ASCII digits.
    private static func brand<Bytes: Collection<UInt8>>(ofValidated bytes: Bytes) -> CardBrand {
        var iin = 0
        for byte in bytes.prefix(6) { iin = iin &* 10 &+ Int(byte &- 0x30) }
        return CardBrand.identify(iin6: iin)
    }
}

/// Short name used throughout the vault.
public typealias PAN = PrimaryAccountNumber

extension PrimaryAccountNumber: CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Masked, e.g. `PAN(visa ••••1111)`: never more than the last four digits.
    public var description: String { "PAN(\(brand.rawValue) ••••\(last4))" }
    public var debugDescription: String { description }
    /// Reflection (`dump`, debuggers, reflection-based loggers) sees the brand only.
    public var customMirror: Mirror {
        Mirror(self, children: ["brand": brand], displayStyle: .struct)
    }
}
