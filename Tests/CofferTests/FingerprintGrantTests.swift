import Foundation
import Testing
import TestSupport
import VaultCore

/// BIN and last 4 leave 100,000 candidate numbers; a fingerprint or a duplicate answer tells which
/// one is stored. So they go only to keys granted `fingerprint` (admin holds it).
@Suite("Fingerprints and duplicate answers go only to keys granted them", .ownThreads)
struct FingerprintGrantTests {
    static let pan = "4111111111111111"

    static func tokenize(_ api: APIHarness, key: String, _ number: String = pan) async -> APIHarness.Response {
        await api.request("POST", "/vault/v1/cards", body: #"{"number":"\#(number)","expirationDate":"203012"}"#, key: key)
    }

    @Test("Native tokenize and metadata: a tokenize-only key sees neither field; a granted key and admin see both")
    func nativeAnswers() async throws {
        let api = try await APIHarness.make()
        let tokenizer = try await api.makeKey([.tokenize])
        let granted = try await api.makeKey([.tokenize, .fingerprint])

        let first = await Self.tokenize(api, key: api.key)
        let firstToken = try #require(first.json?["token"] as? String)
        let fingerprint = try #require(first.json?["fingerprint"] as? String, "admin sees the fingerprint")
        #expect(first.json?["duplicates"] as? [String] == [])

        let blind = await Self.tokenize(api, key: tokenizer)
        #expect(blind.status == 201, "\(blind.body)")
        #expect(blind.json?["token"] is String && blind.json?["last4"] as? String == "1111")
        #expect(blind.json?["fingerprint"] == nil && blind.json?["duplicates"] == nil, "\(blind.body)")
        #expect(!blind.body.contains(firstToken) && !blind.body.contains(fingerprint))
        let blindToken = try #require(blind.json?["token"] as? String)
        for token in [firstToken, blindToken] {
            let metadata = await api.request("GET", "/vault/v1/cards/\(token)", key: tokenizer)
            #expect(metadata.status == 200 && metadata.json?["bin"] as? String == "411111")
            #expect(metadata.json?["fingerprint"] == nil, "\(metadata.body)")
        }

        let seen = await Self.tokenize(api, key: granted)
        #expect(seen.json?["fingerprint"] as? String == fingerprint)
        #expect(seen.json?["duplicates"] as? [String] == [firstToken, blindToken])
        let again = await Self.tokenize(api, key: api.key)
        let seenToken = try #require(seen.json?["token"] as? String)
        #expect(again.json?["duplicates"] as? [String] == [firstToken, blindToken, seenToken])
        for key in [granted, api.key] {
            let metadata = await api.request("GET", "/vault/v1/cards/\(blindToken)", key: key)
            #expect(metadata.json?["fingerprint"] as? String == fingerprint)
        }
        #expect(try await api.test.vault.cardCount() == 4)
    }

    @Test("A tokenize-only key asking for the in-process duplicate lookups is refused")
    func inProcessLookups() async throws {
        let test = try await TestVault.make()
        let tokenizer = Principal(tenantID: test.tenant, credential: .apiKey(.generate()), roles: [.tokenize],
                                  limits: .unlimited)
        let stored = try await test.vault.tokenize(TestPAN.card(1), tenant: test.tenant, caller: test.admin, actor: "test")
        let blind = try await test.vault.tokenize(TestPAN.card(1), tenant: test.tenant, caller: tokenizer, actor: "test")
        #expect(blind.duplicates == nil && blind.metadata.fingerprint == nil, "the lookup is not even made")
        #expect(try await test.vault.metadata(of: stored.metadata.token, tenant: test.tenant, caller: tokenizer).fingerprint == nil)
        await #expect(throws: VaultError.forbidden) {
            try await test.vault.tokenize(TestPAN.card(1), tenant: test.tenant, caller: tokenizer, actor: "test",
                                          duplicates: .reject)
        }
        await #expect(throws: VaultError.forbidden) {
            try await test.vault.cards(matching: PrimaryAccountNumber(TestPAN.make(1)), tenant: test.tenant, caller: tokenizer)
        }
        #expect(try await test.vault.cardCount() == 2)
        await test.storage.close()
    }

    static func createAccount(_ api: APIHarness, key: String, query: String) async -> APIHarness.Response {
        let card = #"{"accountNumber":"\#(pan)","expirationDate":"203012"}"#
        return await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts\(query)",
                                 body: tabaPayAccountBody(card: card), key: key)
    }

    @Test("TabaPay: a key without the grant that sends a duplicate flag gets 207, the account, and no duplicate check",
          arguments: ["?RejectDuplicateCard", "?OKToAddDuplicateCard", "?RejectDuplicateCard+OKToAddDuplicateCard"])
    func tabaPayCreate(query: String) async throws {
        let api = try await APIHarness.make()
        let tokenizer = try await api.makeKey([.tokenize])
        let granted = try await api.makeKey([.tokenize, .fingerprint])
        let first = await Self.createAccount(api, key: api.key, query: "?RejectDuplicateCard")
        let firstID = try #require(first.json?["accountID"] as? String)

        let blind = await Self.createAccount(api, key: tokenizer, query: query)
        #expect(blind.status == 207 && blind.sc == 207 && blind.ec == "20700001", "\(blind.body)")
        #expect(blind.em == "Duplicate Card Check Not Enabled")
        let blindID = try #require(blind.json?["accountID"] as? String)
        #expect(blind.json?["duplicateAccountIDs"] == nil && !blind.body.contains(firstID))
        #expect(try await api.test.vault.cardCount() == 2)
        // The check was not made, so the account takes no part in later ones.
        let stored = try await api.test.storage.read { [tenant = api.client] in
            try $0.account(Token(validating: blindID)!, tenant: tenant)
        }
        #expect(stored?.duplicateCheck == false)

        // A granted key and admin still get TabaPay's answers, which never name the unchecked account.
        let refused = await Self.createAccount(api, key: granted, query: "?RejectDuplicateCard")
        #expect(refused.status == 409 && refused.json?["duplicateAccountIDs"] as? [String] == [firstID], "\(refused.body)")
        let reported = await Self.createAccount(api, key: api.key, query: "?OKToAddDuplicateCard")
        #expect(reported.status == 200 && reported.json?["duplicateAccountIDs"] as? [String] == [firstID])
        #expect(try await api.test.vault.cardCount() == 3)
    }

    @Test("TabaPay Update Account v1 with a duplicate flag: 207 and no duplicate IDs without the grant, 409 with it")
    func tabaPayUpdate() async throws {
        let api = try await APIHarness.make()
        let tokenizer = try await api.makeKey([.tokenize])
        let first = await Self.createAccount(api, key: api.key, query: "?RejectDuplicateCard")
        let other = await Self.createAccount(api, key: api.key, query: "")
        let otherID = try #require(other.json?["accountID"] as? String)
        let card = #"{"card":{"accountNumber":"\#(Self.pan)","expirationDate":"203105"},"owner":\#(tabaPaySeedOwner)}"#
        let path = "/v1/clients/\(api.client.rawValue)/accounts/\(otherID)?RejectDuplicateCard"

        let blind = await api.request("PUT", path, body: card, key: tokenizer)
        #expect(blind.status == 207 && blind.ec == "20700001" && blind.json?["duplicateAccountIDs"] == nil, "\(blind.body)")
        let refused = await api.request("PUT", path, body: card, key: api.key)
        #expect(refused.status == 409, "\(refused.body)")
        let firstID = try #require(first.json?["accountID"] as? String)
        #expect(refused.json?["duplicateAccountIDs"] as? [String] == [firstID])
    }
}
