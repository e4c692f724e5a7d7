import Foundation
import JSON
import VaultCrypto

/// JSON Web Tokens signed with HMAC-SHA256 (RFC 7519, in the JWS compact serialization of
/// RFC 7515): `sign` issues them, `verify` checks them, both with one secret.
///
/// The algorithm belongs to this type, never to the token: a header whose `alg` is anything but
/// exactly `"HS256"` is refused before the signature is even computed, so a token cannot talk the
/// verifier into `none` or into using the secret as some other algorithm's key.
public struct HS256: Sendable {
    /// The shortest secret accepted: 256 bits, the output size of SHA-256 (RFC 7518 §3.2).
    public static let minimumKeyByteCount = 32
    /// Longer tokens are refused before any decoding, so parsing work stays bounded.
    public static let maximumTokenLength = 8 * 1024
    /// Tolerance for clocks that disagree, applied to `exp`, `nbf` and `iat`: enough for hosts
    /// without tight NTP, small against token lifetimes of minutes.
    public static let defaultLeeway: TimeInterval = 30

    /// The header of every token we issue; what we verify may be any strict JSON serialization.
    private static let encodedHeader = Base64URL.encode(#"{"alg":"HS256","typ":"JWT"}"#.utf8)

    private let secret: SecretBytes

    /// With a 256-bit key, e.g. a tenant's wrapped SSO secret.
    public init(key: SymmetricKey) {
        secret = key.secret
    }

    /// With a secret of at least `minimumKeyByteCount` bytes; `CryptoError.invalidKeySize` if shorter.
    public init(secret: SecretBytes) throws(CryptoError) {
        guard secret.count >= Self.minimumKeyByteCount else { throw .invalidKeySize }
        self.secret = secret
    }

    /// The compact serialization `header.payload.signature` of `claims`, with the header
    /// `{"alg":"HS256","typ":"JWT"}` — plus `"kid"` when a `keyID` names which of the issuer's
    /// keys signed it (one per tenant, say), so the verifier can pick the key.
    public func sign(_ claims: JWTClaims, keyID: String? = nil) -> String {
        let header = keyID.map { Base64URL.encode(JSONWriter.write(["alg": "HS256", "typ": "JWT", "kid": .string($0)])) }
        let signingInput = (header ?? Self.encodedHeader) + "." + Base64URL.encode(JSONWriter.write(.object(claims.payload)))
        return signingInput + "." + Base64URL.encode(authenticationCode(Array(signingInput.utf8)))
    }

    /// The header's `kid`, read WITHOUT verifying anything: use it only to choose the key that
    /// `verify` then checks the whole token with; nil when the token has no readable `kid`.
    public static func unverifiedKeyID(of token: String) -> String? {
        guard token.utf8.count <= maximumTokenLength,
              let end = token.utf8.firstIndex(of: UInt8(ascii: ".")),
              let header = decode(ArraySlice(token.utf8[..<end])),
              case .string(let keyID)? = (try? JSONParser.parse(header))?.objectValue?["kid"]
        else { return nil }
        return keyID
    }

    /// Checks `token` and returns its claims, or throws why it is refused.
    ///
    /// In order: the length cap; exactly three segments of strict unpadded Base64URL; a header
    /// that is one JSON object with `alg` exactly `"HS256"`, `typ` absent or `"JWT"`, no `crit`;
    /// the signature, compared in constant time with the HMAC of the received `header.payload`
    /// bytes; a payload that is one JSON object with well-typed registered claims; then the claims.
    ///
    /// - Parameters:
    ///   - now: the time to check `exp`, `nbf` and `iat` against.
    ///   - leeway: seconds of clock skew forgiven in those checks; must not be negative.
    ///   - audience: who we are. A token naming audiences must name this one; with `nil`, a token
    ///     naming any audience is refused (it was meant for someone else).
    ///   - requiresExpiration: whether a token without `exp` is refused (it would never expire).
    public func verify(
        _ token: String, now: Date = Date(), leeway: TimeInterval = HS256.defaultLeeway,
        audience: String? = nil, requiresExpiration: Bool = true
    ) throws(JWTError) -> JWTClaims {
        precondition(leeway >= 0 && leeway.isFinite, "leeway must be a finite, non-negative number of seconds")
        guard token.utf8.count <= Self.maximumTokenLength else { throw .tooLarge }
        let bytes = Array(token.utf8)
        // Four pieces at most: enough to tell three segments from more without splitting every dot.
        let segments = bytes.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
        guard segments.count == 3 else { throw .malformed(reason: "a token has exactly three segments") }
        guard let header = Self.decode(segments[0]), let payload = Self.decode(segments[1]),
              let signature = Self.decode(segments[2])
        else { throw .malformed(reason: "a segment is not unpadded Base64URL") }

        try Self.checkHeader(try Self.object(header, "header"))
        guard constantTimeEquals(signature, authenticationCode(Array(bytes[..<segments[1].endIndex]))) else {
            throw .badSignature
        }
        let claims = try JWTClaims(parsing: try Self.object(payload, "payload"))
        try Self.check(claims, at: now.timeIntervalSince1970, leeway: leeway, audience: audience,
                       requiresExpiration: requiresExpiration)
        return claims
    }

    private func authenticationCode(_ signingInput: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticationCode(for: signingInput, using: secret)
    }

    private static func decode(_ segment: ArraySlice<UInt8>) -> [UInt8]? {
        Base64URL.decode(String(decoding: segment, as: UTF8.self))
    }

    /// Strict JSON (duplicate members refused, so no parser can read another `alg` or `exp`) that
    /// must be an object.
    private static func object(_ json: [UInt8], _ part: String) throws(JWTError) -> JSONObject {
        guard let object = (try? JSONParser.parse(json))?.objectValue else {
            throw .malformed(reason: "the \(part) is not a JSON object")
        }
        return object
    }

    /// Parameters we do not understand are ignored (RFC 7515 §4), except `crit`, whose point is
    /// that they must not be. `kid`, `jku`, `jwk`, `x5u`, `x5c` never choose the key: the caller does.
    private static func checkHeader(_ header: JSONObject) throws(JWTError) {
        guard header["alg"] == .string("HS256") else { throw .unsupportedAlgorithm }
        if let type = header["typ"], type != .string("JWT") { throw .unsupportedHeader("typ") }
        if header["crit"] != nil { throw .unsupportedHeader("crit") }
    }

    private static func check(
        _ claims: JWTClaims, at now: TimeInterval, leeway: TimeInterval, audience: String?, requiresExpiration: Bool
    ) throws(JWTError) {
        if let expiresAt = claims.expiresAt {
            // RFC 7519 §4.1.4: the current time must be before `exp`.
            if now >= TimeInterval(expiresAt) + leeway { throw .expired }
        } else if requiresExpiration {
            throw .missingClaim("exp")
        }
        for start in [claims.notBefore, claims.issuedAt].compactMap({ $0 }) where now + leeway < TimeInterval(start) {
            throw .notYetValid
        }
        switch (claims.audience, audience) {
        case (nil, nil): break
        case (nil, _?): throw .missingClaim("aud")
        case (let named?, let expected):
            guard let expected, named.contains(expected) else { throw .invalidAudience }
        }
    }
}
