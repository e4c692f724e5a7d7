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

    /// A JWT's claims, read without verifying (the tests check what was issued).
    static func claims(_ token: String) throws -> [String: Any] {
        var payload = String(token.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
        let json = try #require(Data(base64Encoded: payload))
        return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    static func lifetime(_ token: String) throws -> Int? {
        let claims = try claims(token)
        return (claims["exp"] as? Int).flatMap { exp in (claims["iat"] as? Int).map { exp - $0 } }
    }

    @Test("accessTokenExpiresIn (Q2's create-token example) is the lifetime of the access tokens the SSO token is exchanged for")
    func accessTokenLifetime() async throws {
        let api = try await APIHarness.makeForClientSync()
        let (client, _) = try await Self.syncSeed(api)
        // Q2's literal create-token example.
        let issued = await api.request("POST", "/v1/client/create-token",
                                       body: #"{"identifier": "Bk0zwVx1Z", "accessTokenExpiresIn": 3600}"#, key: api.key)
        let ssoToken = try #require(issued.json?["token"] as? String, "\(issued.body)")
        #expect(try Self.lifetime(ssoToken) == 24 * 3600, "the SSO token keeps the 24 h default: accessTokenExpiresIn is not its cap")
        #expect(await api.request("GET", "/v1/payment/list/\(client)", key: ssoToken).status == 401,
                "an SSO token opens no route itself")

        let exchanged = await api.request("POST", "/v1/client/access-token", key: ssoToken)
        #expect(exchanged.status == 200, "\(exchanged.body)")
        #expect(exchanged.json?["expiresIn"] as? Int == 3600 && exchanged.json?["tokenType"] as? String == "Bearer")
        #expect(exchanged.json?["clientId"] as? String == client)
        let access = try #require(exchanged.json?["accessToken"] as? String)
        #expect(try Self.lifetime(access) == 3600)
        #expect(await api.request("GET", "/v1/payment/list/\(client)", key: access).status == 200)
        #expect(await api.request("POST", "/v1/client/access-token", key: access).status == 401,
                "an access token cannot be exchanged for another, which would outlive it")

        for (asked, lifetime) in [(#"600"#, 600), (#""600""#, 600), (#"100000000"#, 24 * 3600)] {
            let token = await api.request("POST", "/v1/client/create-token",
                                          body: #"{"identifier":"Bk0zwVx1Z","accessTokenExpiresIn":\#(asked)}"#, key: api.key)
            let exchanged = await api.request("POST", "/v1/client/access-token", key: token.json?["token"] as? String ?? "")
            #expect(exchanged.json?["expiresIn"] as? Int == lifetime, "\(asked): \(exchanged.body)")
        }
        let defaulted = await api.request("POST", "/v1/client/create-token", body: #"{"identifier":"Bk0zwVx1Z"}"#, key: api.key)
        let short = try await api.accessToken(exchanging: try #require(defaulted.json?["token"] as? String))
        #expect(try Self.lifetime(short) == 3600, "Q2's default is one hour")
        for bad in ["0", "-5", "1.5", #""soon""#, "true"] {
            let refused = await api.request("POST", "/v1/client/create-token",
                                            body: #"{"identifier":"Bk0zwVx1Z","accessTokenExpiresIn":\#(bad)}"#, key: api.key)
            #expect(refused.status == 400 && Self.errorCode(refused) == "invalid_field", "\(bad): \(refused.body)")
        }

        api.clock.now = clientSyncSeedDay.addingTimeInterval(3600 + 31)
        #expect(await api.request("GET", "/v1/payment/list/\(client)", key: access).status == 401, "the access token expired")
        let later = try await api.accessToken(exchanging: ssoToken)
        #expect(await api.request("GET", "/v1/payment/list/\(client)", key: later).status == 200,
                "the SSO token, still valid, opens a new session")
    }

    @Test("The payment list has Q2's shape: status verified/declined, expDate ISO 8601, bank {routing, account, type} masked")
    func paymentListShape() async throws {
        let api = try await APIHarness.makeForClientSync()
        let (client, cardMethod) = try await Self.syncSeed(api)
        // Q2's literal bank example (its clientId replaced by ours).
        let bank = await api.request("POST", "/v1/payment", body: #"""
            {
              "clientId": "\#(client)",
              "paymentType": "bank",
              "identifier": "optional_custom_identifier",
              "routingNumber": "021000021",
              "accountNumber": "9900000002",
              "accountType": "checking",
              "name": "Demo User",
              "customLabel": "For Utilities"
            }
            """#, key: api.key)
        #expect(bank.status == 200, "\(bank.body)")
        let methods = await Self.list(api, client)
        #expect(methods.count == 2)
        let card = try #require(methods.first)
        #expect(card["_id"] as? String == cardMethod && card["type"] as? String == "card" && card["status"] as? String == "verified")
        #expect(card["card"] as? [String: String]
                == ["number": "XXXX1111", "brand": "visa", "type": "credit", "expDate": "2040-02-01T12:00:00.000Z"])
        let account = try #require(methods.last)
        #expect(account["type"] as? String == "bank" && account["status"] as? String == "verified")
        #expect(account["identifier"] as? String == "optional_custom_identifier" && account["name"] as? String == "Demo User")
        #expect(account["bank"] as? [String: String] == ["routing": "XXXX0021", "account": "XXXX0002", "type": "checking"])
        let body = await api.request("GET", "/v1/payment/list/\(client)", key: api.key).body
        #expect(!body.contains("021000021") && !body.contains("9900000002"))

        // An expired card, and a card deleted through the native API, can no longer be charged.
        api.clock.now = try #require(ISO8601DateFormatter().date(from: "2040-03-01T00:00:00Z"))
        #expect(await Self.list(api, client).first?["status"] as? String == "declined", "expired")
        api.clock.now = clientSyncSeedDay
        let stored = await api.request("POST", "/vault/v1/cards", body: #"{"number":"5555555555554444","expirationDate":"203012"}"#,
                                       key: api.key)
        let token = try #require(stored.json?["token"] as? String)
        let referred = await api.request("POST", "/v1/payment", body: #"{"clientId":"\#(client)","token":"\#(token)"}"#, key: api.key)
        #expect(referred.status == 200, "\(referred.body)")
        #expect(await Self.list(api, client).last?["status"] as? String == "verified")
        #expect(await api.request("DELETE", "/vault/v1/cards/\(token)", key: api.key).status == 204)
        let deleted = try #require(await Self.list(api, client).last)
        #expect(deleted["type"] as? String == "card" && deleted["status"] as? String == "declined" && deleted["card"] == nil)
    }

    @Test("create-token for an identifier never seen (Q2's example on an empty vault) creates its client; a later sync links to it")
    func createTokenCreatesClient() async throws {
        let api = try await APIHarness.makeForClientSync()
        let issued = await api.request("POST", "/v1/client/create-token",
                                       body: #"{"identifier": "Bk0zwVx1Z", "accessTokenExpiresIn": 3600}"#, key: api.key)
        #expect(issued.status == 200, "\(issued.body)")
        let ssoToken = try #require(issued.json?["token"] as? String)
        let client = try #require(try Self.claims(ssoToken)["sub"] as? String)
        let again = await api.request("POST", "/v1/client/create-token", body: #"{"identifier":"Bk0zwVx1Z"}"#, key: api.key)
        #expect(try Self.claims(try #require(again.json?["token"] as? String))["sub"] as? String == client, "one client per identifier")

        let session = try await api.accessToken(exchanging: ssoToken)
        #expect((await api.request("GET", "/v1/payment/list/\(client)", key: session).json?["data"] as? [Any])?.isEmpty == true)
        let (synced, _) = try await Self.syncSeed(api)
        #expect(synced == client, "the seed's sync finds the client the token created")
        #expect(await Self.list(api, client).count == 1)
        let tooLong = await api.request("POST", "/v1/client/create-token",
                                        body: #"{"identifier":"\#(String(repeating: "x", count: 129))"}"#, key: api.key)
        #expect(tooLong.status == 400 && Self.errorCode(tooLong) == "invalid_field")
    }

    @Test("Types integrators send: numeric expMonth/expYear, a string nonce, cardBrand in any case (Q2's card example)")
    func typesIntegratorsSend() async throws {
        let api = try await APIHarness.makeForClientSync()
        api.clock.now = try #require(ISO8601DateFormatter().date(from: "2016-06-01T00:00:00Z"))  // Q2's card expires 10/2017
        let created = await api.request("POST", "/v1/client", body: #"{"identifier":"Bk0zwVx1Z"}"#, key: api.key)
        let client = try #require(created.json?["clientId"] as? String)
        // Q2's literal card example (its clientId replaced by ours), then with numbers and other brand spellings.
        let literal = #"""
            {
              "clientId": "\#(client)",
              "paymentType": "card",
              "identifier": "optional_custom_identifier",
              "cardNumber": "378282246310005",
              "cardCode": "218",
              "expMonth": "10",
              "expYear": "2017",
              "zipcode": "12345",
              "name": "Demo User",
              "setAsDefault": true,
              "customLabel": "Entertainment Rewards Card"
            }
            """#
        let added = await api.request("POST", "/v1/payment", body: literal, key: api.key)
        #expect(added.status == 200, "\(added.body)")
        let variants = [
            literal.replacingOccurrences(of: #""expMonth": "10""#, with: #""expMonth": 10"#)
                .replacingOccurrences(of: #""expYear": "2017""#, with: #""expYear": 2017"#),
            literal.replacingOccurrences(of: #""paymentType": "card","#, with: #""paymentType": "card", "cardBrand": "American Express","#),
            literal.replacingOccurrences(of: #""paymentType": "card","#, with: #""paymentType": "card", "cardBrand": "AMERICAN EXPRESS","#),
        ]
        for body in variants {
            let response = await api.request("POST", "/v1/payment", body: body, key: api.key)
            #expect(response.status == 200 && response.json?["paymentMethodId"] as? String == added.json?["paymentMethodId"] as? String,
                    "the same card under the same identifier: \(response.body)")
        }
        let month = await api.request("POST", "/v1/payment",
                                      body: literal.replacingOccurrences(of: #""expMonth": "10""#, with: #""expMonth": 3"#)
                                          .replacingOccurrences(of: "optional_custom_identifier", with: "second"), key: api.key)
        #expect(month.status == 200, "a one-digit numeric month: \(month.body)")
        let expiries = await Self.list(api, client).map { ($0["card"] as? [String: Any])?["expDate"] as? String }
        #expect(expiries == ["2017-10-01T12:00:00.000Z", "2017-03-01T12:00:00.000Z"])
        #expect(try await api.test.vault.cardCount() == 2)
        for (field, bad) in [("expMonth", "1.5"), ("expMonth", "-1"), ("expMonth", "100"), ("expYear", "17"), ("expYear", "true"),
                             ("expMonth", #""1 ""#)] {
            let body = literal.replacingOccurrences(of: #""\#(field)": "\#(field == "expMonth" ? "10" : "2017")""#,
                                                    with: #""\#(field)": \#(bad)"#)
            let refused = await api.request("POST", "/v1/payment", body: body, key: api.key)
            #expect(refused.status == 400 && Self.errorCode(refused) == "invalid_field", "\(field) \(bad): \(refused.body)")
        }
        let mismatch = await api.request("POST", "/v1/payment", body: literal.replacingOccurrences(
            of: #""paymentType": "card","#, with: #""paymentType": "card", "cardBrand": "VISA","#), key: api.key)
        #expect(mismatch.status == 400 && Self.errorCode(mismatch) == "card_brand_mismatch", "VISA is read as visa")

        for (nonce, singleUse) in [(#""true""#, true), (#""false""#, false), ("true", true)] {
            let issued = await api.request("POST", "/v1/client/create-token",
                                           body: #"{"identifier":"Bk0zwVx1Z","nonce":\#(nonce)}"#, key: api.key)
            let token = try #require(issued.json?["token"] as? String, "nonce \(nonce): \(issued.body)")
            _ = try await api.accessToken(exchanging: token)
            let second = await api.request("POST", "/v1/client/access-token", key: token)
            #expect(second.status == (singleUse ? 401 : 200), "nonce \(nonce)")
        }
        let badNonce = await api.request("POST", "/v1/client/create-token", body: #"{"identifier":"Bk0zwVx1Z","nonce":"yes"}"#, key: api.key)
        #expect(badNonce.status == 400 && Self.errorCode(badNonce) == "invalid_field")
    }
}
