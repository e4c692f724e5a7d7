import Testing
import TestSupport
@testable import VaultCore
import VaultCrypto

@Suite(.ownThreads) struct IdempotencyMACTests {
    /// A fingerprint key of bytes 0…31, so the vectors can be recomputed.
    let macs = IdempotencyMAC(fingerprintKey: try! SymmetricKey(SecretBytes((0..<32).map { UInt8($0) })))
    let tenant = TenantID(unchecked: "Zm9vYmFyYmF6cXV1eDEyMw")
    let apiKey = Principal.Credential.apiKey(APIKeyID(unchecked: "QXBpS2V5SWQxMjM0NTY3OA"))

    /// Computed independently with Python: `k = HKDFExpand(SHA256(), 32, b"coffer-idempotency-key-v1")
    /// .derive(bytes(range(32)))` (`cryptography`), then `hmac.new(k, b"coffer-idempotency-lookup-v1"
    /// + field(tenant) + field(kind) + field(id) + field(session) + field(key), sha256)` and
    /// `hmac.new(k, b"coffer-idempotency-request-v1" + field(lookup) + field(b"POST")
    /// + field(route) + field(path) + field(body), sha256)`, `field(b) = pack(">I", len(b)) + b`.
    @Test func theMACsArePinned() {
        let lookup = macs.lookup(tenant: tenant, credential: apiKey, idempotencyKey: "order-42")
        #expect(hex(lookup) == "2feee3318a232fab391dd8c02459841b0d52ce83ea10bdd88130499428b283fb")
        let session = Principal.Credential.clientSession(SyncClientID(unchecked: "0123456789abcdef01234567"), tokenID: "jti-1")
        #expect(hex(macs.lookup(tenant: tenant, credential: session, idempotencyKey: "order-42"))
                == "d7ed24278a689a55822427b059e34cb39a9f01c367443012fb715c1282d27f6b")
        let body = Array(#"{"number":"4111111111111111","securityCode":"123"}"#.utf8)
        #expect(hex(macs.request(lookup: lookup, method: "POST", route: "/vault/v1/cards", path: "/vault/v1/cards", body: body))
                == "8b9a57fd2449fd8d89742c0e2fdc2d5143f0c3c674b603b9ef6d014dc5240f7e")
    }

    @Test func everyFieldAndItsBoundaryCounts() {
        let lookup = macs.lookup(tenant: tenant, credential: apiKey, idempotencyKey: "order-42")
        let others = [
            macs.lookup(tenant: TenantID(unchecked: "Zm9vYmFyYmF6cXV1eDEyMx"), credential: apiKey, idempotencyKey: "order-42"),
            macs.lookup(tenant: tenant, credential: .apiKey(APIKeyID(unchecked: "QXBpS2V5SWQxMjM0NTY3OB")),
                        idempotencyKey: "order-42"),
            macs.lookup(tenant: tenant, credential: apiKey, idempotencyKey: "order-43"),
            IdempotencyMAC(fingerprintKey: .generate()).lookup(tenant: tenant, credential: apiKey, idempotencyKey: "order-42"),
        ]
        #expect(!others.contains(lookup))
        // The same bytes split differently between fields give different MACs.
        let split = macs.request(lookup: lookup, method: "POST", route: "/a", path: "/b", body: [])
        #expect(split != macs.request(lookup: lookup, method: "POST", route: "/a/", path: "b", body: []))
        #expect(split != macs.request(lookup: lookup, method: "POST", route: "/a", path: "", body: Array("/b".utf8)))
        let first = Principal.Credential.clientSession(SyncClientID(unchecked: "0123456789abcdef01234567"), tokenID: "a")
        let second = Principal.Credential.clientSession(SyncClientID(unchecked: "0123456789abcdef01234567"), tokenID: "b")
        #expect(macs.lookup(tenant: tenant, credential: first, idempotencyKey: "k")
                != macs.lookup(tenant: tenant, credential: second, idempotencyKey: "k"), "each SSO token is a session of its own")
    }
}
