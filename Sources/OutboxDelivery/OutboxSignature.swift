import VaultCrypto

/// The `Coffer-Signature` header of an outbound delivery, in Stripe's webhook form:
/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`. Signing the time with the
/// body lets a receiver refuse a replayed request once it is older than its tolerance
/// (docs/operations.md shows the check).
public enum OutboxSignature {
    public static let headerName = "Coffer-Signature"

    /// The header value for `body` sent at `timestamp` (seconds since 1970), under `secret`.
    public static func header(body: [UInt8], timestamp: Int64, secret: SecretBytes) -> String {
        let signed = Array("\(timestamp).".utf8) + body
        let code = HMACSHA256.authenticationCode(for: signed, using: secret)
        return "t=\(timestamp),v1=" + code.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
