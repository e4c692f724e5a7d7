// Target `jwt`: HS256 verification with a fixed key (JSONWebToken).
//
// Each input is tried twice. As a token: whatever it is, `verify` never accepts it unless its
// third segment is exactly the HMAC-SHA256 of its first two under our key — computed here
// straight through OpenSSL's `HMAC`, not through the code under test — and what it accepts is
// unexpired and for our audience. As `header NL payload`: the two JSON texts are signed with our key
// (the fuzzer cannot forge MACs, so this is how it reaches the claim checks); such a token is
// never refused for its signature, never accepted under the other key or with a changed
// signature, and accepted claims signed again verify to the same claims.
import COpenSSL
import Foundation
import JSON
import JSONWebToken
import VaultCrypto

private let key = [UInt8](repeating: 0x4B, count: 32)
private let otherKey = Array(key.dropLast()) + [0x4A]
private let verifier = try! HS256(secret: SecretBytes(key))
private let stranger = try! HS256(secret: SecretBytes(otherKey))
private let now = Date(timeIntervalSince1970: 1_700_000_000)

private typealias Policy = (audience: String?, requiresExpiration: Bool)

/// No audience and no required `exp`, or both: the input's length picks one, so each run costs
/// a few verifications and a change of one byte's worth of length tries the other.
private func policy(for input: FuzzInput) -> Policy {
    input.bytes.count % 2 == 0 ? (nil, false) : ("coffer", true)
}

private func hmacSHA256(_ key: [UInt8], _ message: [UInt8]) -> [UInt8] {
    var code = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    let done = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &code, &length)
    fuzzCheck(done != nil && length == 32, "OpenSSL computes the reference HMAC")
    return code
}

private func verify(_ token: String, with verifier: HS256, _ policy: Policy) -> Result<JWTClaims, JWTError> {
    Result { () throws(JWTError) in
        try verifier.verify(token, now: now, audience: policy.audience, requiresExpiration: policy.requiresExpiration)
    }
}

/// Verifies with our key; returns the claims if it accepted.
private func checkToken(_ token: String, _ policy: Policy) -> JWTClaims? {
    _ = HS256.unverifiedKeyID(of: token)
    guard case .success(let claims) = verify(token, with: verifier, policy) else { return nil }
    fuzzCheck(isSigned(token, with: key), "an accepted token carries our key's MAC of its first two segments")
    if let expiresAt = claims.expiresAt { fuzzCheck(now.timeIntervalSince1970 < Double(expiresAt) + 30, "accepted means unexpired") }
    if policy.requiresExpiration { fuzzCheck(claims.expiresAt != nil, "exp is required when asked for") }
    if let audience = policy.audience { fuzzCheck(claims.audience?.contains(audience) == true, "the audience is ours") }
    return claims
}

private func isSigned(_ token: String, with key: [UInt8]) -> Bool {
    let bytes = Array(token.utf8)
    guard let lastDot = bytes.lastIndex(of: UInt8(ascii: ".")) else { return false }
    let signature = String(decoding: bytes[(lastDot + 1)...], as: UTF8.self)
    return signature == Base64URL.encode(hmacSHA256(key, Array(bytes[..<lastDot])))
}

private func signedToken(header: [UInt8], payload: [UInt8], key: [UInt8]) -> String {
    let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload)
    return signingInput + "." + Base64URL.encode(hmacSHA256(key, Array(signingInput.utf8)))
}

private func checkSigned(header: [UInt8], payload: [UInt8], _ policy: Policy) {
    let token = signedToken(header: header, payload: payload, key: key)
    if case .failure(let error) = verify(token, with: verifier, policy) {
        fuzzCheck(error != .badSignature, "a token signed with our key never fails on its signature")
    }
    fuzzCheck((try? verify(token, with: stranger, policy).get()) == nil, "another key never accepts our token")
    let forged = signedToken(header: header, payload: payload, key: otherKey)
    fuzzCheck(checkToken(forged, policy) == nil, "a token signed with another key is refused")
    if let claims = checkToken(token, policy) {
        let again = verifier.sign(claims)
        let policy = (audience: claims.audience?.first, requiresExpiration: false)
        fuzzCheck((try? verify(again, with: verifier, policy).get()) == claims, "signed claims verify to themselves")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJWT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let policy = policy(for: input)
    _ = checkToken(input.text, policy)
    if let newline = input.bytes.firstIndex(of: 0x0A) {
        checkSigned(header: Array(input.bytes[..<newline]), payload: Array(input.bytes[(newline + 1)...]), policy)
    }
    return 0
}
