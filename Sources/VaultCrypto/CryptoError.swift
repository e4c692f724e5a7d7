import COpenSSL

/// Every way a VaultCrypto operation can fail, with a stable code for logs and API errors.
///
/// No case ever carries key material, plaintext or ciphertext: `library` holds only OpenSSL's
/// static reason text, so an error can be logged as-is.
public enum CryptoError: Error, Equatable, Sendable {
    /// AES-GCM tag check failed: wrong key, nonce, AAD, ciphertext or tag.
    case authenticationFailure
    case invalidKeySize
    case invalidNonceSize
    case invalidTagSize
    case invalidCiphertext
    /// RSA decryption failed. One case for every cause, so callers cannot become a padding oracle.
    case decryptionFailure
    /// Key bytes that do not parse (bad DER, wrong algorithm).
    case invalidKey
    case unsupportedKeySize
    /// An unexpected OpenSSL failure; the string is OpenSSL's reason text, never data.
    case library(String)

    /// A stable snake_case identifier, e.g. `"authentication_failure"`.
    public var code: String {
        switch self {
        case .authenticationFailure: "authentication_failure"
        case .invalidKeySize: "invalid_key_size"
        case .invalidNonceSize: "invalid_nonce_size"
        case .invalidTagSize: "invalid_tag_size"
        case .invalidCiphertext: "invalid_ciphertext"
        case .decryptionFailure: "decryption_failure"
        case .invalidKey: "invalid_key"
        case .unsupportedKeySize: "unsupported_key_size"
        case .library: "library_error"
        }
    }
}

extension CryptoError: CustomStringConvertible {
    public var description: String {
        if case .library(let reason) = self { return "\(code): \(reason)" }
        return code
    }
}

extension CryptoError {
    /// Turns the calling thread's OpenSSL error queue into `.library` and clears the queue.
    ///
    /// Call right after the failing OpenSSL call: the queue is per thread, and a left-over entry
    /// would otherwise be blamed on a later, unrelated call.
    static func openSSL(_ operation: StaticString) -> CryptoError {
        let code = ERR_get_error()
        ERR_clear_error()
        if code != 0, let reason = ERR_reason_error_string(code) {
            return .library(String(cString: reason))
        }
        return .library("\(operation) failed")
    }
}

/// Empties the calling thread's OpenSSL error queue after an expected failure.
@inline(__always)
func clearOpenSSLErrors() {
    ERR_clear_error()
}
