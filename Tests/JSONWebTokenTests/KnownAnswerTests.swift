import Foundation
import JSON
import JSONWebToken
import Testing
import TestSupport
import VaultCrypto

/// RFC 7515 Appendix A.1: the HS256 JWS example, also the JWT of RFC 7519 §3.1.
enum RFC7515 {
    /// The JWK `k` of A.1 (a 64-byte key).
    static let k = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
    static let encodedHeader = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    static let encodedPayload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
        + "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    static let encodedSignature = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let token = encodedHeader + "." + encodedPayload + "." + encodedSignature
    /// `exp` of the example: 2011-03-22T18:43:00Z.
    static let expiresAt = 1_300_819_380

    static var signer: HS256 { try! HS256(secret: SecretBytes(Base64URL.decode(k)!)) }
}

@Suite("Known answers", .ownThreads)
struct KnownAnswerTests {
    @Test("RFC 7515 A.1: the example token verifies, with its CRLF-and-space header")
    func rfc7515AppendixA1() throws {
        #expect(Base64URL.decode(RFC7515.k)?.count == 64)
        let claims = try RFC7515.signer.verify(RFC7515.token, now: Date(timeIntervalSince1970: 1_300_819_000), leeway: 0)
        #expect(claims == JWTClaims(issuer: "joe", expiresAt: RFC7515.expiresAt,
                                    additional: ["http://example.com/is_root": true]))
    }

    @Test("RFC 7515 A.1: exactly this signature, and no other, is accepted")
    func rfc7515SignatureIsExact() {
        let now = Date(timeIntervalSince1970: 1_300_819_000)
        for bit in 0..<256 {
            let tampered = flipping(bit: bit, ofSegment: 2, in: RFC7515.token)
            #expect(throws: JWTError.badSignature) { try RFC7515.signer.verify(tampered, now: now) }
        }
        // The same input under a key one bit away.
        var key = Base64URL.decode(RFC7515.k)!
        key[0] ^= 1
        let otherSigner = try! HS256(secret: SecretBytes(key))
        #expect(throws: JWTError.badSignature) { try otherSigner.verify(RFC7515.token, now: now) }
    }

    @Test("RFC 7519 §3.1: the header and claims octets the RFC lists are what the example carries")
    func rfc7519Section3_1() throws {
        // The JOSE Header octets listed in §3.1: {"typ":"JWT",CRLF "alg":"HS256"}.
        let header: [UInt8] = [123, 34, 116, 121, 112, 34, 58, 34, 74, 87, 84, 34, 44, 13, 10, 32, 34, 97, 108, 103,
                               34, 58, 34, 72, 83, 50, 53, 54, 34, 125]
        #expect(Base64URL.encode(header) == RFC7515.encodedHeader)
        let claimsSet = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
        #expect(Base64URL.encode(claimsSet.utf8) == RFC7515.encodedPayload)
        // Expired at the second of `exp`; one second before is the last accepted one.
        let signer = RFC7515.signer
        #expect(throws: JWTError.expired) {
            try signer.verify(RFC7515.token, now: Date(timeIntervalSince1970: TimeInterval(RFC7515.expiresAt)), leeway: 0)
        }
        let claims = try signer.verify(RFC7515.token, now: Date(timeIntervalSince1970: TimeInterval(RFC7515.expiresAt - 1)),
                                       leeway: 0)
        #expect(claims.issuer == "joe")
        #expect(claims.additional["http://example.com/is_root"] == true)
    }

    @Test("sign: byte for byte what PyJWT 2.x issues for the same claims and key")
    func signKnownAnswer() throws {
        let claims = JWTClaims(issuer: "coffer", subject: "client-42", audience: ["coffer-sso"], expiresAt: 1_700_000_300,
                               notBefore: 1_700_000_000, issuedAt: 1_700_000_000, id: "token-1",
                               additional: ["nonce": "n-0001"])
        // python3 -c 'import jwt; print(jwt.encode({"iss":"coffer","sub":"client-42","aud":"coffer-sso",
        //   "exp":1700000300,"nbf":1700000000,"iat":1700000000,"jti":"token-1","nonce":"n-0001"},
        //   bytes(range(32)), algorithm="HS256"))'
        let expected = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            + ".eyJpc3MiOiJjb2ZmZXIiLCJzdWIiOiJjbGllbnQtNDIiLCJhdWQiOiJjb2ZmZXItc3NvIiwiZXhwIjoxNzAwMDAwMzAwLCJu"
            + "YmYiOjE3MDAwMDAwMDAsImlhdCI6MTcwMDAwMDAwMCwianRpIjoidG9rZW4tMSIsIm5vbmNlIjoibi0wMDAxIn0"
            + ".l3g98nnr2uNy76q7tQUvsgnNuYUnhSTOolgybGPs1gw"
        let token = sequentialSigner.sign(claims)
        #expect(token == expected)
        #expect(try sequentialSigner.verify(token, now: testDate, audience: "coffer-sso") == claims)
    }
}
