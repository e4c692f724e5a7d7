import Foundation
import Testing
import TestSupport
import VaultCore

/// A staff member's view of the platform dialect, driven through `APIHarness`.
struct PlatformStaff {
    let api: APIHarness
    let key: String
    let keyID: String
    static let label = "Jane Staff"

    /// The harness tenant with a staff-role key labelled `label`.
    static func make(policy: VaultPolicy = VaultPolicy()) async throws -> PlatformStaff {
        let api = try await APIHarness.make(policy: policy)
        let staff = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.staff], label: label, actor: "test")
        return PlatformStaff(api: api, key: staff.secret, keyID: staff.record.id.rawValue)
    }

    func request(_ method: String, _ path: String, body: String = "", key: String? = nil) async -> APIHarness.Response {
        await api.request(method, "/platform/v1" + path, body: body, key: key ?? self.key)
    }

    /// The seed's two prerequisite settings calls: credentials, then gateway type and switches.
    func connectGateway(key: String? = nil) async {
        let credentials = await request("POST", "/payment/settings", body: #"{"payment_settings":{"stripe_user_id":"acct_test_123","stripe_access_token":"sk_test_123"}}"#, key: key)
        let switches = await request("POST", "/payment/settings", body: #"{"payment_settings":{"payments_gateway_type":"stripe","payments_enabled":true,"allow_credit_card":true}}"#, key: key)
        #expect(credentials.status == 200 && switches.status == 200, "\(credentials.body) \(switches.body)")
    }

    func createClient(key: String? = nil) async throws -> String {
        let created = await request("POST", "/clients", body: #"{"first_name":"Test","last_name":"Card Client","email":"testcard1700000000@example.com"}"#, key: key)
        #expect(created.status == 201, "\(created.body)")
        return try #require((created.data?["client"] as? [String: Any])?["id"] as? String)
    }

    func sync(client: String, last4: String = "4242", month: Int = 3, year: Int = 2030, brand: String = "visa",
              makeDefault: Bool? = nil, vaultToken: String? = nil, key: String? = nil) async -> APIHarness.Response {
        var extra = makeDefault.map { #","default":\#($0)"# } ?? ""
        if let vaultToken { extra += #","vault_token":"\#(vaultToken)""# }
        let body = #"{"client_id":"\#(client)","customer_id":"cus_test_customer_456","external_card_id":"card_\#(last4)","details":{"exp_month":\#(month),"exp_year":\#(year),"last_4":"\#(last4)","cardholder_name":"Test User","card_brand":"\#(brand)"}\#(extra)}"#
        return await request("POST", "/payment/cards/sync_card", body: body, key: key)
    }

    func cards(client: String) async -> [[String: Any]] {
        let listed = await request("GET", "/clients/\(client)/payment/cards")
        #expect(listed.status == 200, "\(listed.body)")
        return listed.data?["cards"] as? [[String: Any]] ?? []
    }
}

extension APIHarness.Response {
    /// The platform envelope: `status` "OK" with `data`, or "Error" with `error`.
    var data: [String: Any]? { json?["status"] as? String == "OK" ? json?["data"] as? [String: Any] : nil }
    var card: [String: Any]? { data?["card"] as? [String: Any] }
    var error: String? { json?["status"] as? String == "Error" ? json?["error"] as? String : nil }
}

@Suite("inTandem (vcita) dialect: payment settings, clients, synced gateway cards (in process)", .ownThreads)
struct InTandemAPITests {
    @Test("Seed 001 as written: settings in two calls, a fresh client, sync_card → 201; the same card again → 422")
    func seed() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let timestamp = String(Int(staff.api.clock.now.timeIntervalSince1970))
        let created = await staff.request("POST", "/clients", body: #"{"first_name":"Test","last_name":"Card Client","email":"testcard\#(timestamp)@example.com"}"#)
        #expect(created.status == 201, "\(created.body)")
        let client = try #require((created.data?["client"] as? [String: Any])?["id"] as? String)
        #expect(client.count == 22)
        let body = #"{"client_id":"\#(client)","customer_id":"cus_test_customer_456","details":{"exp_month":3,"exp_year":2030,"last_4":"\#(timestamp.suffix(4))","cardholder_name":"Test User","card_brand":"visa"},"default":false,"external_card_id":"card_test_unique_\#(timestamp)"}"#

        let synced = await staff.request("POST", "/payment/cards/sync_card", body: body)
        #expect(synced.status == 201, "\(synced.body)")
        let card = try #require(synced.card)
        #expect((card["id"] as? String)?.count == 22)
        #expect(card["active"] as? Bool == true)
        #expect(card["business_id"] as? String == staff.api.client.rawValue)
        #expect(card["client_id"] as? String == client)
        #expect(card["card_brand"] as? String == "visa" && card["cardholder_name"] as? String == "Test User")
        #expect(card["exp_month"] as? Int == 3 && card["exp_year"] as? Int == 2030)
        #expect(card["last_4"] as? String == String(timestamp.suffix(4)))
        #expect(card["default"] as? Bool == true, "a client's first card is its default even with default: false")
        #expect(card["payment_provider"] as? String == "stripe")
        #expect(card["staff_id"] as? String == staff.keyID && card["staff_name"] as? String == PlatformStaff.label)
        #expect(card["created_at"] is String)

        let again = await staff.request("POST", "/payment/cards/sync_card", body: body)
        #expect(again.status == 422 && again.error == "Card already exists for this client", "\(again.body)")
        #expect(await staff.cards(client: client).count == 1)

        let audit = try await staff.api.test.storage.read { try $0.auditEntries(after: 0, limit: 1000) }
        let sync = try #require(audit.last { $0.event.action == .gatewayCardSync })
        #expect(sync.event.actor.name == "apikey:\(staff.keyID)" && sync.event.actor.source == "127.0.0.1" && sync.event.subject == card["id"] as? String)
        #expect(try await staff.api.test.vault.verifyAuditLog() == .intact(entries: Int64(audit.count), checkpoints: 0))
    }

    @Test("A missing mandatory parameter is a 422 naming it", arguments: [
        "client_id", "customer_id", "external_card_id", "details", "details.exp_month", "details.exp_year",
        "details.last_4", "details.cardholder_name", "details.card_brand",
    ])
    func missingParameter(path: String) async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        var details: [String: Any] = ["exp_month": 3, "exp_year": 2030, "last_4": "4242", "cardholder_name": "Test User", "card_brand": "visa"]
        var body: [String: Any] = ["client_id": client, "customer_id": "cus_1", "external_card_id": "card_1"]
        if path.hasPrefix("details.") { details[String(path.dropFirst("details.".count))] = nil }
        body["details"] = details
        body[path] = nil
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let refused = await staff.request("POST", "/payment/cards/sync_card", body: json)
        #expect(refused.status == 422 && refused.error == "Mandatory parameter \(path) is missing", "\(refused.body)")
    }

    @Test("Card details are validated: month 1–12, a 4-digit year, last_4 four digits, a known brand")
    func invalidDetails() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        let cases: [(APIHarness.Response, String)] = [
            (await staff.sync(client: client, month: 0), "exp_month must be between 1 and 12"),
            (await staff.sync(client: client, month: 13), "exp_month must be between 1 and 12"),
            (await staff.sync(client: client, year: 30), "exp_year must be a 4-digit year"),
            (await staff.sync(client: client, year: 20300), "exp_year must be a 4-digit year"),
            (await staff.sync(client: client, last4: "424"), "last_4 must be 4 digits"),
            (await staff.sync(client: client, last4: "42a2"), "last_4 must be 4 digits"),
            (await staff.sync(client: client, brand: "maestro"),
             "card_brand must be one of amex, cartes_bancaires, diners, discover, eftpos_au, girocard, jcb, link, mastercard, unionpay, visa, unknown"),
        ]
        for (response, message) in cases {
            #expect(response.status == 422 && response.error == message, "\(response.body)")
        }
        #expect(await staff.sync(client: client, brand: "Amex").status == 201, "brands are matched without case")
        #expect(await staff.cards(client: client).count == 1)
    }

    @Test("No card is synced until the gateway is connected, payments are enabled and credit cards allowed")
    func gatewayNotReady() async throws {
        let staff = try await PlatformStaff.make()
        let client = try await staff.createClient()
        let steps: [(String, String)] = [
            (#"{"stripe_user_id":"acct_1"}"#, "Payment gateway is not connected"),
            (#"{"stripe_access_token":"sk_test_123"}"#, "Payment gateway is not connected"),
            (#"{"payments_gateway_type":"stripe"}"#, "Payments are disabled"),
            (#"{"payments_enabled":true}"#, "Credit card payments are not allowed"),
        ]
        let first = await staff.sync(client: client)
        #expect(first.status == 422 && first.error == "Payment gateway is not connected", "\(first.body)")
        for (settings, message) in steps {
            #expect(await staff.request("POST", "/payment/settings", body: #"{"payment_settings":\#(settings)}"#).status == 200)
            let refused = await staff.sync(client: client)
            #expect(refused.status == 422 && refused.error == message, "after \(settings): \(refused.body)")
        }
        #expect(await staff.request("POST", "/payment/settings", body: #"{"payment_settings":{"allow_credit_card":true}}"#).status == 200)
        #expect(await staff.sync(client: client).status == 201)
        #expect(await staff.request("POST", "/payment/settings", body: #"{"payment_settings":{"payments_enabled":false}}"#).status == 200)
        #expect(await staff.sync(client: client, last4: "1111").error == "Payments are disabled")
    }

    @Test("An unknown, malformed or other tenant's client_id is 422 Client not found; their list is 404")
    func unknownClient() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let other = try await staff.api.test.vault.createTenant(name: "other", actor: "test")
        await staff.connectGateway(key: other.adminKey.secret)
        let theirs = try await staff.createClient(key: other.adminKey.secret)
        for client in [Token.generate().rawValue, "not-an-id", theirs] {
            let refused = await staff.sync(client: client)
            #expect(refused.status == 422 && refused.error == "Client not found", "\(refused.body)")
            let listed = await staff.request("GET", "/clients/\(client)/payment/cards")
            #expect(listed.status == 404 && listed.error == "Client not found", "\(listed.body)")
        }
        #expect(await staff.sync(client: theirs, key: other.adminKey.secret).status == 201, "their own key may")
    }

    @Test("A client at its card limit gets 422; a deleted card frees a place")
    func cardLimit() async throws {
        var policy = VaultPolicy()
        policy.maximumGatewayCardsPerClient = 2
        let staff = try await PlatformStaff.make(policy: policy)
        await staff.connectGateway()
        let client = try await staff.createClient()
        let first = await staff.sync(client: client, last4: "1111")
        let second = await staff.sync(client: client, last4: "2222")
        #expect(first.status == 201 && second.status == 201)
        let refused = await staff.sync(client: client, last4: "3333")
        #expect(refused.status == 422 && refused.error == "Client has reached the limit of 2 cards", "\(refused.body)")
        #expect(await staff.sync(client: try await staff.createClient(), last4: "3333").status == 201, "the limit is per client")
        let id = try #require(first.card?["id"] as? String)
        #expect(await staff.request("DELETE", "/payment/cards/\(id)").status == 200)
        #expect(await staff.sync(client: client, last4: "3333").status == 201)
    }

    @Test("The first card is the default, default: true moves it, a deleted default passes to the newest card")
    func defaults() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        func defaultLast4s() async -> [String] {
            await staff.cards(client: client).filter { $0["default"] as? Bool == true }.compactMap { $0["last_4"] as? String }
        }
        #expect(await staff.sync(client: client, last4: "1111").card?["default"] as? Bool == true)
        #expect(await staff.sync(client: client, last4: "2222").card?["default"] as? Bool == false)
        #expect(await defaultLast4s() == ["1111"])
        let third = await staff.sync(client: client, last4: "3333", makeDefault: true)
        #expect(third.card?["default"] as? Bool == true)
        #expect(await defaultLast4s() == ["3333"])
        #expect(await staff.sync(client: client, last4: "4444", makeDefault: false).card?["default"] as? Bool == false)
        #expect(await staff.cards(client: client).compactMap { $0["last_4"] as? String } == ["1111", "2222", "3333", "4444"])

        let id = try #require(third.card?["id"] as? String)
        #expect(await staff.request("DELETE", "/payment/cards/\(id)").status == 200)
        #expect(await defaultLast4s() == ["4444"])
    }

    @Test("DELETE answers 200 {status: OK, data: {}}; the card leaves the list; again, or another tenant's, is 404")
    func delete() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        let synced = await staff.sync(client: client)
        let id = try #require(synced.card?["id"] as? String)
        let other = try await staff.api.test.vault.createTenant(name: "other", actor: "test")
        let foreign = await staff.request("DELETE", "/payment/cards/\(id)", key: other.adminKey.secret)
        #expect(foreign.status == 404 && foreign.error == "Card not found", "\(foreign.body)")

        let deleted = await staff.request("DELETE", "/payment/cards/\(id)")
        #expect(deleted.status == 200, "\(deleted.body)")
        #expect(deleted.json?["status"] as? String == "OK" && (deleted.data?.isEmpty ?? false))
        #expect(await staff.cards(client: client).isEmpty)
        let again = await staff.request("DELETE", "/payment/cards/\(id)")
        #expect(again.status == 404 && again.error == "Card not found")
        #expect(await staff.request("DELETE", "/payment/cards/nope").status == 404)
        #expect(await staff.sync(client: client).status == 201, "a deleted card is no duplicate")
        let audit = try await staff.api.test.storage.read { try $0.auditEntries(after: 0, limit: 1000) }
        #expect(audit.contains { $0.event.action == .gatewayCardDelete && $0.event.subject == id })
    }

    @Test("Settings are merged, GET never returns the access token, and no secret or personal data reaches the files")
    func settingsSecrets() async throws {
        let staff = try await PlatformStaff.make()
        let empty = await staff.request("GET", "/payment/settings")
        #expect(empty.status == 200 && (empty.data?["payment_settings"] as? [String: Any])?["stripe_connected"] as? Bool == false)
        await staff.connectGateway()
        let read = await staff.request("GET", "/payment/settings")
        #expect(read.status == 200, "\(read.body)")
        let settings = try #require(read.data?["payment_settings"] as? [String: Any])
        #expect(settings["stripe_user_id"] as? String == "acct_test_123", "kept across the second, partial update")
        #expect(settings["stripe_connected"] as? Bool == true)
        #expect(settings["payments_gateway_type"] as? String == "stripe")
        #expect(settings["payments_enabled"] as? Bool == true && settings["allow_credit_card"] as? Bool == true)
        #expect(settings["stripe_access_token"] == nil && !read.body.contains("sk_test_123"))

        let client = try await staff.createClient()
        #expect(await staff.sync(client: client).status == 201)
        for path in [staff.api.test.databasePath, staff.api.test.databasePath + "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            for secret in ["sk_test_123", "Card Client", "testcard1700000000", "Test User"] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in \(path)")
            }
        }
        let audit = try await staff.api.test.storage.read { try $0.auditEntries(after: 0, limit: 1000) }
        #expect(audit.filter { $0.event.action == .paymentSettingsUpdate }.count == 2)
    }

    @Test("Settings refuse unknown gateways, bad tokens and unknown fields, without echoing them")
    func invalidSettings() async throws {
        let staff = try await PlatformStaff.make()
        let cases: [(String, String)] = [
            (#"{"payment_settings":{"payments_gateway_type":"square"}}"#, "payment_settings.payments_gateway_type must be one of stripe"),
            (#"{"payment_settings":{"stripe_access_token":"sk test"}}"#, "payment_settings.stripe_access_token must be 1 to 255 visible ASCII characters"),
            (#"{"payment_settings":{"secret":"x"}}"#, "payment_settings.secret is not an allowed field"),
            (#"{}"#, "Mandatory parameter payment_settings is missing"),
            ("[", "The request body must be a JSON object"),
        ]
        for (body, message) in cases {
            let refused = await staff.request("POST", "/payment/settings", body: body)
            #expect(refused.status == 422 && refused.error == message, "\(refused.body)")
            #expect(!refused.body.contains("sk test"))
        }
    }

    @Test("Concurrent syncs of one card: exactly one 201, the rest 422, in every round")
    func concurrentSync() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        for round in 0..<5 {
            let last4 = String(1000 + round)
            let responses = await withTaskGroup(of: APIHarness.Response.self) { group in
                for _ in 0..<8 { group.addTask { await staff.sync(client: client, last4: last4) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.map(\.status).sorted() == [201] + Array(repeating: 422, count: 7), "round \(round)")
            #expect(responses.filter { $0.status == 422 }.allSatisfy { $0.error == "Card already exists for this client" })
        }
        let cards = await staff.cards(client: client)
        #expect(cards.count == 5 && cards.filter { $0["default"] as? Bool == true }.count == 1)
    }

    @Test("vault_token links a card held in Coffer when last 4, expiration and brand agree; else 422")
    func vaultToken() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        let held = try await staff.api.test.vault.tokenize(try TestPAN.card(7, expiration: "203003"), tenant: staff.api.client, caller: .admin(of: staff.api.client), actor: "test")
        let token = held.metadata.token.rawValue
        let last4 = held.metadata.last4
        let mismatches: [APIHarness.Response] = [
            await staff.sync(client: client, last4: last4 == "0000" ? "0001" : "0000", vaultToken: token),
            await staff.sync(client: client, last4: last4, month: 4, vaultToken: token),
            await staff.sync(client: client, last4: last4, year: 2031, vaultToken: token),
            await staff.sync(client: client, last4: last4, brand: "mastercard", vaultToken: token),
        ]
        for refused in mismatches {
            #expect(refused.status == 422 && refused.error == "Card details do not match the vault card", "\(refused.body)")
        }
        let other = try await staff.api.test.vault.createTenant(name: "other", actor: "test")
        let theirs = try await staff.api.test.vault.tokenize(try TestPAN.card(7, expiration: "203003"), tenant: other.id, caller: .admin(of: other.id), actor: "test")
        for unknown in [Token.generate().rawValue, theirs.metadata.token.rawValue, "short"] {
            let refused = await staff.sync(client: client, last4: last4, vaultToken: unknown)
            #expect(refused.status == 422 && refused.error == "Vault card not found", "\(refused.body)")
        }
        let linked = await staff.sync(client: client, last4: last4, vaultToken: token)
        #expect(linked.status == 201 && linked.card?["vault_token"] as? String == token, "\(linked.body)")
        #expect(await staff.cards(client: client).first?["vault_token"] as? String == token)
    }

    @Test("A sync_card retried with its Idempotency-Key replays the first 201 instead of a duplicate 422")
    func idempotentRetry() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        let body = #"{"client_id":"\#(client)","customer_id":"cus_1","external_card_id":"card_1","details":{"exp_month":3,"exp_year":2030,"last_4":"4242","cardholder_name":"Test User","card_brand":"visa"}}"#
        let first = await staff.api.request("POST", "/platform/v1/payment/cards/sync_card", body: body, key: staff.key,
                                            headers: ["Idempotency-Key": "sync-1"])
        let retry = await staff.api.request("POST", "/platform/v1/payment/cards/sync_card", body: body, key: staff.key,
                                            headers: ["Idempotency-Key": "sync-1"])
        #expect(first.status == 201 && retry.status == 201 && retry.body == first.body, "\(retry.body)")
        #expect(await staff.cards(client: client).count == 1)
    }

    @Test("Authentication and roles answer in the platform envelope")
    func access() async throws {
        let staff = try await PlatformStaff.make()
        let anonymous = await staff.api.request("GET", "/platform/v1/payment/settings")
        #expect(anonymous.status == 401 && anonymous.error == "Unauthorized", "\(anonymous.body)")
        let tokenizer = try await staff.api.test.vault.createAPIKey(tenant: staff.api.client, roles: [.tokenize], label: "t", actor: "test")
        let forbidden = await staff.request("POST", "/clients", body: #"{"first_name":"A"}"#, key: tokenizer.secret)
        #expect(forbidden.status == 403 && forbidden.error == "Forbidden", "\(forbidden.body)")
        #expect(await staff.request("POST", "/clients", body: #"{"first_name":"A"}"#, key: staff.api.key).status == 201, "admin passes")
    }
}
