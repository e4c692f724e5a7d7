import Foundation

/// The one error type of the card model, so callers can switch exhaustively and map each case
/// to a stable API error code. Cases carry no payload: an error can never leak card data.
public enum CardError: Error, Equatable, Hashable, Sendable, CaseIterable {
    /// Not ASCII digits only, or a length outside 12–19.
    case invalidCardNumber
    /// The digits fail the Luhn (mod 10) check.
    case luhnCheckFailed
    /// Not `YYYYMM`, or a month outside 01–12.
    case invalidExpirationDate
    /// A well-formed expiration date in the past.
    case expiredCard
    /// Not 3 or 4 ASCII digits.
    case invalidSecurityCode
    /// Not packed as `CardNumber|YYYYMM|SecurityCode` (exactly two pipes, no whitespace).
    case malformedCardData
    /// Not exactly 22 characters of `[A-Za-z0-9_-]`.
    case invalidKeyID
    /// Any failure to decode, decrypt or unpack an encrypted card blob. Deliberately one case,
    /// so a caller cannot learn which step failed (no padding or format oracle).
    case invalidEncryptedData
    /// An encryption mode other than the TabaPay modes 0, 1 and 2.
    case unsupportedEncryptionMode

    /// A stable snake_case identifier for API error envelopes and metrics.
    public var code: String {
        switch self {
        case .invalidCardNumber: "invalid_card_number"
        case .luhnCheckFailed: "luhn_check_failed"
        case .invalidExpirationDate: "invalid_expiration_date"
        case .expiredCard: "expired_card"
        case .invalidSecurityCode: "invalid_security_code"
        case .malformedCardData: "malformed_card_data"
        case .invalidKeyID: "invalid_key_id"
        case .invalidEncryptedData: "invalid_encrypted_data"
        case .unsupportedEncryptionMode: "unsupported_encryption_mode"
        }
    }

    /// Human-readable text for an API response. Never contains card data.
    public var message: String {
        switch self {
        case .invalidCardNumber:
            "The card number must be 12 to 19 digits (0-9) with no spaces or separators."
        case .luhnCheckFailed:
            "The card number is not valid: its check digit does not match."
        case .invalidExpirationDate:
            "The expiration date must be in YYYYMM format with a month from 01 to 12."
        case .expiredCard:
            "The card has expired."
        case .invalidSecurityCode:
            "The security code must be 3 or 4 digits."
        case .malformedCardData:
            "Card data must be packed as CardNumber|YYYYMM|SecurityCode: both pipes present, no spaces."
        case .invalidKeyID:
            "The key ID must be 22 characters from A-Z, a-z, 0-9, '-' and '_'."
        case .invalidEncryptedData:
            "The encrypted card data could not be decrypted or read."
        case .unsupportedEncryptionMode:
            "The encryption mode is not supported: use 2 (RSA-OAEP SHA-256) or 1 (RSA-OAEP SHA-256, MGF1-SHA-1)."
        }
    }
}

extension CardError: CustomStringConvertible, LocalizedError {
    public var description: String { "\(code): \(message)" }
    public var errorDescription: String? { message }
}
