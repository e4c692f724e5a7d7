import Foundation
import TestSupport
import Testing
import VaultCore

/// Idempotency records as an attacker holding a copy of the database, another credential of the
/// tenant, or a retry after a delete meets them (docs/security.md, "Idempotency").
@Suite("Idempotency records: keyed, per credential, neutralised by deletes (in process)", .ownThreads)
struct IdempotencyTests {
    /// One request as sent, for the scan of the database files.
    struct SentRequest: Encodable {
        var method = "POST"
        var route: String
        var path: String
        var body: String
        var key: String
    }

    @Test("The database, WAL and shared memory hold no SHA-256 of any request nor its Idempotency-Key")
    func noDigestOfCardData() async throws {
        let api = try await APIHarness.makeForClientSync()
        let tabaPay = "/v1/clients/\(api.client.rawValue)/accounts"
        let sent = [
            SentRequest(route: "/vault/v1/cards", path: "/vault/v1/cards",
                        body: #"{"number":"4000056655665556","expirationDate":"203012","securityCode":"737"}"#,
                        key: "native-\(UUID().uuidString)"),
            SentRequest(route: "/v1/clients/{clientID}/accounts", path: tabaPay,
                        body: tabaPayAccountBody(card: #"{"accountNumber":"5200828282828210","expirationDate":"203105"}"#),
                        key: "tabapay-\(UUID().uuidString)"),
            SentRequest(route: "/v1/clients/{clientID}/accounts", path: tabaPay,
                        body: #"{"referenceID":"2","bank":{"routingNumber":"021000021","accountNumber":"987654321","accountType":"C"},"owner":\#(tabaPaySeedOwner)}"#,
                        key: "tabapay-bank-\(UUID().uuidString)"),
            SentRequest(route: "/v1/client/sync", path: "/v1/client/sync", body: clientSyncSeedBody,
                        key: "sync-\(UUID().uuidString)"),
        ]
        for request in sent {
            let first = await api.request(request.method, request.path, body: request.body, key: api.key,
                                          headers: ["Idempotency-Key": request.key])
            let retry = await api.request(request.method, request.path, body: request.body, key: api.key,
                                          headers: ["Idempotency-Key": request.key])
            #expect((200...201).contains(first.status), "\(request.route): \(first.body)")
            #expect(retry.body == first.body, "replayed (performed again it would name a new id): \(request.route)")
        }
        let database = api.test.databasePath
        let found = try await Self.digestsAndKeys(of: sent, in: [database, database + "-wal", database + "-shm"])
        #expect(found.isEmpty, "\(found)")
        await api.test.storage.close()
        let checkpointed = try await Self.digestsAndKeys(of: sent, in: [database])
        #expect(checkpointed.isEmpty, "after the checkpoint: \(checkpointed)")
    }

    /// What Python's hashlib finds in the files: the SHA-256 — raw, lowercase or uppercase hex,
    /// Base64 — of each body and of every concatenation of method, route, path and body the old
    /// code used or a variant might (separators "", " ", "\n"), and each Idempotency-Key as sent.
    static func digestsAndKeys(of requests: [SentRequest], in paths: [String]) async throws -> [String] {
        let scan = try await ProcessRunner.python("""
            import base64, hashlib, itertools, json, os, sys
            requests = json.loads(sys.argv[1])
            files = {path: open(path, "rb").read() for path in sys.argv[2:] if os.path.exists(path)}
            assert files, "no database file"
            found = []
            for request in requests:
                method, route, path, body = (request[k].encode() for k in ("method", "route", "path", "body"))
                inputs = {"old": method + b" " + route + b" " + path + b"\\n" + body}
                for separator in (b"", b" ", b"\\n"):
                    for count in range(4):
                        for head in itertools.combinations((method, route, path), count):
                            joined = separator.join(head + (body,))
                            inputs[repr((separator, head))] = joined
                            inputs[repr((separator, head, "trailing"))] = joined + separator
                for label, data in inputs.items():
                    digest = hashlib.sha256(data).digest()
                    forms = (digest, digest.hex().encode(), digest.hex().upper().encode(),
                             base64.b64encode(digest).rstrip(b"="), base64.urlsafe_b64encode(digest).rstrip(b"="))
                    for name, content in files.items():
                        if any(form in content for form in forms):
                            found.append(f"SHA-256 of {label} ({request['route']}) in {os.path.basename(name)}")
                for name, content in files.items():
                    if request["key"].encode() in content:
                        found.append(f"Idempotency-Key {request['route']} in {os.path.basename(name)}")
            print(json.dumps(found))
            """, [String(decoding: try JSONEncoder().encode(requests), as: UTF8.self)] + paths)
        #expect(scan.status == 0, "\(scan.standardError)")
        return try JSONDecoder().decode([String].self, from: Data(scan.standardOutput.utf8))
    }

    @Test("Two tenants sending the same body with the same key store nothing in common")
    func tenantsStoreDifferentMACs() async throws {
        let api = try await APIHarness.make()
        let other = try await api.test.vault.createTenant(name: "other", actor: "test")
        let body = #"{"number":"4000056655665556","expirationDate":"203012"}"#
        for key in [api.key, other.adminKey.secret] {
            let created = await api.request("POST", "/vault/v1/cards", body: body, key: key, headers: ["Idempotency-Key": "order-1"])
            #expect(created.status == 201, "\(created.body)")
        }
        // Every text and blob value of the idempotency tables, but the tenant id, per tenant.
        let dump = try await ProcessRunner.python("""
            import json, sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            values = {}
            for (table,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'idempotency%'"):
                columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})")]
                for row in db.execute(f"SELECT * FROM {table}"):
                    fields = dict(zip(columns, row))
                    for column, value in fields.items():
                        if column != "tenant_id" and isinstance(value, (str, bytes)):
                            text = value.hex() if isinstance(value, bytes) else value
                            values.setdefault(fields["tenant_id"], []).append(text)
            print(json.dumps(values))
            """, [api.test.databasePath])
        #expect(dump.status == 0, "\(dump.standardError)")
        let values = try JSONDecoder().decode([String: [String]].self, from: Data(dump.standardOutput.utf8))
        let first = Set(values[api.client.rawValue] ?? []), second = Set(values[other.id.rawValue] ?? [])
        #expect(!first.isEmpty && !second.isEmpty)
        #expect(first.isDisjoint(with: second))
    }

    @Test("A replay goes only to the API key or SSO session that made the first request; others get their own")
    func replayOnlyToTheSameCredential() async throws {
        let api = try await APIHarness.makeForClientSync()
        let body = #"{"number":"4000056655665556","expirationDate":"203012"}"#
        let second = await api.request("POST", "/vault/v1/apikeys", body: #"{"roles":["tokenize"]}"#, key: api.key)
        let secondKey = try #require(second.json?["apiKey"] as? String)
        func tokenize(_ key: String) async -> APIHarness.Response {
            await api.request("POST", "/vault/v1/cards", body: body, key: key, headers: ["Idempotency-Key": "order-1"])
        }
        let first = await tokenize(api.key)
        #expect(first.status == 201)
        let retry = await tokenize(api.key)
        #expect(retry.body == first.body)
        let other = await tokenize(secondKey)
        #expect(other.status == 201, "another key of the tenant is performed, not replayed")
        #expect(other.json?["token"] as? String != first.json?["token"] as? String)
        #expect(try await api.test.vault.cardCount() == 2)
        let otherRetry = await tokenize(secondKey)
        #expect(otherRetry.body == other.body)
        #expect(await tokenize(api.key).body == first.body)

        // SSO sessions: each access token is a credential of its own, and so is the API key.
        let synced = await api.sync()
        let clientID = try #require(synced.json?["clientId"] as? String)
        let ssoToken = try #require(synced.json?["ssoToken"] as? String)
        let session = try await api.accessToken(exchanging: ssoToken)
        let otherSession = try await api.accessToken(exchanging: ssoToken)
        let method = #"{"clientId":"\#(clientID)","cardNumber":"5555555555554444","expMonth":"12","expYear":"2031"}"#
        func add(_ key: String) async -> APIHarness.Response {
            await api.request("POST", "/v1/payment", body: method, key: key, headers: ["Idempotency-Key": "pay-1"])
        }
        let added = await add(session)
        #expect(added.status == 200, "\(added.body)")
        let addedAgain = await add(session)
        #expect(addedAgain.body == added.body)
        for credential in [otherSession, api.key] {
            let own = await add(credential)
            #expect(own.status == 200, "\(own.body)")
            #expect(own.json?["paymentMethodId"] as? String != added.json?["paymentMethodId"] as? String)
        }
        let list = await api.request("GET", "/v1/payment/list/\(clientID)", key: api.key)
        #expect((list.json?["data"] as? [[String: Any]])?.count == 4, "the seed's card and three added")
    }

    @Test("After the card is deleted, a native retry is 410 idempotent_subject_deleted and stores nothing")
    func nativeRetryAfterDelete() async throws {
        let api = try await APIHarness.make()
        let body = #"{"number":"4000056655665556","expirationDate":"203012"}"#
        let first = await api.request("POST", "/vault/v1/cards", body: body, key: api.key, headers: ["Idempotency-Key": "order-1"])
        let token = try #require(first.json?["token"] as? String)
        #expect(await api.request("DELETE", "/vault/v1/cards/\(token)", key: api.key).status == 204)
        let retry = await api.request("POST", "/vault/v1/cards", body: body, key: api.key, headers: ["Idempotency-Key": "order-1"])
        #expect(retry.status == 410, "\(retry.body)")
        #expect((retry.json?["error"] as? [String: String])?["code"] == "idempotent_subject_deleted")
        #expect(!retry.body.contains(token))
        #expect(try await api.test.vault.cardCount() == 0)
        let other = await api.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: api.key,
                                      headers: ["Idempotency-Key": "order-1"])
        #expect(other.status == 422, "another request with the key is still a mismatch")
    }

    @Test("After a TabaPay account is deleted, a retry of its creation is 410 in TabaPay's envelope and stores nothing")
    func tabaPayRetryAfterDelete() async throws {
        let api = try await APIHarness.make()
        let path = "/v1/clients/\(api.client.rawValue)/accounts"
        let first = await api.request("POST", path, body: tabaPayAccountBody(), key: api.key, headers: ["Idempotency-Key": "k1"])
        let accountID = try #require(first.json?["accountID"] as? String)
        #expect(await api.request("DELETE", "\(path)/\(accountID)", key: api.key).status == 200)
        let retry = await api.request("POST", path, body: tabaPayAccountBody(), key: api.key, headers: ["Idempotency-Key": "k1"])
        #expect(retry.status == 410 && retry.sc == 410 && retry.ec == "41000003" && retry.em == "Idempotency-Key", "\(retry.body)")
        #expect(!retry.body.contains(accountID))
        #expect(try await api.test.vault.cardCount() == 0)
    }

    @Test("A client-sync retry after its card was deleted or replaced is 410 and stores nothing")
    func clientSyncRetryAfterDelete() async throws {
        let api = try await APIHarness.makeForClientSync()
        let first = await api.request("POST", "/v1/client/sync", body: clientSyncSeedBody, key: api.key,
                                      headers: ["Idempotency-Key": "sync-1"])
        let clientID = try #require(first.json?["clientId"] as? String)
        // A later sync without the key renews the payment method's card (new expiry): the first is deleted.
        let replaced = await api.sync(clientSyncSeedBody.replacingOccurrences(of: #""expYear":"2040""#, with: #""expYear":"2041""#))
        #expect(replaced.status == 200, "\(replaced.body)")
        let retry = await api.request("POST", "/v1/client/sync", body: clientSyncSeedBody, key: api.key,
                                      headers: ["Idempotency-Key": "sync-1"])
        #expect(retry.status == 410 && (retry.json?["error"] as? [String: String])?["code"] == "idempotent_subject_deleted",
                "\(retry.body)")
        #expect(try await api.test.vault.cardCount() == 1, "only the replacement")

        // A payment method added with a key, whose card is then deleted.
        let method = #"{"clientId":"\#(clientID)","cardNumber":"4000056655665556","expMonth":"12","expYear":"2031"}"#
        let added = await api.request("POST", "/v1/payment", body: method, key: api.key, headers: ["Idempotency-Key": "pay-1"])
        let methodID = try #require(added.json?["paymentMethodId"] as? String)
        let client = try #require(SyncClientID(validating: clientID))
        let stored = try await ClientSyncService(api.test.vault).paymentMethods(of: client, tenant: api.client)
        let card = try #require(stored.first { $0.id.rawValue == methodID }?.card?.token)
        #expect(await api.request("DELETE", "/vault/v1/cards/\(card.rawValue)", key: api.key).status == 204)
        let again = await api.request("POST", "/v1/payment", body: method, key: api.key, headers: ["Idempotency-Key": "pay-1"])
        #expect(again.status == 410 && !again.body.contains(methodID), "\(again.body)")
        #expect(try await api.test.vault.cardCount() == 1)
    }

    @Test("After a gateway card is deleted, a retry of its sync_card is refused in the platform envelope and syncs nothing")
    func inTandemRetryAfterDelete() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        let body = #"{"client_id":"\#(client)","customer_id":"cus_1","external_card_id":"card_1","details":{"exp_month":3,"exp_year":2030,"last_4":"4242","cardholder_name":"Test User","card_brand":"visa"}}"#
        func sync() async -> APIHarness.Response {
            await staff.api.request("POST", "/platform/v1/payment/cards/sync_card", body: body, key: staff.key,
                                    headers: ["Idempotency-Key": "sync-1"])
        }
        let cardID = try #require(await sync().card?["id"] as? String)
        #expect(await staff.request("DELETE", "/payment/cards/\(cardID)").status == 200)
        let retry = await sync()
        #expect(retry.status == 422 && retry.error?.contains("Idempotency-Key") == true, "\(retry.body)")
        #expect(!retry.body.contains(cardID))
        #expect(await staff.cards(client: client).isEmpty)
    }

    @Test("Rotation re-seals live records, which replay after it, and leaves neutralised ones neutral")
    func rotation() async throws {
        let api = try await APIHarness.make()
        func tokenize(_ number: String, key: String) async -> APIHarness.Response {
            await api.request("POST", "/vault/v1/cards", body: #"{"number":"\#(number)"}"#, key: api.key,
                              headers: ["Idempotency-Key": key])
        }
        let kept = await tokenize("4000056655665556", key: "kept")
        let deleted = await tokenize("5555555555554444", key: "deleted")
        let token = try #require(deleted.json?["token"] as? String)
        #expect(await api.request("DELETE", "/vault/v1/cards/\(token)", key: api.key).status == 204)

        let report = try await api.test.vault.rotateDataKey(actor: "test")
        #expect(report.reencrypted[.idempotencyRecords] == 1, "the neutralised record holds nothing to move")
        #expect(try await api.test.vault.dataKeyStatus().map { $0.records[.idempotencyRecords] } == [nil, 1])
        let replay = await tokenize("4000056655665556", key: "kept")
        #expect(replay.body == kept.body)
        #expect(await tokenize("5555555555554444", key: "deleted").status == 410)
        #expect(try await api.test.vault.cardCount() == 1)
    }
}
