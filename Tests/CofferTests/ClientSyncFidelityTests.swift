import Foundation
import TestSupport
import Testing
import VaultCore

/// Client sync as Q2's integrators use it: the seed's literal request first, then what they send
/// after it (docs/api/client-sync.md, "Sync semantics" and "SSO tokens").
@Suite("Q2 client sync fidelity", .ownThreads)
struct ClientSyncFidelityTests {
    /// The seed's card, synced; its client and payment method ids.
    static func syncSeed(_ api: APIHarness) async throws -> (client: String, method: String) {
        let synced = await api.sync()
        #expect(synced.status == 200, "\(synced.body)")
        let client = try #require(synced.json?["clientId"] as? String)
        let method = try #require((synced.json?["cards"] as? [[String: String]])?.first?["paymentMethodId"])
        return (client, method)
    }

    static func list(_ api: APIHarness, _ client: String) async -> [[String: Any]] {
        await api.request("GET", "/v1/payment/list/\(client)", key: api.key).json?["data"] as? [[String: Any]] ?? []
    }

    static func errorCode(_ response: APIHarness.Response) -> String? {
        (response.json?["error"] as? [String: String])?["code"]
    }

    @Test("A bank account sent under the seed card's identifier is refused (409) and the card stays listed")
    func bankUnderCardIdentifier() async throws {
        let api = try await APIHarness.makeForClientSync()
        let (client, method) = try await Self.syncSeed(api)
        let bank = #""paymentType":"bank","identifier":"fiId123","routingNumber":"021000021","accountNumber":"123456789012","accountType":"checking""#
        let added = await api.request("POST", "/v1/payment", body: #"{"clientId":"\#(client)",\#(bank)}"#, key: api.key)
        #expect(added.status == 409 && Self.errorCode(added) == "payment_method_identifier_taken", "\(added.body)")
        let synced = await api.sync(#"{"client":{"identifier":"Bk0zwVx1Z"},"cards":[{\#(bank)}]}"#)
        #expect(synced.status == 409 && Self.errorCode(synced) == "payment_method_identifier_taken", "\(synced.body)")

        let methods = await Self.list(api, client)
        #expect(methods.count == 1)
        #expect(methods.first?["_id"] as? String == method && methods.first?["type"] as? String == "card")
        #expect((methods.first?["card"] as? [String: Any])?["number"] as? String == "XXXX1111")
        #expect(try await api.test.vault.cardCount() == 1)
    }

    @Test("Another card number under the seed card's identifier is refused; the same number with a new expiry updates it")
    func otherNumberUnderCardIdentifier() async throws {
        let api = try await APIHarness.makeForClientSync()
        let (client, method) = try await Self.syncSeed(api)
        let other = await api.sync(clientSyncSeedBody.replacingOccurrences(of: "4111111111111111", with: "4242424242424242"))
        #expect(other.status == 409 && Self.errorCode(other) == "payment_method_identifier_taken", "\(other.body)")
        #expect(!other.body.contains("4242"))
        #expect(await (Self.list(api, client).first?["card"] as? [String: Any])?["number"] as? String == "XXXX1111")

        let renewed = await api.sync(clientSyncSeedBody.replacingOccurrences(of: #""expYear":"2040""#, with: #""expYear":"2041""#))
        #expect(renewed.status == 200, "\(renewed.body)")
        #expect((renewed.json?["cards"] as? [[String: String]])?.first?["paymentMethodId"] == method)
        let methods = await Self.list(api, client)
        #expect(methods.count == 1 && (methods.first?["card"] as? [String: Any])?["number"] as? String == "XXXX1111")
        #expect(try await api.test.vault.cardCount() == 1, "the renewed card replaced its earlier expiry")
    }

    @Test("The seed's token.expiration years ahead is capped at 24 h: at the seed JWT's iat, exp = iat + 24 h as in its answer")
    func farExpirationCapped() async throws {
        let api = try await APIHarness.makeForClientSync()
        let seedIssuedAt = 1_594_058_945  // the iat of the seed's example ssoToken; its exp is 1_594_145_345
        api.clock.now = Date(timeIntervalSince1970: TimeInterval(seedIssuedAt))
        let synced = await api.sync()
        #expect(synced.status == 200, "\(synced.body)")
        let token = try #require(synced.json?["ssoToken"] as? String)
        var payload = String(token.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
        let json = try #require(Data(base64Encoded: payload))
        let claims = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(claims["iat"] as? Int == seedIssuedAt && claims["exp"] as? Int == 1_594_145_345)

        let past = await api.sync(clientSyncSeedBody.replacingOccurrences(of: "2025-01-30T00:00:00.000Z", with: "2020-07-06T00:00:00.000Z"))
        #expect(past.status == 400 && Self.errorCode(past) == "invalid_field", "\(past.body)")
        let unparsable = await api.sync(clientSyncSeedBody.replacingOccurrences(of: "2025-01-30T00:00:00.000Z", with: "30/01/2025"))
        #expect(unparsable.status == 400 && Self.errorCode(unparsable) == "invalid_field", "\(unparsable.body)")
        #expect(try await api.test.vault.cardCount() == 1, "the refusals stored nothing")
    }
}
