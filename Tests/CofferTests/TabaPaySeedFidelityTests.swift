import Foundation
import Testing
import TestSupport
import VaultCore

/// Requests as TabaPay documents them and as HTTP libraries send them (docs/api/tabapay.md,
/// "Duplicate card check" and "Create Account"): each was refused before.
@Suite("TabaPay seed fidelity: documented flags, library query strings, owners and references", .ownThreads)
struct TabaPaySeedFidelityTests {
    typealias Duplicates = TabaPayDuplicateTests

    static func accounts(_ api: APIHarness) -> String { "/v1/clients/\(api.client.rawValue)/accounts" }

    static func create(_ api: APIHarness, referenceID: String = "1", owner: String) async -> APIHarness.Response {
        await api.request("POST", accounts(api), body: tabaPayAccountBody(referenceID: referenceID, owner: owner), key: api.key)
    }

    @Test("Update Account v1 takes ?RejectDuplicateCard (409) and ?OKToUpdateDuplicateCard (200 with the IDs)")
    func updateFlags() async throws {
        let api = try await APIHarness.make()
        let first = try await TabaPayUpdateTests.create(api, "5555555555554444", query: "?RejectDuplicateCard")
        let second = try await TabaPayUpdateTests.create(api, "4111111111111111", query: "?RejectDuplicateCard")
        let body = TabaPayUpdateTests.v1Body("5555555555554444")
        let refused = await TabaPayUpdateTests.put(api, "v1", second, query: "?RejectDuplicateCard", body: body)
        #expect(refused.status == 409 && refused.em == "Duplicate" && Duplicates.duplicates(refused) == [first], "\(refused.body)")
        #expect(await TabaPayUpdateTests.reveal(api, second)?["number"] == "4111111111111111", "a refused update changes nothing")
        let updated = await TabaPayUpdateTests.put(api, "v1", second, query: "?OKToUpdateDuplicateCard", body: body)
        #expect(updated.status == 200 && Duplicates.duplicates(updated) == [first], "\(updated.body)")
        #expect(await TabaPayUpdateTests.reveal(api, second)?["number"] == "5555555555554444")
    }

    @Test("Delete Account takes ?DeleteDuplicateCard: deleted, and no longer a duplicate")
    func deleteDuplicateCard() async throws {
        let api = try await APIHarness.make()
        let id = try #require(Duplicates.id(await Duplicates.create(api, query: "?RejectDuplicateCard")))
        let deleted = await api.request("DELETE", "\(Self.accounts(api))/\(id)?DeleteDuplicateCard", key: api.key)
        #expect(deleted.status == 200 && deleted.sc == 200, "\(deleted.body)")
        #expect(await TabaPayUpdateTests.retrieve(api, id).status == 410)
        #expect(await Duplicates.create(api, query: "?RejectDuplicateCard").status == 200)
        let other = await api.request("DELETE", "\(Self.accounts(api))/\(id)?RejectDuplicateCard", key: api.key)
        #expect(other.status == 400 && other.em == "Query String", "only the delete flag")
    }

    @Test("Query strings as HTTP libraries send them", arguments: [
        ("?RejectDuplicateCard=", 409), ("?RejectDuplicateCard=true", 409), ("?RejectDuplicateCard=True", 409),
        ("?RejectDuplicateCard%2BOKToAddDuplicateCard", 200), ("?RejectDuplicateCard&OKToAddDuplicateCard=", 200),
        ("?OKToAddDuplicateCard=true&RejectDuplicateCard=true", 200),
    ])
    func libraryQueryStrings(query: String, status: Int) async throws {
        let api = try await APIHarness.make()
        let first = await Duplicates.create(api, query: "?RejectDuplicateCard")
        let second = await Duplicates.create(api, query: query)
        #expect(second.status == status, "\(second.body)")
        #expect(Duplicates.duplicates(second) == [Duplicates.id(first)!])
        #expect(try await api.test.vault.cardCount() == (status == 200 ? 2 : 1))
    }

    @Test("duplicateAccountIDs holds up to 5, most recent first, as TabaPay returns")
    func fiveDuplicates() async throws {
        let api = try await APIHarness.make()
        var ids: [String] = []
        for _ in 0..<6 { ids.append(try #require(Duplicates.id(await Duplicates.create(api, query: "?OKToAddDuplicateCard")))) }
        let refused = await Duplicates.create(api, query: "?RejectDuplicateCard")
        #expect(refused.status == 409 && Duplicates.duplicates(refused) == Array(ids.reversed().prefix(5)))
    }

    /// TabaPay's token guide ("TabaPay Tokens", Create Account Request), packed.
    static let tokenGuideRequest = #"{"card":{"accountNumber":"4111111111111111","expirationDate":"202708"},"owner":{"name":{"company":"High Value Company","first":"Test","middle":"D","last":"Name"},"address":{"line1":"123 Street","city":"San Francisco","state":"06","zipcode":"94103","country":"840"}},"referenceID":"Unique_refID123"}"#

    @Test("The token guide's example: a company with the person's names and a numeric state code, stored as given")
    func tokenGuideOwner() async throws {
        let api = try await APIHarness.make()
        let created = await api.request("POST", Self.accounts(api), body: Self.tokenGuideRequest, key: api.key)
        #expect(created.status == 200 && created.sc == 200, "\(created.body)")
        let retrieved = await TabaPayUpdateTests.retrieve(api, try #require(Duplicates.id(created)))
        let owner = retrieved.json?["owner"] as? [String: [String: String]]
        #expect(owner?["name"] == ["company": "High Value Company", "first": "Test", "middle": "D", "last": "Name"])
        #expect(owner?["address"]?["state"] == "06")
        #expect(retrieved.json?["referenceID"] as? String == "Unique_refID123")
    }

    @Test("ZIP+4 zip codes: 9 digits or 5-4 with a hyphen", arguments: [("94043-1234", 200), ("940431234", 200),
                                                                       ("94043-123", 400), ("9404-31234", 400)])
    func zipPlus4(zipcode: String, status: Int) async throws {
        let api = try await APIHarness.make()
        let owner = #"{"name":{"first":"John","last":"Customer"},"address":{"line1":"465 Fairchild Drive","city":"Mountain View","state":"CA","zipcode":"\#(zipcode)"}}"#
        let created = await Self.create(api, owner: owner)
        #expect(created.status == status, "\(created.body)")
        if status == 400 { #expect(created.em == "owner.address.zipcode") }
    }

    @Test("referenceID takes any printable character, 1–15 of them, and is found again by lookup")
    func referenceCharacters() async throws {
        let api = try await APIHarness.make()
        let referenceID = "Inv #7/a.b+c&d"
        let created = await Self.create(api, referenceID: referenceID, owner: tabaPaySeedOwner)
        #expect(created.status == 200, "\(created.body)")
        let encoded = try #require(referenceID.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let found = await api.request("GET", "\(Self.accounts(api))?referenceID=\(encoded)", key: api.key)
        #expect(found.status == 200 && found.json?["accountID"] as? String == Duplicates.id(created), "\(found.body)")
        for refused in ["", "1234567890123456", #"tab\there"#, "caf\u{E9}"] {
            let response = await Self.create(api, referenceID: refused, owner: tabaPaySeedOwner)
            #expect(response.status == 400 && response.em == "referenceID", "\(refused.debugDescription): \(response.body)")
        }
    }
}
