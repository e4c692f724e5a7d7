import Foundation
import Testing
import TestSupport
import VaultCore

/// docs/api/tabapay.md, "Update Account": v1 replaces the card or bank account and the owner,
/// v2 the expiration and parts of the owner; the accountID (a Coffer token) stays.
@Suite("TabaPay Update Account (v1 and v2)", .ownThreads)
struct TabaPayUpdateTests {
    static let newOwner = #"{"name":{"company":"Acme"},"phone":{"number":"4155550100"}}"#

    /// A card account for `number` (expiring 203012, the seed's owner); its accountID.
    static func create(_ api: APIHarness, _ number: String = "4111111111111111", query: String = "") async throws -> String {
        let card = #"{"accountNumber":"\#(number)","expirationDate":"203012"}"#
        let created = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts\(query)",
                                        body: tabaPayAccountBody(card: card), key: api.key)
        #expect(created.status == 200, "\(created.body)")
        return try #require(created.json?["accountID"] as? String)
    }

    static func put(_ api: APIHarness, _ version: String, _ accountID: String, query: String = "", body: String,
                    key: String? = nil) async -> APIHarness.Response {
        await api.request("PUT", "/\(version)/clients/\(api.client.rawValue)/accounts/\(accountID)\(query)", body: body,
                          key: key ?? api.key)
    }

    static func v1Body(_ number: String, _ expiration: String = "203105", owner: String = newOwner) -> String {
        #"{"card":{"accountNumber":"\#(number)","expirationDate":"\#(expiration)"},"owner":\#(owner)}"#
    }

    static func reveal(_ api: APIHarness, _ accountID: String) async -> [String: String]? {
        await api.request("POST", "/vault/v1/cards/\(accountID)/reveal", key: api.key).json as? [String: String]
    }

    static func retrieve(_ api: APIHarness, _ accountID: String) async -> APIHarness.Response {
        await api.request("GET", "/v1/clients/\(api.client.rawValue)/accounts/\(accountID)", key: api.key)
    }

    static func updateAudits(_ api: APIHarness, _ accountID: String) async throws -> Int {
        try await api.test.storage.read { try $0.auditEntries(after: 0, limit: 10_000) }
            .filter { $0.event.action == .accountUpdate && $0.event.subject == accountID }.count
    }

    @Test("v1 replaces the card behind the same accountID: reveal, metadata and retrieve show the new card and owner")
    func replaceCard() async throws {
        let api = try await APIHarness.make()
        let id = try await Self.create(api)
        let before = await api.request("GET", "/vault/v1/cards/\(id)", key: api.key).json
        let updated = await Self.put(api, "v1", id, body: Self.v1Body("5555555555554444"))
        #expect(updated.status == 200, "\(updated.body)")
        #expect(updated.json?.keys.sorted() == ["EC", "SC"] && updated.sc == 200 && updated.ec == "0")

        #expect(await Self.reveal(api, id) == ["number": "5555555555554444", "expirationDate": "203105"])
        let metadata = await api.request("GET", "/vault/v1/cards/\(id)", key: api.key).json
        #expect(metadata?["token"] as? String == id)
        #expect(metadata?["bin"] as? String == "555555" && metadata?["last4"] as? String == "4444")
        #expect(metadata?["brand"] as? String != before?["brand"] as? String)
        #expect(metadata?["fingerprint"] as? String != before?["fingerprint"] as? String)
        let retrieved = await Self.retrieve(api, id)
        #expect(retrieved.json?["referenceID"] as? String == "1", "v1 keeps the reference")
        #expect(retrieved.json?["card"] as? [String: String] == ["last4": "4444", "expirationDate": "203105"])
        #expect(retrieved.json?["owner"] as? [String: [String: String]]
                == ["name": ["company": "Acme"], "phone": ["countryCode": "1", "number": "4155550100"]])
        #expect(try await api.test.vault.cardCount() == 1)
        #expect(try await Self.updateAudits(api, id) == 1)
        #expect(!api.log.lines.joined().contains("5555555555554444"))
    }

    @Test("v1 takes encrypted card data as create does, and answers its last4 and expiry")
    func replaceWithEncryptedCard() async throws {
        let api = try await APIHarness.make()
        let id = try await Self.create(api)
        let (keyID, _, der) = try await TabaPayKeyTests.createKey(api)
        let data = try await opensslEncrypt("378282246310005|203204|", publicKeyDER: der, mgf1: "sha256", in: api.test.directory)
        let body = #"{"card":{"keyID":"\#(keyID)","data":"\#(data)"},"owner":\#(tabaPaySeedOwner)}"#
        let updated = await Self.put(api, "v1", id, body: body)
        #expect(updated.status == 200, "\(updated.body)")
        #expect(updated.json?["card"] as? [String: String] == ["last4": "0005", "expirationDate": "203204"])
        #expect(await Self.reveal(api, id) == ["number": "378282246310005", "expirationDate": "203204"])
        let garbled = await Self.put(api, "v1", id, body: #"{"card":{"keyID":"\#(keyID)","data":"AAAA"},"owner":\#(tabaPaySeedOwner)}"#)
        #expect(garbled.status == 400 && garbled.em == "card.data")
    }

    @Test("v1 duplicate flags: Reject is a 409 that changes nothing; the account is no duplicate of itself; OK reports")
    func duplicates() async throws {
        let api = try await APIHarness.make()
        let first = try await Self.create(api, "5555555555554444", query: "?RejectDuplicateCard")
        let second = try await Self.create(api)
        let refused = await Self.put(api, "v1", second, query: "?RejectDuplicateCard", body: Self.v1Body("5555555555554444"))
        #expect(refused.status == 409 && refused.sc == 409 && refused.em == "Duplicate", "\(refused.body)")
        #expect(refused.json?["duplicateAccountIDs"] as? [String] == [first])
        #expect(await Self.reveal(api, second) == ["number": "4111111111111111", "expirationDate": "203012"])
        #expect((await Self.retrieve(api, second)).json?["owner"] as? [String: Any] != nil)
        #expect(try await Self.updateAudits(api, second) == 0)

        let own = await Self.put(api, "v1", first, query: "?RejectDuplicateCard", body: Self.v1Body("5555555555554444"))
        #expect(own.status == 200 && own.json?["duplicateAccountIDs"] == nil, "\(own.body)")
        let reported = await Self.put(api, "v1", second, query: "?OKToAddDuplicateCard", body: Self.v1Body("5555555555554444"))
        #expect(reported.status == 200 && reported.json?["duplicateAccountIDs"] as? [String] == [first], "\(reported.body)")
        // Created without a flag, the second account takes part in checks since its flagged update.
        let later = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts?RejectDuplicateCard",
                                      body: tabaPayAccountBody(card: #"{"accountNumber":"5555555555554444","expirationDate":"203012"}"#),
                                      key: api.key)
        #expect(later.status == 409 && later.json?["duplicateAccountIDs"] as? [String] == [second, first], "\(later.body)")
    }

    @Test("v2 changes the expiration: same number, new expiry, same fingerprint")
    func amendExpiration() async throws {
        let api = try await APIHarness.make()
        let id = try await Self.create(api)
        let before = await api.request("GET", "/vault/v1/cards/\(id)", key: api.key).json
        let updated = await Self.put(api, "v2", id, body: #"{"card":{"expirationDate":"203207"}}"#)
        #expect(updated.status == 200 && updated.json?.keys.sorted() == ["EC", "SC"], "\(updated.body)")
        #expect(await Self.reveal(api, id) == ["number": "4111111111111111", "expirationDate": "203207"])
        let after = await api.request("GET", "/vault/v1/cards/\(id)", key: api.key).json
        #expect(after?["fingerprint"] as? String == before?["fingerprint"] as? String)
        let owner = (await Self.retrieve(api, id)).json?["owner"] as? [String: Any]
        #expect(owner?["name"] as? [String: String] == ["first": "John", "last": "Customer"], "the owner stays")
        #expect(try await Self.updateAudits(api, id) == 1)
    }

    @Test("v2 replaces only the owner parts it gives")
    func amendOwner() async throws {
        let api = try await APIHarness.make()
        let id = try await Self.create(api)
        let phone = await Self.put(api, "v2", id, body: #"{"owner":{"phone":{"number":"4155550100"}}}"#)
        #expect(phone.status == 200, "\(phone.body)")
        var owner = try #require((await Self.retrieve(api, id)).json?["owner"] as? [String: Any])
        #expect(owner["phone"] as? [String: String] == ["countryCode": "1", "number": "4155550100"])
        #expect(owner["name"] as? [String: String] == ["first": "John", "last": "Customer"])
        #expect((owner["address"] as? [String: String])?["line1"] == "465 Fairchild Drive")

        let both = await Self.put(api, "v2", id, body: #"{"card":{"expirationDate":"203301"},"owner":{"name":{"company":"Acme"}}}"#)
        #expect(both.status == 200, "\(both.body)")
        owner = try #require((await Self.retrieve(api, id)).json?["owner"] as? [String: Any])
        #expect(owner["name"] as? [String: String] == ["company": "Acme"])
        #expect(owner["phone"] as? [String: String] == ["countryCode": "1", "number": "4155550100"])
        #expect(await Self.reveal(api, id) == ["number": "4111111111111111", "expirationDate": "203301"])
        #expect(try await Self.updateAudits(api, id) == 2)
    }

    @Test("Bad updates are a 400 naming the field and change nothing", arguments: [
        ("v2", #"{"card":{"accountNumber":"5555555555554444","expirationDate":"203207"}}"#, 400, "card.accountNumber"),
        ("v2", #"{"card":{"keyID":"AAAAAAAAAAAAAAAAAAAAAA","data":"AAAA"}}"#, 400, "card.keyID"),
        ("v2", #"{"bank":{"routingNumber":"021000021","accountNumber":"1234","accountType":"C"}}"#, 400, "bank"),
        ("v2", #"{"card":{"expirationDate":"202001"}}"#, 400, "card.expirationDate"),
        ("v2", #"{"owner":{"name":{"first":"Jane"}}}"#, 400, "owner.name.last"),
        ("v2", #"{"owner":{}}"#, 400, "owner"),
        ("v2", #"{}"#, 400, "card or owner"),
        ("v2", "[]", 400, "JSON"),
        ("v1", #"{"referenceID":"2","card":{"accountNumber":"5555555555554444","expirationDate":"203105"},"owner":{"name":{"company":"A"}}}"#, 400, "referenceID"),
        ("v1", #"{"card":{"accountNumber":"5555555555554444","expirationDate":"203105"}}"#, 400, "owner"),
        ("v1", #"{"owner":{"name":{"company":"A"}}}"#, 400, "card or bank"),
        ("v1", #"{"card":{"accountNumber":"5555555555554443","expirationDate":"203105"},"owner":{"name":{"company":"A"}}}"#, 400, "card.accountNumber"),
        ("v1", #"{"card":{"accountNumber":"5555555555554444","expirationDate":"202001"},"owner":{"name":{"company":"A"}}}"#, 400, "card.expirationDate"),
        ("v1", #"{"bank":{"routingNumber":"021000021","accountNumber":"1234","accountType":"C"},"owner":{"name":{"company":"A"}}}"#, 400, "Account Type"),
    ])
    func badUpdates(version: String, body: String, status: Int, field: String) async throws {
        let api = try await APIHarness.make()
        let id = try await Self.create(api)
        let response = await Self.put(api, version, id, body: body)
        #expect(response.status == status && response.sc == status && response.em == field, "\(response.body)")
        #expect(!response.body.contains("555555555555444"))
        #expect(await Self.reveal(api, id) == ["number": "4111111111111111", "expirationDate": "203012"])
        let owner = (await Self.retrieve(api, id)).json?["owner"] as? [String: Any]
        #expect(owner?["name"] as? [String: String] == ["first": "John", "last": "Customer"])
        #expect(try await Self.updateAudits(api, id) == 0)
    }

    @Test("Query strings: the duplicate flags are v1's; v2 takes none; unknown ones are refused")
    func queryStrings() async throws {
        let api = try await APIHarness.make()
        let id = try await Self.create(api)
        let v2 = await Self.put(api, "v2", id, query: "?RejectDuplicateCard", body: #"{"card":{"expirationDate":"203207"}}"#)
        #expect(v2.status == 400 && v2.em == "Query String")
        let v1 = await Self.put(api, "v1", id, query: "?DeleteDuplicateCard", body: Self.v1Body("5555555555554444"))
        #expect(v1.status == 400 && v1.em == "Query String")
        #expect(await Self.reveal(api, id) == ["number": "4111111111111111", "expirationDate": "203012"])
    }

    @Test("Unknown, deleted, malformed and other clients' accounts: 404 and 410 as retrieve and delete answer")
    func notFound() async throws {
        let api = try await APIHarness.make()
        let id = try await Self.create(api)
        for (version, body) in [("v1", Self.v1Body("5555555555554444")), ("v2", #"{"card":{"expirationDate":"203207"}}"#)] {
            let unknown = await Self.put(api, version, Token.generate().rawValue, body: body)
            #expect(unknown.status == 404 && unknown.sc == 404 && unknown.em == "AccountID", "\(unknown.body)")
            #expect(await Self.put(api, version, "not-an-id", body: body).em == "AccountID")

            let other = try await api.test.vault.createTenant(name: "other", actor: "test")
            let foreign = await api.request("PUT", "/\(version)/clients/\(other.id.rawValue)/accounts/\(id)", body: body,
                                            key: other.adminKey.secret)
            #expect(foreign.status == 404 && foreign.em == "AccountID", "another client's account is not found")
            let wrongClient = await Self.put(api, version, id, body: body, key: other.adminKey.secret)
            #expect(wrongClient.status == 401 && wrongClient.em == "ClientID")
        }
        #expect(await api.request("DELETE", "/v1/clients/\(api.client.rawValue)/accounts/\(id)", key: api.key).status == 200)
        let v1 = await Self.put(api, "v1", id, body: Self.v1Body("5555555555554444"))
        #expect(v1.status == 410 && v1.sc == 410 && v1.em == "Account Deleted")
        let v2 = await Self.put(api, "v2", id, body: #"{"card":{"expirationDate":"203207"}}"#)
        #expect(v2.status == 410 && v2.em == "Account Deleted")
        #expect(try await api.test.vault.cardCount() == 0)
    }

    @Test("The tokenize role is needed, as for create; no key is 401")
    func roles() async throws {
        let api = try await APIHarness.make()
        let id = try await Self.create(api)
        let reader = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.reveal], label: "r", actor: "test")
        let tokenizer = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.tokenize], label: "t", actor: "test")
        for (version, body) in [("v1", Self.v1Body("5555555555554444")), ("v2", #"{"card":{"expirationDate":"203207"}}"#)] {
            let denied = await Self.put(api, version, id, body: body, key: reader.secret)
            #expect(denied.status == 403 && denied.sc == 403 && denied.em == "Forbidden")
            let anonymous = await api.request("PUT", "/\(version)/clients/\(api.client.rawValue)/accounts/\(id)", body: body)
            #expect(anonymous.status == 401 && anonymous.em == "Authorization")
        }
        #expect(await Self.reveal(api, id) == ["number": "4111111111111111", "expirationDate": "203012"])
        #expect(await Self.put(api, "v2", id, body: #"{"card":{"expirationDate":"203207"}}"#, key: tokenizer.secret).status == 200)
    }

    @Test("A bank account takes a bank account (v1) and an owner (v2), never card data; it survives a key rotation")
    func bankAccount() async throws {
        let api = try await APIHarness.make()
        let bank = #"{"routingNumber":"021000021","accountNumber":"12345678","accountType":"C"}"#
        let created = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts",
                                        body: #"{"referenceID":"b1","bank":\#(bank),"owner":{"name":{"company":"Acme"}}}"#, key: api.key)
        let id = try #require(created.json?["accountID"] as? String)
        let card = await Self.put(api, "v1", id, body: Self.v1Body("5555555555554444"))
        #expect(card.status == 400 && card.em == "Account Type")
        let expiry = await Self.put(api, "v2", id, body: #"{"card":{"expirationDate":"203207"}}"#)
        #expect(expiry.status == 400 && expiry.em == "Account Type")

        let newBank = #"{"routingNumber":"011000015","accountNumber":"987654321","accountType":"S"}"#
        let replaced = await Self.put(api, "v1", id, body: #"{"bank":\#(newBank),"owner":{"name":{"company":"Acme"}}}"#)
        #expect(replaced.status == 200, "\(replaced.body)")
        let owner = await Self.put(api, "v2", id, body: #"{"owner":{"name":{"company":"Acme Two"}}}"#)
        #expect(owner.status == 200, "\(owner.body)")
        let retrieved = await Self.retrieve(api, id)
        #expect(retrieved.json?["bank"] as? [String: String] == ["routingNumber": "011000015", "last4": "4321", "accountType": "S"])
        #expect(retrieved.json?["owner"] as? [String: [String: String]] == ["name": ["company": "Acme Two"]])
        #expect(try !file(api.test.databasePath, containsAnyOf: ["987654321"]))
        #expect(try !file(api.test.databasePath + "-wal", containsAnyOf: ["987654321"]))

        // Rotation opens every sealed column, so a bank number sealed with the wrong key version or binding would fail it.
        _ = try await api.test.vault.rotateDataKey(actor: "test")
        #expect((await Self.retrieve(api, id)).json?["owner"] as? [String: [String: String]] == ["name": ["company": "Acme Two"]])
        #expect(try await Self.updateAudits(api, id) == 2)
    }
}
