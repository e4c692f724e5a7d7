import Foundation
import Testing
import TestSupport
import VaultCore

/// Numbers made Luhn-valid with Python; the leading digits shown are min(6, length − 10), so at
/// least six digits stay hidden.
let shortPANCases: [(number: String, leading: String, last4: String)] = [
    ("501812345673", "50", "5673"),  // 12 digits
    ("4271234567892", "427", "7892"),  // 13
    ("378282246310005", "37828", "0005"),  // 15
    ("4012888888881881", "401288", "1881"),  // 16
    ("6304123456789012347", "630412", "2347"),  // 19
]

@Suite("Short card numbers are masked by their length (in process)", .ownThreads)
struct ShortPANMaskingTests {
    @Test("Native tokenize and metadata answers and the stored cards row show only the allowed leading digits",
          arguments: shortPANCases)
    func nativeAnswersAndStoredRow(_ number: String, _ leading: String, _ last4: String) async throws {
        let api = try await APIHarness.make()
        let created = await api.request("POST", "/vault/v1/cards", body: #"{"number":"\#(number)"}"#, key: api.key)
        #expect(created.status == 201, "\(created.body)")
        #expect(created.json?["bin"] as? String == leading)
        #expect(created.json?["last4"] as? String == last4)
        let token = try #require(created.json?["token"] as? String)
        let metadata = await api.request("GET", "/vault/v1/cards/\(token)", key: api.key)
        #expect(metadata.json?["bin"] as? String == leading)
        #expect(metadata.json?["last4"] as? String == last4)
        let row = try await api.test.storage.read { try $0.card(Token(validating: token)!, tenant: api.client) }
        #expect(row?.bin == leading)
        #expect(row?.last4 == last4)
        #expect(number.count - leading.count - last4.count >= 6)
    }

    /// Neither dialect shows leading digits at all (TabaPay takes 13–19 digits): a guard that
    /// they keep to the last four.
    @Test("TabaPay and client-sync answers for a 13-digit number show no leading digits (last four only)")
    func dialectsShowLastFourOnly() async throws {
        let api = try await APIHarness.makeForClientSync()
        let number = shortPANCases[1].number
        let hidden = [String(number.prefix(6)), String(number.dropFirst(3).dropLast(4))]
        let tabaPay = "/v1/clients/\(api.client.rawValue)/accounts"
        let created = await api.request("POST", tabaPay,
                                        body: tabaPayAccountBody(card: #"{"accountNumber":"\#(number)","expirationDate":"203012"}"#),
                                        key: api.key)
        let accountID = try #require(created.json?["accountID"] as? String, "\(created.body)")
        let retrieved = await api.request("GET", "\(tabaPay)/\(accountID)", key: api.key)
        #expect(retrieved.json?["card"] as? [String: String] == ["last4": "7892", "expirationDate": "203012"])
        let synced = await api.sync(clientSyncSeedBody.replacingOccurrences(of: "4111111111111111", with: number))
        let clientID = try #require(synced.json?["clientId"] as? String, "\(synced.body)")
        let listed = await api.request("GET", "/v1/payment/list/\(clientID)", key: api.key)
        #expect(listed.body.contains("XXXX7892"), "\(listed.body)")
        for response in [created, retrieved, synced, listed] {
            for digits in hidden {
                #expect(!response.body.contains(digits), "\(response.body)")
            }
        }
    }
}
