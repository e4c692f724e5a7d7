import Foundation
import Testing
import TestSupport

@Suite("coffer serve answers TabaPay clients (curl)", .serialized, .ownThreads)
struct TabaPayEndToEndTests {
    @Test("The seed's example over HTTP: create, duplicate refused, retrieve, delete; 413 in TabaPay's envelope")
    func seedOverHTTP() async throws {
        let server = try await ServerProcess(extraArguments: ["--max-body-bytes", "4096"])
        let base = "/v1/clients/\(server.tenantID)"
        let account = tabaPayAccountBody(card: #"{"accountNumber":"4111111111111111","expirationDate":"\#(ServerProcess.validExpiration)"}"#)
        let created = try await server.request("POST", "\(base)/cards?RejectDuplicateCard", body: account, key: server.apiKey)
        #expect(created.status == 200, "\(created.body)")
        #expect(created.json?["SC"] as? Int == 200 && created.json?["EC"] as? String == "0")
        let accountID = try #require(created.json?["accountID"] as? String)

        let duplicate = try await server.request("POST", "\(base)/accounts?RejectDuplicateCard", body: account, key: server.apiKey)
        #expect(duplicate.status == 409)
        #expect(duplicate.json?["duplicateAccountIDs"] as? [String] == [accountID])

        let retrieved = try await server.request("GET", "\(base)/accounts/\(accountID)", key: server.apiKey)
        #expect(retrieved.json?["card"] as? [String: String] == ["last4": "1111", "expirationDate": ServerProcess.validExpiration])

        let tooLarge = try await server.request("POST", "\(base)/accounts", body: String(repeating: " ", count: 5000) + "{}", key: server.apiKey)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.json?["SC"] as? Int == 413 && (tooLarge.json?["EC"] as? String)?.count == 8, "\(tooLarge.body)")

        #expect(try await server.request("DELETE", "\(base)/accounts/\(accountID)", key: server.apiKey).status == 200)
        #expect(try await server.request("DELETE", "\(base)/accounts/\(accountID)", key: server.apiKey).status == 410)
        #expect(await server.stop() == 0)
        #expect(server.log.contains(#""route":"/v1/clients/{clientID}/cards""#))
        #expect(!server.log.contains("4111111111111111"))
        #expect(!server.log.contains(server.tenantID + "/"), "logs name route templates, not paths")
    }
}
