import Foundation
import Testing
import TestSupport
import VaultCore

/// A retry of a key's creation after the key was revoked or deleted must not hand back the dead
/// key as if it had just been made (schemathesis: "created resource not found"); like a card's, it
/// is 410 `idempotent_subject_deleted` and creates nothing (docs/api/native.md, "Idempotency").
@Suite("Idempotent retries after a key is gone", .ownThreads)
struct IdempotentKeyRetryTests {
    static func audited(_ api: APIHarness, _ action: AuditAction) async throws -> Int {
        try await api.test.vault.auditEntries(after: 0, limit: 10_000).filter { $0.event.action == action }.count
    }

    @Test("After an API key is revoked, a retry of its creation is 410 and issues no key")
    func apiKeyRetryAfterRevoke() async throws {
        let api = try await APIHarness.make()
        let before = try await Self.audited(api, .apiKeyCreate)
        let body = #"{"roles":["tokenize"],"label":"pos"}"#
        let first = await api.request("POST", "/vault/v1/apikeys", body: body, key: api.key, headers: ["Idempotency-Key": "k1"])
        let id = try #require(first.json?["id"] as? String, "\(first.body)")
        let secret = try #require(first.json?["apiKey"] as? String)
        let replay = await api.request("POST", "/vault/v1/apikeys", body: body, key: api.key, headers: ["Idempotency-Key": "k1"])
        #expect(replay.status == 201 && replay.headers["Idempotent-Replayed"] == "true", "a live key is replayed")
        #expect(await api.request("DELETE", "/vault/v1/apikeys/\(id)", key: api.key).status == 204)
        let retry = await api.request("POST", "/vault/v1/apikeys", body: body, key: api.key, headers: ["Idempotency-Key": "k1"])
        #expect(retry.status == 410, "\(retry.body)")
        #expect((retry.json?["error"] as? [String: String])?["code"] == "idempotent_subject_deleted")
        #expect(!retry.body.contains(id) && !retry.body.contains(secret))
        #expect(try await Self.audited(api, .apiKeyCreate) == before + 1)
    }

    @Test("After a card-data key is deleted, a retry of its creation is 410, natively and in TabaPay's envelope",
          arguments: ["/vault/v1/keys", "/v1/clients/{client}/keys"])
    func cardDataKeyRetryAfterDelete(_ route: String) async throws {
        let api = try await APIHarness.make()
        let path = route.replacingOccurrences(of: "{client}", with: api.client.rawValue)
        let before = try await Self.audited(api, .cardDataKeyCreate)
        let body = #"{"format":"ASN.1"}"#
        let first = await api.request("POST", path, body: body, key: api.key, headers: ["Idempotency-Key": "k1"])
        let keyID = try #require(first.json?["keyID"] as? String, "\(first.body)")
        let deleted = await api.request("DELETE", "\(path)/\(keyID)", key: api.key)
        #expect((200..<300).contains(deleted.status), "\(deleted.body)")
        let retry = await api.request("POST", path, body: body, key: api.key, headers: ["Idempotency-Key": "k1"])
        #expect(retry.status == 410, "\(retry.body)")
        #expect(!retry.body.contains(keyID))
        if route.hasPrefix("/v1/") {
            #expect(retry.sc == 410 && retry.ec == "41000003" && retry.em == "Idempotency-Key", "\(retry.body)")
        } else {
            #expect((retry.json?["error"] as? [String: String])?["code"] == "idempotent_subject_deleted")
        }
        #expect(try await Self.audited(api, .cardDataKeyCreate) == before + 1)
    }
}
