import Foundation
import Testing
import TestSupport
import VaultCore

/// A connectFi client of the harness's tenant: a login made through the native API by the
/// tenant's admin, and a session token from the documented `/auth/get-token` request.
struct ConnectFiClient {
    let api: APIHarness
    let token: String

    /// The documented get-token request (docs.paygears.com, "Get Access Token"), as written.
    static let getToken = #"{ "user" :{ "login": "CONNECTFI_CLIENTID", "password": "CONNECTFI_PASSWORD" } }"#
    static let login = #"{"login":"CONNECTFI_CLIENTID","password":"CONNECTFI_PASSWORD"}"#

    static func make() async throws -> ConnectFiClient {
        let api = try await APIHarness.make()
        let created = await api.request("POST", "/vault/v1/connectfi/logins", body: login, key: api.key)
        #expect(created.status == 201, "\(created.body)")
        let session = await api.request("POST", "/auth/get-token", body: getToken)
        #expect(session.status == 200, "\(session.body)")
        return ConnectFiClient(api: api, token: try #require(session.cfiData?["token"] as? String))
    }

    func request(_ method: String, _ path: String, body: String = "", token: String? = nil) async -> APIHarness.Response {
        await api.request(method, path, body: body, headers: ["x-connectfi-token": token ?? self.token])
    }

    /// An individual customer (the shape of connectFi's `/customer/status` example), reference `reference`.
    static func individual(_ reference: String, street: String = "123 Main Str.") -> String {
        #"{"customerReference":"\#(reference)","customerType":"individual","customer":{"firstName":"Janice","lastName":"Sample","dateOfBirth":"1969-08-04","email":"abc123def4@test.test","phones":[{"type":"MOBILE","countryDialingCode":"1","phoneNumber":"2012001234"},{"type":"LANDLINE","countryDialingCode":"1","phoneNumber":"2012005678"}],"addresses":[{"type":"PRIMARY","addressLine1":"\#(street)","addressLine2":"apt 8","city":"Harrisburg","stateCode":"PA","postalCode":"17101","countryCodeA3":"USA"}]}}"#
    }

    static let business = #"{"customerReference":"ExtRefBCust7","customerType":"business","customer":{"businessName":"Sample Widgets LLC","businessPhones":[{"type":"PRIMARY","countryDialingCode":"1","phoneNumber":"7175550100"}],"businessAddresses":[{"type":"PRIMARY","addressLine1":"1 Market Sq.","city":"Harrisburg","stateCode":"PA","postalCode":"17101","countryCodeA3":"USA"}],"businessRepresentative":{"firstName":"Rene","lastName":"Sample","email":"rep@test.test","phones":[{"type":"MOBILE","countryDialingCode":"1","phoneNumber":"7175550199"}],"addresses":[{"type":"PRIMARY","addressLine1":"9 Oak Ave.","city":"Camp Hill","stateCode":"PA","postalCode":"17011","countryCodeA3":"USA"}]}}}"#

    func createCustomer(_ body: String) async throws -> [String: Any] {
        let created = await request("POST", "/customer/init", body: body)
        #expect(created.status == 200, "\(created.body)")
        return try #require(created.cfiData)
    }

    func linkCard(customer: String, card: String = #"{"number":"4111111111111111","expirationDate":"203012"}"#,
                  reference: String = "extTCrd374") async throws -> String {
        let linked = await request("POST", "/ibis/card/link", body: #"{"customerId":"\#(customer)","reference":"\#(reference)","card":\#(card)}"#)
        #expect(linked.status == 200, "\(linked.body)")
        return try #require(linked.cfiData?["cFiCardId"] as? String)
    }

    /// The seed's individual sync-profile request (seed 003), with the ids this vault minted.
    static func syncBody(customer: String, card: String) -> String {
        #"{ "customerId":"\#(customer)", "cFiCardId":"\#(card)", "profile":{ "cardHolderId" : "\#(customer)", "cardHolderType": "individual" } }"#
    }

    func profile(of card: String) async -> [String: Any]? {
        await request("GET", "/ibis/card/status/\(card)").cfiData?["profile"] as? [String: Any]
    }
}

extension APIHarness.Response {
    /// connectFi's envelope: `code` "0" with `data`.
    var cfiData: [String: Any]? { json?["code"] as? String == "0" ? json?["data"] as? [String: Any] : nil }
    var code: String? { json?["code"] as? String }
    var requestIdIsHex: Bool {
        (json?["requestId"] as? String).map { $0.count == 32 && $0.allSatisfy { "0123456789abcdef".contains($0) } } ?? false
    }
}

@Suite("connectFi dialect: sessions, customers, linked cards, cardholder profile sync (in process)", .ownThreads)
struct ConnectFiAPITests {
    @Test("get-token as documented → 200 {code 0, token, dtsExpireAt an hour ahead, requestId 32 hex}; the token opens the routes")
    func getToken() async throws {
        let client = try await ConnectFiClient.make()
        let session = await client.api.request("POST", "/auth/get-token", body: ConnectFiClient.getToken)
        #expect(session.status == 200 && session.code == "0" && session.requestIdIsHex, "\(session.body)")
        #expect(session.cfiData?["dtsExpireAt"] as? String == "2026-06-15T13:00:00.000Z")
        #expect((session.cfiData?["token"] as? String)?.count == 43)
        #expect(await client.request("GET", "/customer/status/cstap_1pYermTdbHiQz8JKjF5mjo").json?["code"] as? String == "customerNotFound")
    }

    @Test("Wrong password, unknown login, missing/forged/expired token → 401 {code unauthorized, message Authentication error, requestId}; counted and audited")
    func badCredentials() async throws {
        let client = try await ConnectFiClient.make()
        let api = client.api
        let started = api.test.vault.heavyWorkStats.started
        let refusals = [
            await api.request("POST", "/auth/get-token", body: #"{"user":{"login":"CONNECTFI_CLIENTID","password":"wrong"}}"#),
            await api.request("POST", "/auth/get-token", body: #"{"user":{"login":"NOBODY","password":"CONNECTFI_PASSWORD"}}"#),
            await api.request("POST", "/customer/init", body: ConnectFiClient.individual("r1")),
            await client.request("POST", "/customer/init", body: ConnectFiClient.individual("r1"), token: String(repeating: "A", count: 43)),
        ]
        #expect(api.test.vault.heavyWorkStats.started == started + 2, "an unknown login costs one scrypt derivation, as a known one")
        for refused in refusals {
            #expect(refused.status == 401, "\(refused.body)")
            #expect(Set(refused.json?.keys.map { $0 } ?? []) == ["code", "message", "requestId"])
            #expect(refused.code == "unauthorized" && refused.json?["message"] as? String == "Authentication error" && refused.requestIdIsHex)
        }
        let audit = try await api.test.vault.auditEntries(after: 0, limit: 1000)
        #expect(audit.contains { $0.event.action == .authenticationFailure })

        api.clock.now += CardProfileService.sessionLifetime + 1
        let expired = await client.request("POST", "/customer/init", body: ConnectFiClient.individual("r1"))
        #expect(expired.status == 401 && expired.code == "unauthorized")
    }

    @Test("Deleting a login ends its sessions; the list shows ids only, never a login name or password")
    func loginLifecycle() async throws {
        let client = try await ConnectFiClient.make()
        let api = client.api
        let listed = await api.request("GET", "/vault/v1/connectfi/logins", key: api.key)
        let logins = try #require(listed.json?["data"] as? [[String: Any]])
        #expect(logins.count == 1 && Set(logins[0].keys) == ["id", "createdAt"])
        #expect(await api.request("POST", "/vault/v1/connectfi/logins", body: ConnectFiClient.login, key: api.key).status == 409)
        let staff = try await api.makeKey([.tokenize])
        #expect(await api.request("GET", "/vault/v1/connectfi/logins", key: staff).status == 403)
        let id = try #require(logins[0]["id"] as? String)
        #expect(await api.request("DELETE", "/vault/v1/connectfi/logins/\(id)", key: api.key).status == 204)
        #expect(await client.request("GET", "/customer/status/cstap_1pYermTdbHiQz8JKjF5mjo").status == 401)
        #expect(await api.request("DELETE", "/vault/v1/connectfi/logins/\(id)", key: api.key).status == 404)
    }

    @Test("customer/init: cstap_/cstab_ base62 ids; a repeated customerReference → 400 referenceExists; status shows the customer")
    func customers() async throws {
        let client = try await ConnectFiClient.make()
        let individual = try await client.createCustomer(ConnectFiClient.individual("ExtRefICust101"))
        let id = try #require(individual["customerId"] as? String)
        #expect(id.hasPrefix("cstap_") && id.count == 28 && id.dropFirst(6).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        let again = await client.request("POST", "/customer/init", body: ConnectFiClient.individual("ExtRefICust101"))
        #expect(again.status == 400 && again.code == "referenceExists" && again.requestIdIsHex, "\(again.body)")

        let business = try await client.createCustomer(ConnectFiClient.business)
        #expect((business["customerId"] as? String)?.hasPrefix("cstab_") == true)
        let representative = (business["customer"] as? [String: Any])?["businessRepresentative"] as? [String: Any]
        #expect((representative?["id"] as? String)?.hasPrefix("cstab_") == true)

        let status = await client.request("GET", "/customer/status/\(id)")
        #expect(status.cfiData?["reference"] as? String == "ExtRefICust101" && status.cfiData?["customerType"] as? String == "individual")
        #expect((status.cfiData?["customer"] as? [String: Any])?["firstName"] as? String == "Janice")

        let invalid = await client.request("POST", "/customer/init", body: #"{"customerReference":"x","customerType":"individual","customer":{"firstName":"A","lastName":"B","dateOfBirth":"1969-08-04","email":"a@b.c","phones":[],"addresses":[]}}"#)
        #expect(invalid.status == 400 && invalid.code == "validationError", "\(invalid.body)")
        #expect((invalid.json?["context"] as? [String: Any])?["field"] as? String == "customer.phones")
    }

    @Test("Fields docs/openapi/connectfi.yaml does not allow → 400 validationError naming subCode and field, nothing stored (found by schemathesis)")
    func bodiesOffTheSpec() async throws {
        let client = try await ConnectFiClient.make()
        func refusal(_ response: APIHarness.Response) -> (String?, String?, String?) {
            (response.code, response.json?["subCode"] as? String, (response.json?["context"] as? [String: Any])?["field"] as? String)
        }
        let login = await client.api.request("POST", "/auth/get-token",
            body: #"{ "user" :{ "login": "CONNECTFI_CLIENTID", "password": "CONNECTFI_PASSWORD", "requestId": "r1" } }"#)
        #expect(login.status == 400 && refusal(login) == ("validationError", "unknownField", "user.requestId"), "\(login.body)")

        let customer = ConnectFiClient.individual("ExtRefICust101")
        let objectRequestID = await client.request("POST", "/customer/init", body: String(customer.dropLast()) + #","requestId":{}}"#)
        #expect(objectRequestID.status == 400 && refusal(objectRequestID) == ("validationError", "invalidField", "requestId"),
                "\(objectRequestID.body)")
        #expect(try await client.createCustomer(customer)["reference"] as? String == "ExtRefICust101", "the refused init stored nothing")

        let id = try #require(try await client.createCustomer(ConnectFiClient.individual("ExtRefICust102"))["customerId"] as? String)
        let card = await client.request("POST", "/ibis/card/link",
            body: #"{"customerId":"\#(id)","card":{"number":"4111111111111111","expirationDate":"203012","cvv":"123"}}"#)
        #expect(card.status == 400 && card.code == "validationError" && card.json?["subCode"] as? String == "unknown_field", "\(card.body)")
        let tokens = try await client.api.test.vault.auditEntries(after: 0, limit: 1000).filter { $0.event.action == .cardTokenize }
        #expect(tokens.isEmpty, "the refused link stored no card")
    }

    @Test("A name's length is counted in code points, as the spec's maxLength: 50 accented letters (100 code points) → 400 invalidField")
    func textLengthInCodePoints() async throws {
        let client = try await ConnectFiClient.make()
        // 50 letters, each with a combining accent: 50 characters to Swift, 100 code points.
        let accented = String(repeating: "e\u{301}", count: 50)
        let body = ConnectFiClient.individual("ExtRefICust101").replacingOccurrences(of: #""firstName":"Janice""#, with: #""firstName":"\#(accented)""#)
        let refused = await client.request("POST", "/customer/init", body: body)
        #expect(refused.status == 400 && refused.code == "validationError", "\(refused.body)")
        #expect((refused.json?["context"] as? [String: Any])?["field"] as? String == "customer.firstName")
        let fits = ConnectFiClient.individual("ExtRefICust101").replacingOccurrences(of: #""firstName":"Janice""#,
                                                                                     with: #""firstName":"\#(accented.prefix(25))""#)
        #expect(try await client.createCustomer(fits)["reference"] as? String == "ExtRefICust101")
    }

    @Test("customer/update replaces each given array and keeps the rest")
    func update() async throws {
        let client = try await ConnectFiClient.make()
        let id = try #require(try await client.createCustomer(ConnectFiClient.individual("ref1"))["customerId"] as? String)
        let updated = await client.request("POST", "/customer/update", body: #"{"customerId":"\#(id)","customer":{"addresses":[{"type":"PRIMARY","addressLine1":"500 New Rd.","city":"York","stateCode":"PA","postalCode":"17401","countryCodeA3":"USA"}]}}"#)
        #expect(updated.status == 200, "\(updated.body)")
        let customer = try #require(updated.cfiData?["customer"] as? [String: Any])
        #expect((customer["addresses"] as? [[String: Any]])?.map { $0["addressLine1"] as? String } == ["500 New Rd."])
        #expect((customer["phones"] as? [[String: Any]])?.count == 2)
        let missing = await client.request("POST", "/customer/update", body: #"{"customerId":"cstap_1pYermTdbHiQz8JKjF5mjo","customer":{"email":"a@b.c"}}"#)
        #expect(missing.status == 400 && missing.code == "customerNotFound")
    }

    @Test("Seed 003 individual: sync-profile → 200 cFiStatus Complete; profile holds PRIMARY address, MOBILE and LANDLINE phones, email; one outbox message, no PAN; a repeat queues nothing")
    func syncIndividual() async throws {
        let client = try await ConnectFiClient.make()
        let customer = try #require(try await client.createCustomer(ConnectFiClient.individual("ref1"))["customerId"] as? String)
        let card = try await client.linkCard(customer: customer)
        #expect(card.hasPrefix("icrd_") && card.count == 27)

        let synced = await client.request("POST", "/ibis/card/sync-profile", body: ConnectFiClient.syncBody(customer: customer, card: card))
        #expect(synced.status == 200 && synced.requestIdIsHex, "\(synced.body)")
        #expect(synced.cfiData?["cFiStatus"] as? String == "Complete" && synced.cfiData?["cFiCardId"] as? String == card)
        #expect(synced.cfiData?["customerId"] as? String == customer && synced.cfiData?["reference"] as? String == "extTCrd374")
        #expect(synced.cfiData?["dtsCreatedAt"] as? String == "2026-06-15T12:00:00.000Z")

        let profile = try #require(await client.profile(of: card))
        #expect((profile["address"] as? [String: Any])?["addressLine1"] as? String == "123 Main Str.")
        #expect((profile["billingAddress"] as? [String: Any])?["type"] as? String == "PRIMARY")
        #expect((profile["mobilePhone"] as? [String: Any])?["phoneNumber"] as? String == "2012001234")
        #expect((profile["phone"] as? [String: Any])?["type"] as? String == "LANDLINE")
        #expect(profile["email"] as? String == "abc123def4@test.test")

        let outbox = OutboxService(client.api.test.vault)
        let messages = try await outbox.messages()
        #expect(messages.map(\.topic) == [CardProfileService.profileTopic])
        let receiver = OutboxTests.ScriptedReceiver([.delivered])
        try await outbox.deliverDue(via: receiver)
        let payload = try #require(receiver.messages.first.map { String(decoding: $0.payload, as: UTF8.self) })
        #expect(payload.contains(#""cFiCardId":"\#(card)""#) && payload.contains("123 Main Str.") && !payload.contains("4111111111111111"))

        let again = await client.request("POST", "/ibis/card/sync-profile", body: ConnectFiClient.syncBody(customer: customer, card: card))
        #expect(again.status == 200 && again.cfiData?["cFiStatus"] as? String == "Complete")
        #expect(try await outbox.messages().count == 1, "an unchanged profile queues nothing")
        let audit = try await client.api.test.vault.auditEntries(after: 0, limit: 1000)
        #expect(audit.filter { $0.event.action == .profileCardSync }.count == 2)
    }

    @Test("Seed 003 as written (ids this vault never issued) → 400 customerNotFound; another customer's or tenant's card → 400 cardNotFound")
    func notFound() async throws {
        let client = try await ConnectFiClient.make()
        let literal = #"{ "customerId":"cstap_1pYermTdbHiQz8JKjF5mjo", "cFiCardId":"icrd_5faW7EovZjx7aC6dP6LFM6", "profile":{ "cardHolderId" : "cstap_1pYermTdbHiQz8JKjF5mjo", "cardHolderType": "individual" } }"#
        let unknown = await client.request("POST", "/ibis/card/sync-profile", body: literal)
        #expect(unknown.status == 400 && unknown.code == "customerNotFound" && unknown.requestIdIsHex, "\(unknown.body)")

        let first = try #require(try await client.createCustomer(ConnectFiClient.individual("ref1"))["customerId"] as? String)
        let second = try #require(try await client.createCustomer(ConnectFiClient.individual("ref2"))["customerId"] as? String)
        let card = try await client.linkCard(customer: first)
        let crossed = await client.request("POST", "/ibis/card/sync-profile", body: ConnectFiClient.syncBody(customer: second, card: card))
        #expect(crossed.status == 400 && crossed.code == "cardNotFound", "\(crossed.body)")

        let other = try await client.api.test.vault.createTenant(name: "other", actor: "test")
        let otherAPI = APIHarness(test: client.api.test, api: client.api.api, clock: client.api.clock, log: client.api.log,
                                  client: other.id, key: other.adminKey.secret)
        let created = await otherAPI.request("POST", "/vault/v1/connectfi/logins", body: #"{"login":"OTHER_TENANT","password":"another-password"}"#, key: other.adminKey.secret)
        #expect(created.status == 201)
        let session = await otherAPI.request("POST", "/auth/get-token", body: #"{"user":{"login":"OTHER_TENANT","password":"another-password"}}"#)
        let intruder = ConnectFiClient(api: otherAPI, token: try #require(session.cfiData?["token"] as? String))
        let foreign = await intruder.request("POST", "/ibis/card/sync-profile", body: ConnectFiClient.syncBody(customer: first, card: card))
        #expect(foreign.status == 400 && foreign.code == "customerNotFound")
        #expect(await intruder.request("GET", "/ibis/card/status/\(card)").code == "cardNotFound")
        let theirs = try #require(try await intruder.createCustomer(ConnectFiClient.individual("ref1"))["customerId"] as? String)
        let stolen = await intruder.request("POST", "/ibis/card/sync-profile", body: ConnectFiClient.syncBody(customer: theirs, card: card))
        #expect(stolen.status == 400 && stolen.code == "cardNotFound")
        let token = try #require(await client.request("GET", "/ibis/card/status/\(card)").cfiData?["vaultToken"] as? String)
        let linked = await intruder.request("POST", "/ibis/card/link", body: #"{"customerId":"\#(theirs)","card":{"token":"\#(token)"}}"#)
        #expect(linked.status == 400 && linked.code == "vaultCardNotFound")
    }

    @Test("Seed 003 business representative: cardHolderId + cardHolderType → 200 Complete, billing address the business's; without them → 400 cardHolderRequired")
    func syncBusiness() async throws {
        let client = try await ConnectFiClient.make()
        let business = try await client.createCustomer(ConnectFiClient.business)
        let customer = try #require(business["customerId"] as? String)
        let representative = try #require(((business["customer"] as? [String: Any])?["businessRepresentative"] as? [String: Any])?["id"] as? String)
        let card = try await client.linkCard(customer: customer, reference: "extBICrd3395")
        let body = #"{ "customerId":"\#(customer)", "cFiCardId":"\#(card)", "profile":{ "cardHolderId" : "\#(representative)", "cardHolderType": "representative" } }"#
        let synced = await client.request("POST", "/ibis/card/sync-profile", body: body)
        #expect(synced.status == 200 && synced.cfiData?["cFiStatus"] as? String == "Complete", "\(synced.body)")
        let profile = try #require(await client.profile(of: card))
        #expect((profile["address"] as? [String: Any])?["addressLine1"] as? String == "9 Oak Ave.")
        #expect((profile["billingAddress"] as? [String: Any])?["addressLine1"] as? String == "1 Market Sq.")
        #expect((profile["workPhone"] as? [String: Any])?["phoneNumber"] as? String == "7175550100")

        let bare = await client.request("POST", "/ibis/card/sync-profile", body: #"{"customerId":"\#(customer)","cFiCardId":"\#(card)"}"#)
        #expect(bare.status == 400 && bare.code == "cardHolderRequired")
    }

    @Test("keys rotate re-seals customers and card profiles, keys status counts them, and both still open")
    func rotation() async throws {
        let client = try await ConnectFiClient.make()
        let customer = try #require(try await client.createCustomer(ConnectFiClient.individual("ref1"))["customerId"] as? String)
        let card = try await client.linkCard(customer: customer)
        #expect(await client.request("POST", "/ibis/card/sync-profile", body: ConnectFiClient.syncBody(customer: customer, card: card)).status == 200)
        let vault = client.api.test.vault
        let report = try await vault.rotateDataKey(actor: "test")
        #expect(report.reencrypted[.profileCustomers] == 1 && report.reencrypted[.profileCards] == 1)
        let active = try #require(try await vault.dataKeyStatus().first { $0.isActive })
        #expect(active.records[.profileCustomers] == 1 && active.records[.profileCards] == 1)
        #expect(await client.request("GET", "/customer/status/\(customer)").cfiData?["reference"] as? String == "ref1")
        let status = await client.request("GET", "/ibis/card/status/\(card)")
        #expect(status.cfiData?["reference"] as? String == "extTCrd374" && status.cfiData?["profile"] is [String: Any])
    }

    @Test("A copy of the database holds no reference, name, email, phone, street, login, password or PAN")
    func nothingInTheClear() async throws {
        let client = try await ConnectFiClient.make()
        let customer = try #require(try await client.createCustomer(ConnectFiClient.individual("ExtRefICust101"))["customerId"] as? String)
        let card = try await client.linkCard(customer: customer)
        #expect(await client.request("POST", "/ibis/card/sync-profile", body: ConnectFiClient.syncBody(customer: customer, card: card)).status == 200)
        let path = client.api.test.databasePath
        var bytes = Data()
        for file in [path, path + "-wal"] { bytes += (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data() }
        let contents = String(decoding: bytes, as: UTF8.self)
        for secret in ["ExtRefICust101", "extTCrd374", "Janice", "abc123def4@test.test", "2012001234", "123 Main Str.",
                       "CONNECTFI_CLIENTID", "CONNECTFI_PASSWORD", "4111111111111111"] {
            #expect(!contents.contains(secret), "\(secret) is in the database in the clear")
        }
        #expect(!client.api.log.lines.joined().contains("4111111111111111") && !client.api.log.lines.joined().contains("CONNECTFI_PASSWORD"))
    }
}
