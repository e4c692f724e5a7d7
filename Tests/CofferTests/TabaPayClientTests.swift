import Foundation
import HTTPServer
import Testing
import TestSupport
import VaultAPI
import VaultCore

@Suite("TabaPay clients: authentication, ClientID checks, ISO sub-clients", .ownThreads)
struct TabaPayClientTests {
    @Test("Missing, wrong or revoked keys, and a key for another client, are 401 in TabaPay's envelope")
    func authentication() async throws {
        let api = try await APIHarness.make()
        let path = "/v1/clients/\(api.client.rawValue)/accounts"
        let missing = await api.request("POST", path, body: tabaPayAccountBody())
        #expect(missing.status == 401 && missing.sc == 401 && missing.em == "Authorization")
        #expect(await api.request("POST", path, body: tabaPayAccountBody(), key: "ck_wrong").em == "Authorization")
        let other = try await api.test.vault.createTenant(name: "other", actor: "test")
        let foreign = await api.request("POST", path, body: tabaPayAccountBody(), key: other.adminKey.secret)
        #expect(foreign.status == 401 && foreign.em == "ClientID")
        #expect(await api.request("GET", "/v1/clients/not-a-client/accounts/x", key: api.key).em == "ClientID")
        let reader = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.reveal], label: "r", actor: "test")
        let denied = await api.request("POST", path, body: tabaPayAccountBody(), key: reader.secret)
        #expect(denied.status == 403 && denied.em == "Forbidden")
        #expect(try await api.test.vault.cardCount() == 0)
    }

    @Test("ISO sub-clients are tenants of their own: an account under one is 404 under another")
    func subClientIsolation() async throws {
        let api = try await APIHarness.make()
        let iso = api.client.rawValue
        let first = try await api.test.vault.createTenant(name: "s1", parent: api.client, subClientID: "1234", actor: "test")
        _ = try await api.test.vault.createTenant(name: "s2", parent: api.client, subClientID: "567890", actor: "test")
        _ = try await api.test.vault.createTenant(name: "s3", parent: api.client, subClientID: "12345678", actor: "test")

        let created = await api.request("POST", "/v1/clients/\(iso)_1234/cards", body: tabaPayAccountBody(), key: api.key)
        #expect(created.status == 200, "\(created.body)")
        let accountID = try #require(created.json?["accountID"] as? String)
        #expect(await api.request("GET", "/v1/clients/\(iso)_1234/accounts/\(accountID)", key: api.key).status == 200)
        #expect(await api.request("GET", "/v1/clients/\(iso)_1234/accounts/\(accountID)", key: first.adminKey.secret).status == 200,
                "a sub-client's own key works on its path")
        for other in ["\(iso)_567890", "\(iso)_12345678", iso] {
            let response = await api.request("GET", "/v1/clients/\(other)/accounts/\(accountID)", key: api.key)
            #expect(response.status == 404 && response.em == "AccountID", "\(other)")
        }
        let sibling = await api.request("GET", "/v1/clients/\(iso)_567890/accounts/\(accountID)", key: first.adminKey.secret)
        #expect(sibling.status == 401 && sibling.em == "ClientID", "a sub-client's key opens no sibling")
        #expect(await api.request("GET", "/v1/clients/\(iso)/accounts/\(accountID)", key: first.adminKey.secret).em == "ClientID",
                "nor its ISO")

        for unknown in ["9999", "12345", "1234a", "", "123456789"] {
            let response = await api.request("GET", "/v1/clients/\(iso)_\(unknown)/accounts/\(accountID)", key: api.key)
            #expect(response.status == 404 && response.em == "SubClientID", "\(unknown)")
        }
        let outsider = try await api.test.vault.createTenant(name: "outsider", actor: "test")
        let probe = await api.request("GET", "/v1/clients/\(iso)_9999/accounts/\(accountID)", key: outsider.adminKey.secret)
        #expect(probe.status == 401 && probe.em == "ClientID", "an outsider cannot tell which sub-clients exist")

        await #expect(throws: VaultError.subClientIDTaken) {
            try await api.test.vault.createTenant(name: "dup", parent: api.client, subClientID: "1234", actor: "test")
        }
        for invalid: String? in ["123", "12345", "abcd"] {
            await #expect(throws: VaultError.invalidSubClientID) {
                try await api.test.vault.createTenant(name: "bad", parent: api.client, subClientID: invalid, actor: "test")
            }
        }
        await #expect(throws: VaultError.invalidSubClientID) {
            try await api.test.vault.createTenant(name: "top", subClientID: "1234", actor: "test")
        }
    }

    @Test("Sub-clients are created through the native API with subClientID")
    func nativeSubClientCreation() async throws {
        let api = try await APIHarness.make()
        let created = await api.request("POST", "/vault/v1/tenants", body: #"{"name":"store 7","subClientID":"000007"}"#, key: api.key)
        #expect(created.status == 201, "\(created.body)")
        #expect(created.json?["parentId"] as? String == api.client.rawValue)
        #expect(created.json?["subClientID"] as? String == "000007")
        let taken = await api.request("POST", "/vault/v1/tenants", body: #"{"name":"again","subClientID":"000007"}"#, key: api.key)
        #expect(taken.status == 409)
        let account = await api.request("POST", "/v1/clients/\(api.client.rawValue)_000007/accounts", body: tabaPayAccountBody(), key: api.key)
        #expect(account.status == 200)
    }

    @Test("Requests the HTTP layer refuses on dialect paths are answered in the dialect's envelope")
    func serverRefusals() throws {
        let tooLarge = HTTPParseError(status: .payloadTooLarge, code: "body_too_large", message: "The request body is too large.")
        let tabaPay = VaultAPI.parseErrorResponse(tooLarge, path: "/v1/clients/x/accounts")
        let json = try JSONSerialization.jsonObject(with: Data(tabaPay.body)) as? [String: Any]
        #expect(tabaPay.status == .payloadTooLarge)
        #expect(json?["SC"] as? Int == 413 && json?["EM"] as? String == "Request")
        #expect((json?["EC"] as? String)?.count == 8)
        #expect(VaultAPI.parseErrorResponse(tooLarge, path: "/vault/v1/cards").body == tooLarge.response.body)
        #expect(VaultAPI.parseErrorResponse(tooLarge, path: nil).body == tooLarge.response.body)
        let inTandem = VaultAPI.parseErrorResponse(tooLarge, path: "/platform/v1/payment/cards/sync_card")
        let envelope = try JSONSerialization.jsonObject(with: Data(inTandem.body)) as? [String: String]
        #expect(inTandem.status == .payloadTooLarge && envelope?["status"] == "Error" && envelope?["error"] == tooLarge.message)
    }
}
