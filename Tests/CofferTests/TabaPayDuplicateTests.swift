import Foundation
import Testing
import TestSupport
import VaultCore

/// docs/api/tabapay.md, "Duplicate card check": one test per row of its table.
@Suite("TabaPay duplicate card check: every flag combination", .ownThreads)
struct TabaPayDuplicateTests {
    /// Creates an account for `number` with the given query string; the response.
    static func create(_ api: APIHarness, _ number: String = "5555555555554444", query: String = "") async -> APIHarness.Response {
        let card = #"{"accountNumber":"\#(number)","expirationDate":"203012"}"#
        return await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts\(query)",
                                 body: tabaPayAccountBody(card: card), key: api.key)
    }

    static func id(_ response: APIHarness.Response) -> String? { response.json?["accountID"] as? String }
    static func duplicates(_ response: APIHarness.Response) -> [String]? { response.json?["duplicateAccountIDs"] as? [String] }

    @Test("No flag: never checked, and invisible to later checks")
    func noFlag() async throws {
        let api = try await APIHarness.make()
        let first = await Self.create(api)
        let second = await Self.create(api)
        #expect(first.status == 200 && second.status == 200)
        #expect(Self.duplicates(second) == nil)
        let checked = await Self.create(api, query: "?RejectDuplicateCard")
        #expect(checked.status == 200, "unchecked accounts do not take part: \(checked.body)")
        #expect(try await api.test.vault.cardCount() == 3)
    }

    @Test("?RejectDuplicateCard: 409 with the matching IDs and nothing stored")
    func reject() async throws {
        let api = try await APIHarness.make()
        let first = await Self.create(api, query: "?RejectDuplicateCard")
        #expect(first.status == 200 && Self.duplicates(first) == nil)
        let other = await Self.create(api, "4111111111111111", query: "?RejectDuplicateCard")
        #expect(other.status == 200, "another card is no duplicate")
        let refused = await Self.create(api, query: "?RejectDuplicateCard")
        #expect(refused.status == 409 && refused.sc == 409 && refused.em == "Duplicate", "\(refused.body)")
        #expect(Self.duplicates(refused) == [Self.id(first)!])
        #expect(refused.json?["accountID"] == nil)
        #expect(try await api.test.vault.cardCount() == 2)
    }

    @Test("?OKToAddDuplicateCard: created, with the earlier IDs most recent first, at most the limit")
    func okToAdd() async throws {
        let api = try await APIHarness.make()
        let limit = Vault.duplicateAccountLimit
        var ids: [String] = []
        for _ in 0...limit {
            let created = await Self.create(api, query: "?OKToAddDuplicateCard")
            #expect(created.status == 200)
            #expect(Self.duplicates(created) == (ids.isEmpty ? nil : Array(ids.reversed().prefix(limit))))
            ids.append(Self.id(created)!)
        }
        let refused = await Self.create(api, query: "?RejectDuplicateCard")
        #expect(refused.status == 409)
        #expect(Self.duplicates(refused) == Array(ids.reversed().prefix(limit)))
    }

    @Test("?RejectDuplicateCard+OKToAddDuplicateCard (either order) behaves as OKToAddDuplicateCard")
    func both() async throws {
        let api = try await APIHarness.make()
        let first = await Self.create(api, query: "?RejectDuplicateCard")
        let added = await Self.create(api, query: "?RejectDuplicateCard+OKToAddDuplicateCard")
        #expect(added.status == 200 && Self.duplicates(added) == [Self.id(first)!])
        let again = await Self.create(api, query: "?OKToAddDuplicateCard+RejectDuplicateCard")
        #expect(again.status == 200 && Self.duplicates(again) == [Self.id(added)!, Self.id(first)!])
    }

    @Test("Deleted accounts no longer count as duplicates")
    func deletedAccountsDoNotCount() async throws {
        let api = try await APIHarness.make()
        let first = await Self.create(api, query: "?RejectDuplicateCard")
        #expect(await api.request("DELETE", "/v1/clients/\(api.client.rawValue)/accounts/\(Self.id(first)!)", key: api.key).status == 200)
        #expect(await Self.create(api, query: "?RejectDuplicateCard").status == 200)
    }

    @Test("Unknown or malformed query strings are a 400 and store nothing", arguments: [
        "?rejectduplicatecard", "?RejectDuplicateCard+", "?RejectDuplicateCard&&OKToAddDuplicateCard", "?Other", "?RejectDuplicateCard=1",
        "?RejectDuplicateCard=false", "?OKToUpdateDuplicateCard", "?DeleteDuplicateCard",
    ])
    func badQuery(query: String) async throws {
        let api = try await APIHarness.make()
        let response = await Self.create(api, query: query)
        #expect(response.status == 400 && response.em == "Query String", "\(response.body)")
        #expect(try await api.test.vault.cardCount() == 0)
    }

    @Test("Concurrent creates of one card with ?RejectDuplicateCard: exactly one succeeds")
    func concurrentReject() async throws {
        let api = try await APIHarness.make()
        for round in 0..<5 {
            let number = TestPAN.make(round)
            let statuses = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { await Self.create(api, number, query: "?RejectDuplicateCard").status } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200] + Array(repeating: 409, count: 7), "round \(round): \(statuses)")
        }
        #expect(try await api.test.vault.cardCount() == 5)
    }
}
