import Foundation
import Testing
import TestSupport
import VaultCore

@Suite("Response headers: nothing cached, request ids that cannot carry a card number", .ownThreads)
struct ResponseHeaderTests {
    @Test("Cache-Control: no-store on reveal, API key, tenant, SSO token and key answers, in every dialect, errors too")
    func secretsAreNeverCached() async throws {
        let api = try await APIHarness.makeForClientSync()
        let card = await api.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: api.key)
        let token = try #require(card.json?["token"] as? String)
        let tabaPay = "/v1/clients/\(api.client.rawValue)"
        let responses: [(String, APIHarness.Response)] = [
            ("tokenize", card),
            ("reveal", await api.request("POST", "/vault/v1/cards/\(token)/reveal", key: api.key)),
            ("API key", await api.request("POST", "/vault/v1/apikeys", body: #"{"roles":["reveal"]}"#, key: api.key)),
            ("tenant", await api.request("POST", "/vault/v1/tenants", body: #"{"name":"iso","subTenant":true}"#, key: api.key)),
            ("SSO token from sync", await api.sync()),
            ("SSO token", await api.request("POST", "/v1/client/create-token", body: #"{"identifier":"Bk0zwVx1Z"}"#, key: api.key)),
            ("native key", await api.request("POST", "/vault/v1/keys", body: "{}", key: api.key)),
            ("TabaPay key", await api.request("POST", "\(tabaPay)/keys", body: "{}", key: api.key)),
            ("native error", await api.request("POST", "/vault/v1/cards/\(token)/reveal")),
            ("TabaPay error", await api.request("GET", "\(tabaPay)/accounts/AAAAAAAAAAAAAAAAAAAAAA", key: api.key)),
            ("inTandem error", await api.request("GET", "/platform/v1/payment/settings")),
            ("unmatched", await api.request("GET", "/nowhere")),
            ("health", await api.request("GET", "/healthz")),
        ]
        for (name, response) in responses {
            #expect(response.status < 500, "\(name): \(response.body)")
            #expect(response.headers.values(for: "Cache-Control") == ["no-store"], "\(name) (\(response.status))")
        }
        #expect(responses[1].1.json?["number"] as? String == "4111111111111111", "the reveal did answer")
        #expect(responses[9].1.json?["SC"] != nil, "the TabaPay error kept its envelope")
    }

    @Test("X-Request-Id is echoed, logged and audited only when plain: never 12 digits in a row, even across . _ -",
          arguments: [
              ("f47ac10b-58cc-4372-a567-0e02b2c3d479", true),  // a UUID
              ("order-42.retry_1", true),
              ("req-12345678901", true),  // 11 digits
              ("1234-5678-901", true),  // 11 digits across dashes
              ("4111111111111111", false),
              ("4111-1111-1111-1111", false),
              ("4111.1111_1111.1111", false),
              ("order-123456-789012", false),  // 12 digits across a dash
              ("123e4567-e89b-12d3-a456-426614174000", false),  // a UUID whose last group is all digits
              ("has space", false),
              ("", false),
              (String(repeating: "a", count: 65), false),
          ])
    func plainRequestIDsOnly(_ given: String, _ echoed: Bool) async throws {
        let api = try await APIHarness.make()
        let card = await api.request("POST", "/vault/v1/cards", body: #"{"number":"5555555555554444"}"#, key: api.key)
        let token = try #require(card.json?["token"] as? String)
        let revealed = await api.request("POST", "/vault/v1/cards/\(token)/reveal", key: api.key,
                                         headers: ["X-Request-Id": given])
        #expect(revealed.status == 200)
        let answered = try #require(revealed.headers["X-Request-Id"])
        if echoed {
            #expect(answered == given)
        } else {
            #expect(answered != given)
            #expect(answered.utf8.count == 22 && answered.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
        let audited = try await api.test.storage.read { try $0.auditEntries(after: 0, limit: 10_000) }.last
        #expect(audited?.event.action == .cardReveal)
        #expect(audited?.event.actor.requestID == answered)
        #expect(api.log.lines.last?.contains(#""request_id":"\#(answered)""#) == true)
    }
}
