import Foundation
import TestSupport
import Testing
import VaultCore
import VaultCrypto

/// The seed's example request, with its JSON completed (closing brackets; nothing else changed).
let clientSyncSeedBody = #"""
{"client":{"identifier":"Bk0zwVx1Z","meta":{"firstName":"Demo","lastName":"User","email":"","phone":"123-123-1234",
"address1":"123 Api St.","address2":"P.O. Box 283","city":"Demo","state":"Q2","zipcode":"12345"}},
"token":{"expiration":"2025-01-30T00:00:00.000Z"},
"cards":[{"identifier":"fiId123","cardNumber":"4111111111111111","cardCode":"123","cardType":"credit","cardBrand":"visa",
"expMonth":"02","expYear":"2040","zipcode":"12345","name":"Demo User","setAsDefault":"true","customLabel":"Entertainment Rewards Card"}]}
"""#

/// The day before the seed's token expiration, so its request runs as written.
let clientSyncSeedDay = Date(timeIntervalSince1970: 1_738_108_800)  // 2025-01-29T00:00:00Z

extension APIHarness {
    static func makeForClientSync() async throws -> APIHarness {
        let api = try await make()
        api.clock.now = clientSyncSeedDay
        return api
    }

    func sync(_ body: String = clientSyncSeedBody) async -> Response {
        await request("POST", "/v1/client/sync", body: body, key: key)
    }

    /// What a white-label front end does with an SSO token: exchanges it for an access token.
    func accessToken(exchanging ssoToken: String) async throws -> String {
        let exchanged = await request("POST", "/v1/client/access-token", key: ssoToken)
        return try #require(exchanged.json?["accessToken"] as? String, "\(exchanged.status) \(exchanged.body)")
    }
}

@Suite("Q2-style client sync and SSO tokens (in process)", .ownThreads)
struct ClientSyncAPITests {
    static func isHexID(_ value: Any?) -> Bool {
        (value as? String).map { $0.count == 24 && $0.allSatisfy(\.isHexDigit) && $0 == $0.lowercased() } ?? false
    }

    @Test("The seed's request returns clientId, ssoToken and a paymentMethodId; repeated, the same ids and nothing new")
    func seedRequest() async throws {
        let api = try await APIHarness.makeForClientSync()
        let first = await api.sync()
        #expect(first.status == 200, "\(first.body)")
        let clientID = try #require(first.json?["clientId"] as? String)
        #expect(Self.isHexID(clientID))
        #expect((first.json?["ssoToken"] as? String)?.split(separator: ".").count == 3)
        let cards = try #require(first.json?["cards"] as? [[String: String]])
        #expect(cards.count == 1 && cards[0]["identifier"] == "fiId123" && Self.isHexID(cards[0]["paymentMethodId"]))

        let again = await api.sync()
        #expect(again.json?["clientId"] as? String == clientID)
        #expect(again.json?["cards"] as? [[String: String]] == cards)
        #expect(try await api.test.vault.cardCount() == 1, "the repeat stored no second card")

        let list = await api.request("GET", "/v1/payment/list/\(clientID)", key: api.key)
        let methods = try #require(list.json?["data"] as? [[String: Any]])
        #expect(methods.count == 1)
        #expect(methods[0]["_id"] as? String == cards[0]["paymentMethodId"])
        #expect(methods[0]["default"] as? Bool == true && methods[0]["status"] as? String == "verified")
        #expect(methods[0]["name"] as? String == "Demo User")
        #expect(methods[0]["card"] as? [String: String]
                == ["number": "XXXX1111", "brand": "visa", "type": "credit", "expDate": "2040-02-01T12:00:00.000Z"])
        #expect(!list.body.contains("4111111111111111"))
        for secret in ["123 Api St.", "Entertainment Rewards", "Demo User"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: api.test.databasePath + "-wal"))) ?? Data()
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is sealed at rest")
        }
    }

    @Test("SSO and access tokens verify with PyJWT given the tenant secret, each for its own audience only: sub, iss, iat, exp, kid")
    func pyJWTVerifies() async throws {
        let api = try await APIHarness.makeForClientSync()
        // The real clock, not the tests' fixed one: PyJWT checks `exp` and `iat` against it.
        api.clock.now = Date()
        let body = clientSyncSeedBody.replacingOccurrences(of: "2025-01-30T00:00:00.000Z",
                                                           with: api.clock.now.addingTimeInterval(3600).formatted(.iso8601))
        let synced = await api.sync(body)
        let token = try #require(synced.json?["ssoToken"] as? String)
        let secret = try await ClientSyncService(api.test.vault).ssoSigningKey(tenant: api.client, creating: false)
        let result = try await ProcessRunner.python("""
            import json, sys, jwt
            key = bytes.fromhex(sys.argv[2])
            options = {"require": ["exp", "iat", "sub", "iss", "aud"]}
            claims = jwt.decode(sys.argv[1], key, algorithms=["HS256"], options=options, issuer="coffer", audience="coffer:sso")
            access = jwt.decode(sys.argv[3], key, algorithms=["HS256"], options=options, issuer="coffer",
                                audience="coffer:client-session")
            assert access["sub"] == claims["sub"] and access["exp"] - access["iat"] == 3600, access
            for other, audience in ((sys.argv[1], "coffer:client-session"), (sys.argv[3], "coffer:sso")):
                try:
                    jwt.decode(other, key, algorithms=["HS256"], audience=audience)
                    sys.exit("a token verified for the other audience")
                except jwt.InvalidAudienceError:
                    pass
            print(json.dumps({"claims": claims, "kid": jwt.get_unverified_header(sys.argv[1])["kid"]}))
            """, [token, secret.secret.bytes.map { String(format: "%02x", $0) }.joined(), try await api.accessToken(exchanging: token)])
        #expect(result.status == 0, "\(result.standardError)")
        let output = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        let claims = try #require(output?["claims"] as? [String: Any])
        #expect(claims["sub"] as? String == synced.json?["clientId"] as? String)
        #expect(output?["kid"] as? String == api.client.rawValue)
        let lifetime = (claims["exp"] as? Int ?? 0) - (claims["iat"] as? Int ?? 0)
        #expect((3590...3600).contains(lifetime), "exp comes from token.expiration: \(lifetime)")

        let wrongSecret = try await ProcessRunner.python("""
            import sys, jwt
            jwt.decode(sys.argv[1], b"x" * 32, algorithms=["HS256"])
            """, [token])
        #expect(wrongSecret.status != 0, "another secret does not verify it")
    }

    @Test("The access token of an SSO token opens its own client's routes only; expired, altered, alg none, RS256 tokens are 401")
    func sessionCredential() async throws {
        let api = try await APIHarness.makeForClientSync()
        let synced = await api.sync()
        let token = try await api.accessToken(exchanging: try #require(synced.json?["ssoToken"] as? String))
        let clientID = try #require(synced.json?["clientId"] as? String)
        let other = await api.request("POST", "/v1/client", body: #"{"identifier":"someone-else"}"#, key: api.key)
        let otherID = try #require(other.json?["clientId"] as? String)

        #expect(await api.request("GET", "/v1/payment/list/\(clientID)", key: token).status == 200)
        let added = await api.request("POST", "/v1/payment", body: #"""
            {"clientId":"\#(clientID)","cardNumber":"5555555555554444","expMonth":"12","expYear":"2031","name":"Demo"}
            """#, key: token)
        #expect(added.status == 200, "\(added.body)")
        #expect(await api.request("GET", "/v1/payment/list/\(otherID)", key: token).status == 403)
        #expect(await api.request("POST", "/v1/payment", body: #"""
            {"clientId":"\#(otherID)","cardNumber":"5555555555554444","expMonth":"12","expYear":"2031"}
            """#, key: token).status == 403)
        #expect(await api.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: token).status == 403)
        #expect(await api.request("POST", "/v1/client/sync", body: clientSyncSeedBody, key: token).status == 403)

        let parts = token.split(separator: ".").map(String.init)
        var payload = Array(parts[1])
        payload[5] = payload[5] == "A" ? "B" : "A"
        let refused = [
            parts[0] + "." + String(payload) + "." + parts[2],
            Base64URL.encode(#"{"alg":"none","kid":"\#(api.client.rawValue)"}"#.utf8) + "." + parts[1] + ".",
            Base64URL.encode(#"{"alg":"RS256","kid":"\#(api.client.rawValue)"}"#.utf8) + "." + parts[1] + "." + parts[2],
            Base64URL.encode(#"{"alg":"HS256","kid":"\#(TenantID.generate().rawValue)"}"#.utf8) + "." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + String(parts[2].dropLast()),
        ]
        for bad in refused {
            let response = await api.request("GET", "/v1/payment/list/\(clientID)", key: bad)
            #expect(response.status == 401, "\(bad)")
        }
        api.clock.now = clientSyncSeedDay.addingTimeInterval(3600 + 31)
        #expect(await api.request("GET", "/v1/payment/list/\(clientID)", key: token).status == 401, "expired")
    }

    @Test("nonce: true makes an SSO token exchangeable once; create-token needs a future expiration")
    func createToken() async throws {
        let api = try await APIHarness.makeForClientSync()
        let synced = await api.sync()
        let clientID = try #require(synced.json?["clientId"] as? String)
        let issued = await api.request("POST", "/v1/client/create-token",
                                       body: #"{"identifier":"Bk0zwVx1Z","nonce":true,"accessTokenExpiresIn":600}"#, key: api.key)
        let token = try #require(issued.json?["token"] as? String)
        let session = try await api.accessToken(exchanging: token)
        #expect(await api.request("POST", "/v1/client/access-token", key: token).status == 401, "exchanged once")
        #expect(await api.request("GET", "/v1/payment/list/\(clientID)", key: session).status == 200)
        #expect(await api.request("GET", "/v1/payment/list/\(clientID)", key: session).status == 200, "the session lasts")

        let lasting = await api.request("POST", "/v1/client/create-token", body: #"{"identifier":"Bk0zwVx1Z"}"#, key: api.key)
        let reusable = try #require(lasting.json?["token"] as? String)
        #expect(try await api.accessToken(exchanging: reusable) != api.accessToken(exchanging: reusable))

        let past = await api.request("POST", "/v1/client/create-token",
                                     body: #"{"identifier":"Bk0zwVx1Z","expiration":"2020-01-01T00:00:00Z"}"#, key: api.key)
        #expect(past.status == 400)
        #expect(await api.request("POST", "/v1/client/create-token",
                                  body: #"{"identifier":"Bk0zwVx1Z","expiration":"soon"}"#, key: api.key).status == 400)
    }

    @Test("A brand hint that contradicts the number is a 400, and the whole sync stores nothing")
    func brandHintAndAtomicity() async throws {
        let api = try await APIHarness.makeForClientSync()
        let body = #"""
            {"client":{"identifier":"c1"},"cards":[
              {"identifier":"a","cardNumber":"5555555555554444","expMonth":"01","expYear":"2031"},
              {"identifier":"b","cardNumber":"4111111111111111","cardBrand":"mastercard","expMonth":"01","expYear":"2031"}]}
            """#
        let refused = await api.sync(body)
        #expect(refused.status == 400)
        #expect((refused.json?["error"] as? [String: String])?["code"] == "card_brand_mismatch")
        #expect(try await api.test.vault.cardCount() == 0)
        let created = await api.request("POST", "/v1/client", body: #"{"identifier":"c1"}"#, key: api.key)
        let clientID = try #require(created.json?["clientId"] as? String)
        #expect((await api.request("GET", "/v1/payment/list/\(clientID)", key: api.key).json?["data"] as? [Any])?.isEmpty == true,
                "the refused sync left no client with card a behind")
        let unknownBrand = await api.sync(body.replacingOccurrences(of: "mastercard", with: "diners"))
        #expect(unknownBrand.status == 400 && (unknownBrand.json?["error"] as? [String: String])?["code"] == "invalid_field")
        let amex = await api.sync(#"""
            {"client":{"identifier":"c2"},"cards":[{"cardNumber":"378282246310005","cardBrand":"american express","cardType":"debit","expMonth":"1","expYear":"2031"}]}
            """#)
        #expect(amex.status == 200, "\(amex.body)")
    }

    @Test("Updating by identifier replaces the card only when its expiry changed; setAsDefault moves the default")
    func updatesAndDefaults() async throws {
        let api = try await APIHarness.makeForClientSync()
        func card(_ identifier: String, _ number: String, default isDefault: Bool = false) -> String {
            #"{"identifier":"\#(identifier)","cardNumber":"\#(number)","expMonth":"03","expYear":"2032","setAsDefault":\#(isDefault)}"#
        }
        let first = await api.sync(#"{"client":{"identifier":"c"},"cards":[\#(card("a", "4111111111111111")),\#(card("b", "5555555555554444"))]}"#)
        let clientID = try #require(first.json?["clientId"] as? String)
        let ids = (first.json?["cards"] as? [[String: String]])?.map { $0["paymentMethodId"]! } ?? []
        func list() async -> [[String: Any]] {
            await api.request("GET", "/v1/payment/list/\(clientID)", key: api.key).json?["data"] as? [[String: Any]] ?? []
        }
        #expect(await list().map { $0["default"] as? Bool } == [true, false], "the first card becomes default")

        let moved = await api.sync(#"{"client":{"identifier":"c"},"cards":[\#(card("b", "5555555555554444", default: true))]}"#)
        #expect((moved.json?["cards"] as? [[String: String]])?.first?["paymentMethodId"] == ids[1])
        #expect(await list().map { $0["default"] as? Bool } == [false, true])
        #expect(try await api.test.vault.cardCount() == 2)

        let renewed = await api.sync(#"{"client":{"identifier":"c"},"cards":[\#(card("a", "4111111111111111").replacingOccurrences(of: "2032", with: "2033"))]}"#)
        #expect((renewed.json?["cards"] as? [[String: String]])?.first?["paymentMethodId"] == ids[0])
        let expiries = await list().map { ($0["card"] as? [String: Any])?["expDate"] as? String }
        #expect(expiries == ["2033-03-01T12:00:00.000Z", "2032-03-01T12:00:00.000Z"])
        #expect(try await api.test.vault.cardCount() == 2, "the old card was deleted, not kept beside the new one")
    }

    @Test("Coffer tokens in place of card numbers: a single-use token is taken, a reusable one referred to")
    func tokensInPlaceOfNumbers() async throws {
        let api = try await APIHarness.makeForClientSync()
        let single = await api.request("POST", "/vault/v1/card-tokens",
                                       body: #"{"number":"4111111111111111","expirationDate":"203012","securityCode":"123"}"#, key: api.key)
        let singleToken = try #require(single.json?["cardToken"] as? String)
        let stored = await api.request("POST", "/vault/v1/cards", body: #"{"number":"5555555555554444","expirationDate":"203012"}"#, key: api.key)
        let storedToken = try #require(stored.json?["token"] as? String)
        #expect(try await api.test.vault.cardCount() == 1)

        let synced = await api.sync(#"""
            {"client":{"identifier":"t"},"cards":[{"identifier":"s","token":"\#(singleToken)","cardBrand":"visa"},
                                                  {"identifier":"r","token":"\#(storedToken)"}]}
            """#)
        #expect(synced.status == 200, "\(synced.body)")
        #expect(try await api.test.vault.cardCount() == 2, "the single-use card was stored; the reusable one only referred to")
        let clientID = try #require(synced.json?["clientId"] as? String)
        let list = await api.request("GET", "/v1/payment/list/\(clientID)", key: api.key)
        let numbers = (list.json?["data"] as? [[String: Any]])?.map { ($0["card"] as? [String: Any])?["number"] as? String }
        #expect(numbers == ["XXXX1111", "XXXX4444"])
        let mismatch = await api.sync(#"{"client":{"identifier":"t"},"cards":[{"token":"\#(storedToken)","cardBrand":"visa"}]}"#)
        #expect(mismatch.status == 400)
        #expect(await api.sync(#"{"client":{"identifier":"t"},"cards":[{"token":"\#(Token.generate().rawValue)"}]}"#).status == 404)
    }

    @Test("Bank payment methods: ABA-checked, sealed, listed masked")
    func bankPaymentMethod() async throws {
        let api = try await APIHarness.makeForClientSync()
        let client = await api.request("POST", "/v1/client", body: #"{"identifier":"b","meta":{"firstName":"B"}}"#, key: api.key)
        let clientID = try #require(client.json?["clientId"] as? String)
        #expect(await api.request("POST", "/v1/client", body: #"{"identifier":"b"}"#, key: api.key).json?["clientId"] as? String
                == clientID, "an existing identifier returns the existing clientId")
        let added = await api.request("POST", "/v1/payment", body: #"""
            {"clientId":"\#(clientID)","paymentType":"bank","routingNumber":"021000021","accountNumber":"123456789012","accountType":"savings","name":"B"}
            """#, key: api.key)
        #expect(added.status == 200, "\(added.body)")
        let list = await api.request("GET", "/v1/payment/list/\(clientID)", key: api.key)
        let method = try #require((list.json?["data"] as? [[String: Any]])?.first)
        #expect(method["type"] as? String == "bank")
        #expect(method["bank"] as? [String: String] == ["routing": "XXXX0021", "account": "XXXX9012", "type": "savings"])
        #expect(method["status"] as? String == "verified")
        #expect(try !file(api.test.databasePath + "-wal", containsAnyOf: ["123456789012"]))
        let badRouting = await api.request("POST", "/v1/payment", body: #"""
            {"clientId":"\#(clientID)","paymentType":"bank","routingNumber":"021000022","accountNumber":"1234","accountType":"savings"}
            """#, key: api.key)
        #expect((badRouting.json?["error"] as? [String: String])?["code"] == "routing_check_failed")
        #expect(await api.request("GET", "/v1/payment/list/\(String(repeating: "a", count: 24))", key: api.key).status == 404)
    }

    @Test("An Idempotency-Key retry of a sync replays the first response, SSO token included")
    func idempotentSync() async throws {
        let api = try await APIHarness.makeForClientSync()
        let first = await api.request("POST", "/v1/client/sync", body: clientSyncSeedBody, key: api.key,
                                      headers: ["Idempotency-Key": "sync-1"])
        let retry = await api.request("POST", "/v1/client/sync", body: clientSyncSeedBody, key: api.key,
                                      headers: ["Idempotency-Key": "sync-1"])
        #expect(first.status == 200 && first.body == retry.body)
        let token = try await api.accessToken(exchanging: try #require(first.json?["ssoToken"] as? String))
        let clientID = try #require(first.json?["clientId"] as? String)
        #expect(await api.request("GET", "/v1/payment/list/\(clientID)", key: token).status == 200)
        let other = await api.request("POST", "/v1/client/sync", body: clientSyncSeedBody.replacingOccurrences(of: "fiId123", with: "x"),
                                      key: api.key, headers: ["Idempotency-Key": "sync-1"])
        #expect(other.status == 422)
        #expect(try await api.test.vault.cardCount() == 1)
    }

    @Test("Concurrent syncs of one new client identifier end with one client")
    func concurrentSyncs() async throws {
        let api = try await APIHarness.makeForClientSync()
        let ids = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<8 { group.addTask { await api.sync().json?["clientId"] as? String } }
            return await group.reduce(into: Set<String?>()) { $0.insert($1) }
        }
        #expect(ids.count == 1 && ids.first! != nil)
        #expect(try await api.test.vault.cardCount() == 1)
    }
}
