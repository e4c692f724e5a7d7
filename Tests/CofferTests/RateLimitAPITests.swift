import Foundation
import Testing
import VaultCore

/// Per-key token buckets (docs/api/native.md, "Rate limits"): over its limit a key gets 429 with
/// `Retry-After` in its dialect's envelope, nothing is done, and the refusal is counted.
@Suite("Per-key rate limits over the API")
struct RateLimitAPITests {
    @Test("Limits on key creation: explicit rates, null for unlimited, defaults for the rest; bad ones are a 400")
    func limitsOnKeyCreation() async throws {
        let api = try await APIHarness.make()
        func create(_ body: String) async -> APIHarness.Response {
            await api.request("POST", "/vault/v1/apikeys", body: body, key: api.key)
        }
        let partial = await create(#"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":50,"burst":100},"duplicates":null}}"#)
        #expect(partial.status == 201, "\(partial.body)")
        let limits = try #require(partial.json?["limits"] as? [String: Any])
        #expect(limits["tokenize"] as? [String: Double] == ["perSecond": 50, "burst": 100])
        #expect(limits["reveal"] is NSNull && limits["duplicates"] is NSNull)
        let unlimited = await create(#"{"roles":["tokenize","fingerprint"],"limits":null}"#)
        #expect((unlimited.json?["limits"] as? [String: Any])?.values.allSatisfy { $0 is NSNull } == true, "\(unlimited.body)")
        // Stored with the key: authentication gives them back.
        let principal = try await api.test.vault.authenticate(apiKey: try #require(partial.json?["apiKey"] as? String))
        #expect(principal.limits == RateLimits([.tokenize: TokenBucket.Rate(perSecond: 50, burst: 100)!]))

        for bad in [
            #"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":0,"burst":1}}}"#,
            #"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":1,"burst":0.5}}}"#,
            #"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":1}}}"#,
            #"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":1,"burst":1,"window":2}}}"#,
            #"{"roles":["tokenize"],"limits":{"verify":{"perSecond":1,"burst":1}}}"#,
            #"{"roles":["tokenize"],"limits":{"tokenize":"fast"}}"#,
            #"{"roles":["tokenize"],"limits":5}"#,
        ] {
            let refused = await create(bad)
            #expect(refused.status == 400, "\(bad): \(refused.body)")
        }
        let keys = try await api.test.storage.read { [tenant = api.client] reader in try reader.apiKeys(tenant: tenant) }
        #expect(keys.count == 3, "the admin's and the two made here")
    }
}
