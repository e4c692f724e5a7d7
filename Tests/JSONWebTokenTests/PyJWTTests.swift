import Foundation
import JSON
import JSONWebToken
import Testing
import TestSupport
import VaultCrypto

/// Issues a token: `argv[1]` hex key, `argv[2]` JSON payload, `argv[3]` algorithm.
private let pyEncode = """
    import sys, json, jwt
    key = bytes.fromhex(sys.argv[1]) if sys.argv[3] != "none" else None
    print(jwt.encode(json.loads(sys.argv[2]), key, algorithm=sys.argv[3]))
    """

/// Verifies a token strictly as HS256 and prints its claims: `argv[1]` hex key, `argv[2]` token,
/// `argv[3]` expected audience.
private let pyDecode = """
    import sys, json, jwt
    claims = jwt.decode(sys.argv[2], bytes.fromhex(sys.argv[1]), algorithms=["HS256"], audience=sys.argv[3],
                        options={"require": ["exp", "iat", "sub", "iss"]})
    print(json.dumps(claims, separators=(",", ":")))
    """

@Suite("PyJWT cross-check", .enabled(PyJWT.missing) { await PyJWT.isAvailable() }, .ownThreads)
struct PyJWTTests {
    let key = SymmetricKey.generate()
    var keyHex: String { key.secret.bytes.map { String(format: "%02x", $0) }.joined() }
    /// The real clock: PyJWT checks `exp` against it.
    let now = Int(Date().timeIntervalSince1970)

    @Test func pyJWTIssuesWeVerify() async throws {
        let payload = #"{"iss":"coffer","sub":"client-42","aud":"coffer-sso","iat":\#(now),"exp":\#(now + 300),"jti":"j-1","nonce":"n-1"}"#
        let token = try await PyJWT.run(pyEncode, keyHex, payload, "HS256")
        let claims = try HS256(key: key).verify(token, audience: "coffer-sso")
        #expect(claims == JWTClaims(issuer: "coffer", subject: "client-42", audience: ["coffer-sso"], expiresAt: now + 300,
                                    issuedAt: now, id: "j-1", additional: ["nonce": "n-1"]))
        // The same token under another key.
        #expect(throws: JWTError.badSignature) { try HS256(key: SymmetricKey.generate()).verify(token, audience: "coffer-sso") }
    }

    @Test func weIssuePyJWTVerifies() async throws {
        let claims = JWTClaims(issuer: "coffer", subject: "client-42", audience: ["coffer-sso"], expiresAt: now + 300,
                               issuedAt: now, id: "j-2", additional: ["nonce": "n-2", "scopes": ["cards:sync"]])
        let token = HS256(key: key).sign(claims)
        let decoded = try JSONParser.parse(try await PyJWT.run(pyDecode, keyHex, token, "coffer-sso"))
        // PyJWT read exactly the claims we wrote, in our order (json.loads keeps it).
        let written = try JSONParser.parse(Base64URL.decode(String(token.split(separator: ".")[1]))!)
        #expect(decoded == written)
        #expect(decoded.objectValue?["sub"] == "client-42")
        #expect(decoded.objectValue?["exp"]?.intValue == now + 300)
        #expect(decoded.objectValue?["scopes"] == ["cards:sync"])
        // PyJWT, too, refuses it under another key and for another audience.
        await #expect(throws: PyJWT.Failure.self) { try await PyJWT.run(pyDecode, keyHex, flipping(bit: 0, ofSegment: 2, in: token), "coffer-sso") }
        await #expect(throws: PyJWT.Failure.self) { try await PyJWT.run(pyDecode, keyHex, token, "someone-else") }
    }

    @Test("PyJWT's tokens under other algorithms are refused", arguments: ["HS384", "HS512", "none"])
    func otherAlgorithms(_ algorithm: String) async throws {
        let payload = #"{"sub":"client-42","exp":\#(now + 300)}"#
        let token = try await PyJWT.run(pyEncode, keyHex, payload, algorithm)
        #expect(throws: JWTError.unsupportedAlgorithm) { try HS256(key: key).verify(token) }
    }
}
