import Foundation
import Testing

@Suite("coffer serve answers TabaPay clients (curl)", .serialized)
struct TabaPayEndToEndTests {
    @Test("The seed's example over HTTP: create, duplicate refused, retrieve, delete; 413 in TabaPay's envelope")
    func seedOverHTTP() throws {
        let server = try ServerProcess(extraArguments: ["--max-body-bytes", "4096"])
        let base = "/v1/clients/\(server.tenantID)"
        let created = try server.request("POST", "\(base)/cards?RejectDuplicateCard", body: tabaPayAccountBody(), key: server.apiKey)
        #expect(created.status == 200, "\(created.body)")
        #expect(created.json?["SC"] as? Int == 200 && created.json?["EC"] as? String == "0")
        let accountID = try #require(created.json?["accountID"] as? String)

        let duplicate = try server.request("POST", "\(base)/accounts?RejectDuplicateCard", body: tabaPayAccountBody(), key: server.apiKey)
        #expect(duplicate.status == 409)
        #expect(duplicate.json?["duplicateAccountIDs"] as? [String] == [accountID])

        let retrieved = try server.request("GET", "\(base)/accounts/\(accountID)", key: server.apiKey)
        #expect(retrieved.json?["card"] as? [String: String] == ["last4": "1111", "expirationDate": "203012"])

        let tooLarge = try server.request("POST", "\(base)/accounts", body: String(repeating: " ", count: 5000) + "{}", key: server.apiKey)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.json?["SC"] as? Int == 413 && (tooLarge.json?["EC"] as? String)?.count == 8, "\(tooLarge.body)")

        #expect(try server.request("DELETE", "\(base)/accounts/\(accountID)", key: server.apiKey).status == 200)
        #expect(try server.request("DELETE", "\(base)/accounts/\(accountID)", key: server.apiKey).status == 410)
        #expect(server.stop() == 0)
        #expect(server.log.contains(#""route":"/v1/clients/{clientID}/cards""#))
        #expect(!server.log.contains("4111111111111111"))
        #expect(!server.log.contains(server.tenantID + "/"), "logs name route templates, not paths")
    }
}
