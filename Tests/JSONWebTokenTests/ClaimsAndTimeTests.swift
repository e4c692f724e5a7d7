import Foundation
import JSON
import JSONWebToken
import Testing
import TestSupport
import VaultCrypto

@Suite("Claims and time", .ownThreads)
struct ClaimsAndTimeTests {
    @Test func signedClaimsComeBackUnchanged() throws {
        var claims = ssoClaims()
        claims.audience = ["coffer-sso", "other"]
        claims.notBefore = testNow - 10
        claims.additional["roles"] = ["sync", "staff"]
        claims.additional["profile"] = ["name": "Zoë", "age": 42, "ratio": 0.5, "none": nil]
        let token = sequentialSigner.sign(claims)
        #expect(try sequentialSigner.verify(token, now: testDate, audience: "other") == claims)
    }

    @Test func aForgedButCorrectlySignedTokenIsAccepted() throws {
        // The baseline the refusal tests build on: `forge` makes tokens the verifier accepts.
        let claims = try sequentialSigner.verify(forge(header: #"{"alg":"HS256"}"#, payload: validPayload), now: testDate)
        #expect(claims == JWTClaims(issuer: "coffer", subject: "client-42", expiresAt: testNow + 300, issuedAt: testNow))
        // Foreign but valid serializations: whitespace, other member order, unknown parameters.
        let header = "{ \"kid\" : \"tenant-7\",\n\t\"alg\":\"HS256\" ,\"typ\":\"JWT\", \"x-custom\": [1] }"
        #expect(refusal(forge(header: header, payload: validPayload)) == nil)
    }

    @Test("kid: written when a key ID is given, readable before verifying, and no substitute for verifying")
    func keyIDSelectsTheKey() throws {
        let token = sequentialSigner.sign(ssoClaims(), keyID: "tenant-7")
        #expect(HS256.unverifiedKeyID(of: token) == "tenant-7")
        #expect(try sequentialSigner.verify(token, now: testDate) == ssoClaims())
        #expect(HS256.unverifiedKeyID(of: sequentialSigner.sign(ssoClaims())) == nil)
        for unreadable in ["", "abc", "!!.x.y", forge(header: #"{"alg":"HS256","kid":7}"#, payload: validPayload)] {
            #expect(HS256.unverifiedKeyID(of: unreadable) == nil)
        }
        // A forger may write any kid; verification with the key it names still refuses the token.
        let forged = forge(header: #"{"alg":"HS256","kid":"tenant-7"}"#, payload: validPayload, key: Array(repeating: 9, count: 32))
        #expect(HS256.unverifiedKeyID(of: forged) == "tenant-7")
        #expect(throws: JWTError.badSignature) { try sequentialSigner.verify(forged, now: testDate) }
    }

    @Test func keyOfAtLeast256Bits() throws {
        #expect(throws: CryptoError.invalidKeySize) { try HS256(secret: SecretBytes([UInt8](repeating: 7, count: 31))) }
        #expect(throws: CryptoError.invalidKeySize) { try HS256(secret: SecretBytes([])) }
        _ = try HS256(secret: SecretBytes([UInt8](repeating: 7, count: 32)))
        // A SymmetricKey is always 32 bytes, and tokens signed with it verify with the same bytes.
        let key = SymmetricKey.generate()
        let token = HS256(key: key).sign(ssoClaims())
        #expect(try HS256(secret: key.secret).verify(token, now: testDate) == ssoClaims())
        #expect(refusal(token) == .badSignature)
    }

    @Test("exp: refused from exp + leeway on, accepted a second earlier")
    func expiration() throws {
        var claims = ssoClaims()
        claims.issuedAt = nil
        claims.expiresAt = testNow - 30
        #expect(refusal(sequentialSigner.sign(claims)) == .expired)  // default leeway 30 s
        claims.expiresAt = testNow - 29
        #expect(refusal(sequentialSigner.sign(claims)) == nil)
        // Without leeway, RFC 7519: the current time must be before exp.
        claims.expiresAt = testNow
        #expect(throws: JWTError.expired) { try sequentialSigner.verify(sequentialSigner.sign(claims), now: testDate, leeway: 0) }
        claims.expiresAt = testNow + 1
        _ = try sequentialSigner.verify(sequentialSigner.sign(claims), now: testDate, leeway: 0)
        // A larger leeway is honoured.
        claims.expiresAt = testNow - 100
        _ = try sequentialSigner.verify(sequentialSigner.sign(claims), now: testDate, leeway: 120)
        // Fractions of a second, of `now` and of the leeway, count.
        claims.expiresAt = testNow
        let token = sequentialSigner.sign(claims)
        _ = try sequentialSigner.verify(token, now: testDate.addingTimeInterval(0.4), leeway: 0.5)
        #expect(throws: JWTError.expired) { try sequentialSigner.verify(token, now: testDate.addingTimeInterval(0.5), leeway: 0.5) }
    }

    @Test("nbf and iat: refused beyond the leeway in the future", arguments: ["nbf", "iat"])
    func notYetValid(_ name: String) throws {
        let claim = name == "nbf" ? \JWTClaims.notBefore : \JWTClaims.issuedAt
        var claims = ssoClaims()
        claims.issuedAt = nil
        claims[keyPath: claim] = testNow + 31
        #expect(refusal(sequentialSigner.sign(claims)) == .notYetValid)
        claims[keyPath: claim] = testNow + 30
        #expect(refusal(sequentialSigner.sign(claims)) == nil)
        #expect(throws: JWTError.notYetValid) { try sequentialSigner.verify(sequentialSigner.sign(claims), now: testDate, leeway: 0) }
        claims[keyPath: claim] = testNow
        _ = try sequentialSigner.verify(sequentialSigner.sign(claims), now: testDate, leeway: 0)
    }

    @Test func expirationIsRequiredUnlessWaived() throws {
        var claims = ssoClaims()
        claims.expiresAt = nil
        let token = sequentialSigner.sign(claims)
        #expect(refusal(token) == .missingClaim("exp"))
        #expect(try sequentialSigner.verify(token, now: testDate, requiresExpiration: false) == claims)
    }

    @Test func audience() throws {
        var claims = ssoClaims()
        claims.audience = ["coffer-sso"]
        let token = sequentialSigner.sign(claims)
        #expect(try sequentialSigner.verify(token, now: testDate, audience: "coffer-sso").audience == ["coffer-sso"])
        #expect(throws: JWTError.invalidAudience) { try sequentialSigner.verify(token, now: testDate, audience: "coffer-admin") }
        // Meant for someone, and we did not say who we are: not for us.
        #expect(refusal(token) == .invalidAudience)
        // We expect an audience, the token names none.
        #expect(throws: JWTError.missingClaim("aud")) {
            try sequentialSigner.verify(sequentialSigner.sign(ssoClaims()), now: testDate, audience: "coffer-sso")
        }
        // An array naming us among others.
        let listed = forge(header: #"{"alg":"HS256"}"#, payload: #"{"aud":["a","coffer-sso"],"exp":1700000300}"#)
        #expect(try sequentialSigner.verify(listed, now: testDate, audience: "coffer-sso").audience == ["a", "coffer-sso"])
    }

    @Test("registered claims must have their types", arguments: [
        (#""exp":"1700000300""#, "exp"),   // a string
        (#""exp":1700000300.0"#, "exp"),   // a fraction, even .0
        (#""exp":1700000300.5"#, "exp"),
        (#""exp":1.7000003e9"#, "exp"),    // an exponent
        (#""exp":null"#, "exp"),
        (#""exp":true"#, "exp"),
        (#""exp":99999999999999999999"#, "exp"),  // beyond Int
        (#""nbf":"1699999990""#, "nbf"),
        (#""iat":[1700000000]"#, "iat"),
        (#""iss":42"#, "iss"),
        (#""sub":null"#, "sub"),
        (#""jti":{}"#, "jti"),
        (#""aud":[]"#, "aud"),
        (#""aud":["a",1]"#, "aud"),
        (#""aud":7"#, "aud"),
    ])
    func claimTypes(_ member: String, _ name: String) {
        let payload = name == "exp" ? "{\(member)}" : "{\"exp\":1700000300,\(member)}"
        #expect(refusal(forge(header: #"{"alg":"HS256"}"#, payload: payload)) == .invalidClaim(name))
    }

    @Test("signing a registered name in `additional`, or an empty audience list, is a programmer error")
    func unsignableClaims() async {
        await #expect(processExitsWith: .failure) {
            var claims = JWTClaims(expiresAt: 1)
            claims.additional["exp"] = 2
            _ = sequentialSigner.sign(claims)
        }
        await #expect(processExitsWith: .failure) {
            _ = sequentialSigner.sign(JWTClaims(audience: [], expiresAt: 1))
        }
    }

    @Test func errorCodesAreStable() {
        let codes: [(JWTError, String)] = [
            (.tooLarge, "too_large"), (.malformed(reason: "x"), "malformed"), (.unsupportedAlgorithm, "unsupported_algorithm"),
            (.unsupportedHeader("typ"), "unsupported_header"), (.badSignature, "bad_signature"), (.expired, "expired"),
            (.notYetValid, "not_yet_valid"), (.missingClaim("exp"), "missing_claim"), (.invalidClaim("exp"), "invalid_claim"),
            (.invalidAudience, "invalid_audience"),
        ]
        for (error, code) in codes { #expect(error.code == code) }
        #expect("\(JWTError.missingClaim("exp"))" == "missing_claim: exp")
        #expect("\(JWTError.badSignature)" == "bad_signature")
    }
}
