import Foundation
import JSONWebToken
import Testing
import VaultCrypto

/// A fixed 256-bit key, 00 01 … 1f, shared with the PyJWT-made known answer.
let sequentialKey: [UInt8] = Array(0..<32)
let sequentialSigner = try! HS256(secret: SecretBytes(sequentialKey))

/// 2023-11-14T22:13:20Z, the `now` of most tests.
let testNow = 1_700_000_000
let testDate = Date(timeIntervalSince1970: TimeInterval(testNow))

/// SSO-shaped claims that are valid at `testNow`.
func ssoClaims() -> JWTClaims {
    JWTClaims(issuer: "coffer", subject: "client-42", expiresAt: testNow + 300, issuedAt: testNow,
              id: "token-1", additional: ["nonce": "n-0001"])
}

/// A token with any header and payload bytes, correctly HMAC-signed under `key`: everything a
/// forger with the key could produce, so a refusal of it can only come from its header or payload.
func forge(header: String, payload: String, key: [UInt8] = sequentialKey) -> String {
    let signingInput = Base64URL.encode(header.utf8) + "." + Base64URL.encode(payload.utf8)
    return signingInput + "." + Base64URL.encode(HMACSHA256.authenticationCode(for: Array(signingInput.utf8), using: key))
}

/// The payload of a valid SSO token, for forging tokens that differ from a good one in one place.
let validPayload = #"{"iss":"coffer","sub":"client-42","exp":1700000300,"iat":1700000000}"#

/// Why `verify` refuses `token` at `testDate` (default leeway, no audience), or `nil` if it accepts it.
func refusal(_ token: String, signer: HS256 = sequentialSigner) -> JWTError? {
    do {
        _ = try signer.verify(token, now: testDate)
        return nil
    } catch {
        return error
    }
}

/// `token` with the bit `bit` of its decoded segment `segment` (0, 1 or 2) flipped, re-encoded.
func flipping(bit: Int, ofSegment segment: Int, in token: String) -> String {
    var segments = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    var bytes = Base64URL.decode(segments[segment])!
    bytes[bit / 8] ^= 1 << (bit % 8)
    segments[segment] = Base64URL.encode(bytes)
    return segments.joined(separator: ".")
}
