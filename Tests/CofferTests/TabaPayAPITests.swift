import Foundation
import Testing
import TestSupport
import VaultCore

/// The seed's Create Account example, packed, with a card number and date filled in.
func tabaPayAccountBody(referenceID: String = "1", card: String = #"{"accountNumber":"4111111111111111","expirationDate":"203012"}"#,
                        owner: String = tabaPaySeedOwner) -> String {
    #"{"referenceID":"\#(referenceID)","card":\#(card),"owner":\#(owner)}"#
}

let tabaPaySeedOwner = #"{"name":{"first":"John","last":"Customer"},"address":{"line1":"465 Fairchild Drive","line2":"Suite #222","city":"Mountain View","state":"CA","zipcode":"94043"},"phone":{"number":"4159808222"}}"#

@Suite("TabaPay dialect: accounts, keys, duplicates, sub-clients (in process)", .ownThreads)
struct TabaPayAPITests {
    @Test("The seed's example creates an account on /cards and /accounts; retrieve shows last4, expiration and owner")
    func seedExample() async throws {
        let api = try await APIHarness.make()
        for path in ["cards", "accounts"] {
            let created = await api.request("POST", "/v1/clients/\(api.client.rawValue)/\(path)", body: tabaPayAccountBody(), key: api.key)
            #expect(created.status == 200, "\(created.body)")
            #expect(created.sc == 200 && created.ec == "0")
            let accountID = try #require(created.json?["accountID"] as? String)
            #expect(Token(validating: accountID) != nil)
            #expect(created.json?["card"] == nil, "a client that sent the number in the clear gets no card echo")

            let retrieved = await api.request("GET", "/v1/clients/\(api.client.rawValue)/accounts/\(accountID)", key: api.key)
            #expect(retrieved.status == 200, "\(retrieved.body)")
            #expect(retrieved.json?["referenceID"] as? String == "1")
            #expect(retrieved.json?["card"] as? [String: String] == ["last4": "1111", "expirationDate": "203012"])
            let owner = try #require(retrieved.json?["owner"] as? [String: Any])
            #expect(owner["name"] as? [String: String] == ["first": "John", "last": "Customer"])
            #expect((owner["address"] as? [String: String])?["country"] == "840", "the documented default")
            #expect(owner["phone"] as? [String: String] == ["countryCode": "1", "number": "4159808222"])
            #expect(!retrieved.body.contains("4111111111111111"))
        }
        // The owner is personal data: sealed at rest like the card.
        for path in [api.test.databasePath, api.test.databasePath + "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            for secret in ["Fairchild", "4159808222", "Customer"] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in \(path)")
            }
        }
    }

    @Test("The seed's literal request (Luhn-failing PAN, past date) is a 400 naming the field, and stores nothing")
    func seedLiteral() async throws {
        let api = try await APIHarness.make()
        let path = "/v1/clients/\(api.client.rawValue)/cards"
        let literal = await api.request("POST", path, body: tabaPayAccountBody(
            card: #"{"accountNumber":"9999999999999999","expirationDate":"202012"}"#), key: api.key)
        #expect(literal.status == 400)
        #expect(literal.sc == 400 && literal.em == "card.accountNumber")
        #expect(literal.ec?.count == 8 && literal.ec != "0")
        #expect(!literal.body.contains("9999999999999999"))
        let expired = await api.request("POST", path, body: tabaPayAccountBody(
            card: #"{"accountNumber":"4111111111111111","expirationDate":"202012"}"#), key: api.key)
        #expect(expired.status == 400 && expired.em == "card.expirationDate")
        #expect(try await api.test.vault.cardCount() == 0)
    }

    @Test("Every malformed request is a 400 whose EM names the field; nothing is stored", arguments: [
        (#"{"referenceID":"1","card":{"accountNumber":"4111111111111111","expirationDate":"203012"}"#, "JSON"),
        (#"[]"#, "JSON"),
        (tabaPayAccountBody(referenceID: "sixteen-chars-xx"), "referenceID"),
        (tabaPayAccountBody(referenceID: #"a\tb"#), "referenceID"),
        (#"{"card":{"accountNumber":"4111111111111111","expirationDate":"203012"},"owner":\#(tabaPaySeedOwner)}"#, "referenceID"),
        (#"{"referenceID":1,"card":{"accountNumber":"4111111111111111","expirationDate":"203012"},"owner":\#(tabaPaySeedOwner)}"#, "referenceID"),
        (#"{"referenceID":"1","owner":\#(tabaPaySeedOwner)}"#, "card or bank"),
        (#"{"referenceID":"1","card":{"token":"x"},"bank":{"routingNumber":"021000021","accountNumber":"1234","accountType":"C"},"owner":\#(tabaPaySeedOwner)}"#, "card or bank"),
        (tabaPayAccountBody(card: #"{"accountNumber":"4111111111111111","expirationDate":"203012","keyID":"x"}"#), "card"),
        (tabaPayAccountBody(card: #"{}"#), "card"),
        (tabaPayAccountBody(card: #"{"accountNumber":"4111111111111111","expirationDate":"203012","cvv":"123"}"#), "card.cvv"),
        (tabaPayAccountBody(card: #"{"accountNumber":"411111111116","expirationDate":"203012"}"#), "card.accountNumber"),
        (tabaPayAccountBody(card: #"{"accountNumber":4111111111111111,"expirationDate":"203012"}"#), "card.accountNumber"),
        (tabaPayAccountBody(card: #"{"accountNumber":"4111111111111111"}"#), "card.expirationDate"),
        (tabaPayAccountBody(card: #"{"accountNumber":"4111111111111111","expirationDate":"203013"}"#), "card.expirationDate"),
        (tabaPayAccountBody(card: #"{"keyID":"short","data":"AAAA"}"#), "card.keyID"),
        (tabaPayAccountBody(card: #"{"keyID":"AAAAAAAAAAAAAAAAAAAAAA","data":"AAAA","mode":3}"#), "card.mode"),
        (tabaPayAccountBody(card: #"{"keyID":"AAAAAAAAAAAAAAAAAAAAAA","data":"AAAA","mode":0}"#), "card.mode"),
        (tabaPayAccountBody(card: #"{"token":"not-a-token"}"#), "card.token"),
        (tabaPayAccountBody(owner: "{}"), "owner.name"),
        (tabaPayAccountBody(owner: #"{"name":{"first":"John"}}"#), "owner.name.last"),
        (tabaPayAccountBody(owner: #"{"name":{"company":"Acme","first":"John"}}"#), "owner.name.last"),
        (tabaPayAccountBody(owner: #"{"name":{"company":""}}"#), "owner.name.company"),
        (tabaPayAccountBody(owner: #"{"name":{"company":"Acme"},"address":{"line1":"1 Main","city":"X","state":"ca","zipcode":"94043"}}"#), "owner.address.state"),
        (tabaPayAccountBody(owner: #"{"name":{"company":"Acme"},"address":{"line1":"1 Main","city":"X","state":"CA","zipcode":"9404"}}"#), "owner.address.zipcode"),
        (tabaPayAccountBody(owner: #"{"name":{"company":"Acme"},"address":{"line1":"1 Main","city":"X","state":"CA"}}"#), "owner.address.zipcode"),
        (tabaPayAccountBody(owner: #"{"name":{"company":"Acme"},"address":{"line1":"1 Main","city":"X","country":"84"}}"#), "owner.address.country"),
        (tabaPayAccountBody(owner: #"{"name":{"company":"Acme"},"phone":{"number":"415980822"}}"#), "owner.phone.number"),
        (tabaPayAccountBody(owner: #"{"name":{"company":"Acme"},"phone":{"countryCode":"44","number":"123"}}"#), "owner.phone.number"),
        (tabaPayAccountBody(owner: #"{"name":{"company":"Acme"},"phone":{"countryCode":"1234","number":"1234"}}"#), "owner.phone.countryCode"),
        (#"{"referenceID":"1","bank":{"routingNumber":"021000022","accountNumber":"1234","accountType":"C"},"owner":\#(tabaPaySeedOwner)}"#, "bank.routingNumber"),
        (#"{"referenceID":"1","bank":{"routingNumber":"021000021","accountNumber":"123","accountType":"C"},"owner":\#(tabaPaySeedOwner)}"#, "bank.accountNumber"),
        (#"{"referenceID":"1","bank":{"routingNumber":"021000021","accountNumber":"1234","accountType":"X"},"owner":\#(tabaPaySeedOwner)}"#, "bank.accountType"),
    ])
    func badRequests(body: String, field: String) async throws {
        let api = try await APIHarness.make()
        let response = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts", body: body, key: api.key)
        #expect(response.status == 400, "\(response.body)")
        #expect(response.sc == 400 && response.em == field, "\(response.body)")
        #expect(try await api.test.vault.cardCount() == 0)
    }

    @Test("A non-US owner needs no state or zipcode, and a 4–14 digit phone number")
    func internationalOwner() async throws {
        let api = try await APIHarness.make()
        let owner = #"{"name":{"company":"Acme Ltd"},"address":{"line1":"1 High St","city":"London","country":"826"},"phone":{"countryCode":"44","number":"2071234567"}}"#
        let created = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts",
                                        body: tabaPayAccountBody(owner: owner), key: api.key)
        #expect(created.status == 200, "\(created.body)")
    }

    @Test("P2P device data gets a clear not-enabled answer")
    func deviceNotEnabled() async throws {
        let api = try await APIHarness.make()
        let response = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts",
                                         body: tabaPayAccountBody(card: #"{"device":{"id":"D1","blob":"0A1b"}}"#), key: api.key)
        #expect(response.status == 403 && response.em == "card.device Not Enabled")
    }

    @Test("A bank account is stored sealed: retrieve masks the number; the database never holds it")
    func bankAccount() async throws {
        let api = try await APIHarness.make()
        let number = "12345678901234567"
        let body = #"{"referenceID":"b1","bank":{"routingNumber":"021000021","accountNumber":"\#(number)","accountType":"S"},"owner":{"name":{"company":"Acme"}}}"#
        let created = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts", body: body, key: api.key)
        #expect(created.status == 200, "\(created.body)")
        let accountID = try #require(created.json?["accountID"] as? String)
        let retrieved = await api.request("GET", "/v1/clients/\(api.client.rawValue)/accounts/\(accountID)", key: api.key)
        #expect(retrieved.json?["bank"] as? [String: String] == ["routingNumber": "021000021", "last4": "4567", "accountType": "S"])
        #expect(retrieved.json?["owner"] as? [String: [String: String]] == ["name": ["company": "Acme"]])
        #expect(!retrieved.body.contains(number))
        #expect(try !file(api.test.databasePath, containsAnyOf: [number]))
        #expect(try !file(api.test.databasePath + "-wal", containsAnyOf: [number]))
        #expect(!api.log.lines.joined().contains(number))
    }

    @Test("Delete answers 200, then 410; the card goes with the account")
    func deleteAccount() async throws {
        let api = try await APIHarness.make()
        let base = "/v1/clients/\(api.client.rawValue)/accounts"
        let created = await api.request("POST", base, body: tabaPayAccountBody(), key: api.key)
        let accountID = try #require(created.json?["accountID"] as? String)
        let deleted = await api.request("DELETE", "\(base)/\(accountID)", key: api.key)
        #expect(deleted.status == 200 && deleted.sc == 200 && deleted.ec == "0")
        let again = await api.request("DELETE", "\(base)/\(accountID)", key: api.key)
        #expect(again.status == 410 && again.em == "Account Deleted")
        #expect(await api.request("GET", "\(base)/\(accountID)", key: api.key).status == 410)
        #expect(await api.request("POST", "/vault/v1/cards/\(accountID)/reveal", key: api.key).status == 404)
        let unknown = await api.request("DELETE", "\(base)/\(Token.generate().rawValue)", key: api.key)
        #expect(unknown.status == 404 && unknown.em == "AccountID")
        #expect(await api.request("GET", "\(base)/not-an-id", key: api.key).em == "AccountID")
    }

    @Test("The account ID is a Coffer token: the native API reveals its card")
    func accountIsAToken() async throws {
        let api = try await APIHarness.make()
        let created = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts", body: tabaPayAccountBody(), key: api.key)
        let accountID = try #require(created.json?["accountID"] as? String)
        let revealed = await api.request("POST", "/vault/v1/cards/\(accountID)/reveal", key: api.key)
        #expect(revealed.json?["number"] as? String == "4111111111111111")
        #expect(await api.request("DELETE", "/vault/v1/cards/\(accountID)", key: api.key).status == 204)
        #expect(await api.request("GET", "/v1/clients/\(api.client.rawValue)/accounts/\(accountID)", key: api.key).status == 410)
    }

    @Test("referenceID lookup: the newest match, 404 when none, 421 after 24 hours")
    func referenceLookup() async throws {
        let api = try await APIHarness.make()
        let base = "/v1/clients/\(api.client.rawValue)/accounts"
        let first = await api.request("POST", base, body: tabaPayAccountBody(referenceID: "ref-1"), key: api.key)
        api.clock.now += 60
        let second = await api.request("POST", base, body: tabaPayAccountBody(referenceID: "ref-1"), key: api.key)
        #expect(first.json?["accountID"] as? String != second.json?["accountID"] as? String, "referenceID is not unique")
        let found = await api.request("GET", "\(base)?referenceID=ref-1", key: api.key)
        #expect(found.status == 200, "\(found.body)")
        #expect(found.json?["accountID"] as? String == second.json?["accountID"] as? String)
        #expect(found.json?["referenceID"] as? String == "ref-1")

        let none = await api.request("GET", "\(base)?referenceID=ref-2", key: api.key)
        #expect(none.status == 404 && none.em == "referenceID")
        #expect(await api.request("GET", "\(base)?referenceID=bad%20ref", key: api.key).em == "referenceID")
        #expect(await api.request("GET", base, key: api.key).em == "Query String")

        api.clock.now += 24 * 3600 - 1
        #expect(await api.request("GET", "\(base)?referenceID=ref-1", key: api.key).status == 200, "within 24 hours")
        api.clock.now += 2
        let late = await api.request("GET", "\(base)?referenceID=ref-1", key: api.key)
        #expect(late.status == 421 && late.sc == 421 && late.em == "referenceID")
    }

    @Test("Idempotency-Key on Create Account replays the first response and stores one account")
    func idempotentCreate() async throws {
        let api = try await APIHarness.make()
        let path = "/v1/clients/\(api.client.rawValue)/accounts"
        let first = await api.request("POST", path, body: tabaPayAccountBody(), key: api.key, headers: ["Idempotency-Key": "k1"])
        let retry = await api.request("POST", path, body: tabaPayAccountBody(), key: api.key, headers: ["Idempotency-Key": "k1"])
        #expect(first.body == retry.body)
        #expect(try await api.test.vault.cardCount() == 1)
        let other = await api.request("POST", path, body: tabaPayAccountBody(referenceID: "2"), key: api.key,
                                      headers: ["Idempotency-Key": "k1"])
        #expect(other.status == 422 && other.sc == 422 && other.em == "Idempotency-Key")
    }
}
