/// Why a token was refused, with a stable code for logs and API errors.
///
/// No case carries token content: reasons and claim names are fixed text, so an error can be
/// logged as-is even when the token was an attacker's.
public enum JWTError: Error, Equatable, Sendable {
    /// Longer than `HS256.maximumTokenLength`; refused before any decoding or parsing.
    case tooLarge
    /// Not three segments of strict unpadded Base64URL, or a header or payload that is not one
    /// strict JSON object (duplicate members included). `reason` says which, in fixed text.
    case malformed(reason: String)
    /// The header's `alg` is missing or is anything but exactly `"HS256"` (`none`, `HS512`, …).
    case unsupportedAlgorithm
    /// A header parameter the verifier will not honour: `typ` other than `"JWT"`, or any `crit`.
    case unsupportedHeader(String)
    /// The signature is not the HMAC-SHA256 of the received header and payload under our key.
    case badSignature
    /// `exp` has passed, leeway included.
    case expired
    /// `nbf` or `iat` lies in the future beyond the leeway.
    case notYetValid
    /// A claim the verifier was told to require is absent (`exp`, or `aud` when an audience is expected).
    case missingClaim(String)
    /// A registered claim of the wrong type: a date that is not an integer, `iss` that is not a string, …
    case invalidClaim(String)
    /// The token names audiences, and the expected one is not among them (or none was expected).
    case invalidAudience

    /// A stable snake_case identifier, e.g. `"bad_signature"`.
    public var code: String {
        switch self {
        case .tooLarge: "too_large"
        case .malformed: "malformed"
        case .unsupportedAlgorithm: "unsupported_algorithm"
        case .unsupportedHeader: "unsupported_header"
        case .badSignature: "bad_signature"
        case .expired: "expired"
        case .notYetValid: "not_yet_valid"
        case .missingClaim: "missing_claim"
        case .invalidClaim: "invalid_claim"
        case .invalidAudience: "invalid_audience"
        }
    }
}

extension JWTError: CustomStringConvertible {
    /// The code, followed by the reason or the name of the header parameter or claim.
    public var description: String {
        switch self {
        case .malformed(let detail), .unsupportedHeader(let detail), .missingClaim(let detail), .invalidClaim(let detail):
            "\(code): \(detail)"
        default:
            code
        }
    }
}
