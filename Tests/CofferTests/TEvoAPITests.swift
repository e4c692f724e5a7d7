import CardVerifiers
import Foundation
import HTTPServer
import Synchronization
import Testing
import TestSupport
import VaultAPI
import VaultCore

/// A card verifier that answers as `SandboxCardVerifier` (Braintree's test numbers) — or fails,
/// for the numbers in `failing` — and records every authorization and void, in order.
final class RecordingVerifier: CardVerifier {
    enum Event: Equatable {
        /// The card's last 4, the security code and billing street the call carried, and the answer.
        case authorize(last4: String, securityCode: String?, street: String?, answer: CardAuthorization)
        case void(CardAuthorizationID)
    }

    private let sandbox = SandboxCardVerifier()
    private let failing: Set<String>
    private let recorded = Mutex<[Event]>([])

    init(failing: Set<String> = []) {
        self.failing = failing
    }

    var events: [Event] { recorded.withLock { $0 } }
    var openAuthorizations: Set<CardAuthorizationID> { sandbox.openAuthorizations }

    func authorize(_ card: CardToVerify, securityCode: SecurityCode?, address: BillingAddress?,
                   amount: VerificationAmount) async -> CardAuthorization {
        #expect(amount == .oneDollar)
        let answer = failing.contains(card.number.digits)
            ? .failed(.unavailable("connect_failed"))
            : await sandbox.authorize(card, securityCode: securityCode, address: address, amount: amount)
        recorded.withLock {
            $0.append(.authorize(last4: card.number.last4, securityCode: securityCode?.digits, street: address?.line1,
                                 answer: answer))
        }
        return answer
    }

    func void(_ authorization: CardAuthorizationID) async throws(CardVerifierFailure) {
        recorded.withLock { $0.append(.void(authorization)) }
        try await sandbox.void(authorization)
    }
}

/// A Ticket Evolution integration driven through `APIHarness`: a signing credential its tenant's
/// admin made through the native API, and requests signed by Python's `hmac` over the `Host`
/// the harness sends (`127.0.0.1`).
struct TEvoCaller {
    let api: APIHarness
    let verifier: RecordingVerifier
    let token: String
    let secret: String
    static let host = "127.0.0.1"

    static func make(verifier: RecordingVerifier = RecordingVerifier(), policy: VaultPolicy = VaultPolicy()) async throws -> TEvoCaller {
        let api = try await APIHarness.make(policy: policy, cardVerifier: verifier)
        let created = await api.request("POST", "/vault/v1/tevo/credentials", body: #"{"label":"box office"}"#, key: api.key)
        #expect(created.status == 201, "\(created.body)")
        return TEvoCaller(api: api, verifier: verifier, token: try #require(created.json?["token"] as? String),
                          secret: try #require(created.json?["secret"] as? String))
    }

    /// Python's signature of the request as sent, unless `signature` is given; `sent` replaces the
    /// body after signing (a byte altered on the way).
    func request(_ method: String, _ target: String, body: String = "", sent: String? = nil, signature: String? = nil,
                 token: String? = nil, signedHost: String = host) async throws -> APIHarness.Response {
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        let computed = try await TEvoSignatureTests().pythonSignatures(secret: secret, [
            .init(method: method, host: signedHost, path: parts[0], query: parts.count > 1 ? parts[1] : nil, body: body),
        ])
        return await api.request(method, target, body: sent ?? body,
                                 headers: ["X-Token": token ?? self.token, "X-Signature": signature ?? computed[0]])
    }

    /// A client with one address and one phone number, as the seed's card request needs them.
    func clientWithContacts(name: String = "Ned Flanders") async throws -> (client: Int, address: Int, phone: Int) {
        let client = try await create("/v9/clients", #"{"clients":[{"name":"\#(name)"}]}"#, "clients")
        let address = try await create("/v9/clients/\(client)/addresses", #"{"addresses":[{"label":"home","name":"Ned Flanders","street_address":"742 Evergreen Terrace","locality":"Springfield","region":"OR","postal_code":"97475","country_code":"US"}]}"#, "addresses")
        let phone = try await create("/v9/clients/\(client)/phone_numbers", #"{"phone_numbers":[{"label":"home","country_code":"1","number":"5550123"}]}"#, "phone_numbers")
        return (client, address, phone)
    }

    private func create(_ path: String, _ body: String, _ key: String) async throws -> Int {
        let created = try await request("POST", path, body: body)
        #expect(created.status == 201, "\(created.body)")
        return try #require((created.json?[key] as? [[String: Any]])?.first?["id"] as? Int, "\(created.body)")
    }

    /// The seed's card with our ids and a year still ahead, or as given.
    static func card(_ number: String, label: String = "Chase Sapphire Reserve", address: Int, phone: Int,
                     year: String = "2030", code: String = "789") -> String {
        #"{"label":"\#(label)","name":"Ned Flanders","number":"\#(number)","expiration_month":"12","expiration_year":"\#(year)","verification_code":"\#(code)","address_id":\#(address),"phone_number_id":\#(phone),"ip_address":"37.235.140.72"}"#
    }

    static func batch(_ cards: [String]) -> String { #"{"credit_cards":[\#(cards.joined(separator: ","))]}"# }

    func cards(client: Int) async throws -> [[String: Any]] {
        let listed = try await request("GET", "/v9/clients/\(client)/credit_cards")
        #expect(listed.status == 200, "\(listed.body)")
        return listed.json?["credit_cards"] as? [[String: Any]] ?? []
    }
}

extension APIHarness.Response {
    /// TEvo's error body: `error` (and Coffer's `code`).
    var tevoError: (error: String?, code: String?) { (json?["error"] as? String, json?["code"] as? String) }
}

@Suite("Ticket Evolution dialect: signed clients, contacts, verified credit cards (in process)", .ownThreads)
struct TEvoAPITests {
    @Test("Credentials: an admin creates one (token and secret shown once), lists them without secrets, revokes: its signatures then fail")
    func credentials() async throws {
        let tevo = try await TEvoCaller.make()
        #expect(tevo.token.count == 32 && tevo.token.allSatisfy(\.isHexDigit) && tevo.secret.count == 40)
        let listed = await tevo.api.request("GET", "/vault/v1/tevo/credentials", key: tevo.api.key)
        let entries = try #require(listed.json?["data"] as? [[String: Any]])
        #expect(entries.count == 1 && entries[0]["label"] as? String == "box office" && entries[0]["revokedAt"] is NSNull)
        #expect(!listed.body.contains(tevo.secret) && !listed.body.contains(tevo.token))
        let tokenizer = try await tevo.api.makeKey([.tokenize])
        #expect(await tevo.api.request("POST", "/vault/v1/tevo/credentials", body: "{}", key: tokenizer).status == 403)

        #expect(try await tevo.request("GET", "/v9/clients").status == 200)
        let id = try #require(entries[0]["id"] as? String)
        #expect(await tevo.api.request("DELETE", "/vault/v1/tevo/credentials/\(id)", key: tevo.api.key).status == 204)
        let refused = try await tevo.request("GET", "/v9/clients")
        #expect(refused.status == 401 && refused.tevoError.error == "Unauthorized", "\(refused.body)")
        let again = await tevo.api.request("DELETE", "/vault/v1/tevo/credentials/\(id)", key: tevo.api.key)
        #expect(again.status == 404 && again.body.contains("credential_not_found"))
    }

    @Test("X-Signature: Python's signature passes; an unsorted GET query, an altered body byte, another Host, a missing or foreign signature → 401 in TEvo's shape")
    func signatureRefusals() async throws {
        let tevo = try await TEvoCaller.make()
        #expect(try await tevo.request("GET", "/v9/clients?page=1&per_page=1").status == 200)
        let body = #"{"clients":[{"name":"Michael Starr"}]}"#
        let refusals = [
            try await tevo.request("GET", "/v9/clients?per_page=1&page=1"),
            try await tevo.request("POST", "/v9/clients", body: body, sent: body.replacingOccurrences(of: "Michael", with: "Micheal")),
            try await tevo.request("POST", "/v9/clients", body: body, signedHost: "api.ticketevolution.com"),
            try await tevo.request("POST", "/v9/clients", body: body, signature: ""),
            try await tevo.request("POST", "/v9/clients", body: body, signature: "ohGcFIHF3vg75A8Kpg42LNxuQpQZJsTBKv8xnZASzu0="),
            try await tevo.request("POST", "/v9/clients", body: body, token: String(repeating: "0", count: 32)),
            await tevo.api.request("POST", "/v9/clients", body: body),
        ]
        for refused in refusals {
            #expect(refused.status == 401 && refused.tevoError.error == "Unauthorized" && refused.tevoError.code == "unauthorized",
                    "\(refused.body)")
        }
        #expect(try await tevo.request("GET", "/v9/clients").json?["total_entries"] as? Int == 0, "no refused POST stored a client")
        let created = try await tevo.request("POST", "/v9/clients", body: body)
        #expect(created.status == 201, "\(created.body)")
    }

    @Test("Refused signatures are counted like every failed authentication: past the source's budget → 429")
    func failuresCounted() async throws {
        var policy = VaultPolicy()
        policy.failedAuthenticationRate = TokenBucket.Rate(perSecond: 0.001, burst: 2)!
        let tevo = try await TEvoCaller.make(policy: policy)
        let statuses = [
            try await tevo.request("GET", "/v9/clients", signature: "bad").status,
            try await tevo.request("GET", "/v9/clients?b=1&a=2").status,
            try await tevo.request("GET", "/v9/clients", signature: "bad").status,
        ]
        #expect(statuses == [401, 401, 429])
        let entries = try await tevo.api.test.vault.auditEntries(after: 0, limit: 100)
        #expect(entries.contains { $0.event.action == .authenticationFailure && $0.event.subject?.contains("invalid_signature") == true },
                "\(entries.map(\.event))")
    }

    @Test("Clients, addresses and phone numbers: create (always an array), list, show; integer ids; bad input 422, unknown ids 404")
    func clientsAndContacts() async throws {
        let tevo = try await TEvoCaller.make()
        let (client, address, phone) = try await tevo.clientWithContacts()
        let shown = try await tevo.request("GET", "/v9/clients/\(client)")
        #expect(shown.status == 200 && shown.json?["name"] as? String == "Ned Flanders" && shown.json?["url"] as? String == "/v9/clients/\(client)")
        #expect((1..<(1 << 53)).contains(client) && client != address && address != phone)
        let listed = try await tevo.request("GET", "/v9/clients")
        #expect(listed.json?["total_entries"] as? Int == 1 && listed.json?["current_page"] as? Int == 1)

        let addressShown = try await tevo.request("GET", "/v9/clients/\(client)/addresses/\(address)")
        #expect(addressShown.json?["street_address"] as? String == "742 Evergreen Terrace" && addressShown.json?["po_box"] as? Bool == false)
        let phones = try await tevo.request("GET", "/v9/clients/\(client)/phone_numbers")
        let first = try #require((phones.json?["phone_numbers"] as? [[String: Any]])?.first)
        #expect(first["number"] as? String == "5550123" && first["callable_id"] as? Int == client && first["callable_type"] as? String == "Client")
        #expect(try await tevo.request("GET", "/v9/clients/\(client)/phone_numbers/\(address)").status == 404, "an address is not a phone number")

        let noSpace = try await tevo.request("POST", "/v9/clients", body: #"{"clients":[{"name":"Prince"}]}"#)
        #expect(noSpace.status == 422 && noSpace.tevoError.code == "invalid_field", "\(noSpace.body)")
        let notArray = try await tevo.request("POST", "/v9/clients", body: #"{"clients":{"name":"Ned Flanders"}}"#)
        #expect(notArray.status == 422, "\(notArray.body)")
        let notJSON = try await tevo.request("POST", "/v9/clients", body: "clients")
        #expect(notJSON.status == 422 && notJSON.tevoError.code == "invalid_json")
        for path in ["/v9/clients/168019", "/v9/clients/abc", "/v9/clients/168019/addresses", "/v9/clients/\(client)/addresses/645263",
                     "/v9/clients/\(client)/credit_cards/22528"] {
            let missing = try await tevo.request("GET", path)
            #expect(missing.status == 404 && missing.tevoError.error?.hasSuffix("not found") == true, "\(path): \(missing.body)")
        }
        let badPage = try await tevo.request("GET", "/v9/clients?page=0")
        #expect(badPage.status == 422 && badPage.tevoError.code == "invalid_query")
    }

    @Test("Seed 004 as written: its 2021 expiry → 422 expired_card; a year ahead but its address and phone ids, not this client's → 422; with ours → one card, authorized with its code and street, then voided")
    func seedRequest() async throws {
        let tevo = try await TEvoCaller.make()
        let (client, address, phone) = try await tevo.clientWithContacts()
        let seed = try await tevo.request("POST", "/v9/clients/\(client)/credit_cards", body: TEvoSignatureTests.seedBody)
        #expect(seed.status == 422 && seed.tevoError.code == "expired_card", "\(seed.body)")
        let seedIDs = try await tevo.request("POST", "/v9/clients/\(client)/credit_cards",
                                             body: TEvoSignatureTests.seedBody.replacingOccurrences(of: "2021", with: "2030"))
        #expect(seedIDs.status == 422 && seedIDs.tevoError.code == "address_not_found", "\(seedIDs.body)")
        #expect(tevo.verifier.events.isEmpty)

        let created = try await tevo.request("POST", "/v9/clients/\(client)/credit_cards",
                                             body: TEvoCaller.batch([TEvoCaller.card("4111111111111111", address: address, phone: phone)]))
        #expect(created.status == 201, "\(created.body)")
        let card = try #require((created.json?["credit_cards"] as? [[String: Any]])?.first)
        let id = try #require(card["id"] as? Int)
        #expect(card["label"] as? String == "Chase Sapphire Reserve" && card["name"] as? String == "Ned Flanders")
        #expect(card["last_digits"] as? String == "1111" && card["card_company"] as? String == "Visa")
        #expect(card["expiration_month"] as? String == "12" && card["expiration_year"] as? String == "30")
        #expect((card["address"] as? [String: Any])?["id"] as? Int == address)
        #expect(((card["phone_number"] as? [String: Any])?["phone_number"] as? [String: Any])?["id"] as? Int == phone)
        #expect(card["url"] as? String == "/clients/\(client)/credit_cards/\(id)")
        #expect(!created.body.contains("4111111111111111") && !created.body.contains("verification_code"))
        guard case .authorize("1111", "789", "742 Evergreen Terrace", .approved(let authorization))? = tevo.verifier.events.first else {
            Issue.record("\(tevo.verifier.events)"); return
        }
        #expect(tevo.verifier.events.dropFirst() == [.void(authorization)])
        #expect(tevo.verifier.openAuthorizations.isEmpty)
    }

    @Test("A batch of two (Visa, Mastercard) → both stored with last digits and 2-digit years; both authorized, then voided; list and show")
    func batchOfTwo() async throws {
        let tevo = try await TEvoCaller.make()
        let (client, address, phone) = try await tevo.clientWithContacts()
        let body = TEvoCaller.batch([TEvoCaller.card("4111111111111111", address: address, phone: phone),
                                     TEvoCaller.card("5555555555554444", label: "Mastercard", address: address, phone: phone)])
        let created = try await tevo.request("POST", "/v9/clients/\(client)/credit_cards", body: body)
        #expect(created.status == 201, "\(created.body)")
        let cards = try await tevo.cards(client: client)
        #expect(cards.map { $0["last_digits"] as? String } == ["1111", "4444"])
        #expect(cards.map { $0["card_company"] as? String } == ["Visa", "MasterCard"])
        #expect(cards.allSatisfy { $0["expiration_year"] as? String == "30" })
        let authorized = tevo.verifier.events.compactMap { event -> CardAuthorizationID? in
            if case .authorize(_, _, _, .approved(let id)) = event { id } else { nil }
        }
        #expect(authorized.count == 2 && tevo.verifier.events.suffix(2) == authorized.map { .void($0) })
        let id = try #require(cards.last?["id"] as? Int)
        let shown = try await tevo.request("GET", "/v9/clients/\(client)/credit_cards/\(id)")
        #expect(shown.status == 200 && shown.json?["last_digits"] as? String == "4444")
        #expect(try await tevo.api.test.vault.cardCount() == 2, "each card is a vault card")
    }

    @Test("A decline (4000111111111115) after an approval → 422 in TEvo's shape, the approval voided, nothing stored")
    func declinedBatch() async throws {
        let tevo = try await TEvoCaller.make()
        let (client, address, phone) = try await tevo.clientWithContacts()
        let body = TEvoCaller.batch([TEvoCaller.card("4111111111111111", address: address, phone: phone),
                                     TEvoCaller.card("4000111111111115", address: address, phone: phone)])
        let refused = try await tevo.request("POST", "/v9/clients/\(client)/credit_cards", body: body)
        #expect(refused.status == 422 && refused.tevoError.code == "card_declined", "\(refused.body)")
        #expect(refused.tevoError.error?.hasPrefix("Credit card 2 could not be verified") == true)
        let events = tevo.verifier.events
        guard events.count == 3, case .authorize("1111", _, _, .approved(let first)) = events[0],
              case .authorize("1115", _, _, .declined) = events[1] else { Issue.record("\(events)"); return }
        #expect(events[2] == .void(first))
        #expect(try await tevo.cards(client: client).isEmpty)
        #expect(try await tevo.api.test.vault.cardCount() == 0)
    }

    @Test("The verifier gives no answer → 503 in TEvo's shape, earlier approvals voided, nothing stored")
    func verifierFailure() async throws {
        let tevo = try await TEvoCaller.make(verifier: RecordingVerifier(failing: ["5555555555554444"]))
        let (client, address, phone) = try await tevo.clientWithContacts()
        let body = TEvoCaller.batch([TEvoCaller.card("4111111111111111", address: address, phone: phone),
                                     TEvoCaller.card("5555555555554444", address: address, phone: phone)])
        let failed = try await tevo.request("POST", "/v9/clients/\(client)/credit_cards", body: body)
        #expect(failed.status == 503 && failed.tevoError.code == "verification_unavailable", "\(failed.body)")
        #expect(tevo.verifier.openAuthorizations.isEmpty)
        #expect(try await tevo.cards(client: client).isEmpty)
    }

    @Test("address_id and phone_number_id must be the client's: another client's → 422 before any authorization; another tenant sees nothing")
    func contactsMustBelong() async throws {
        let tevo = try await TEvoCaller.make()
        let ned = try await tevo.clientWithContacts()
        let maude = try await tevo.clientWithContacts(name: "Maude Flanders")
        for (address, phone, code) in [(maude.address, ned.phone, "address_not_found"), (ned.address, maude.phone, "phone_number_not_found"),
                                       (ned.phone, ned.phone, "address_not_found")] {
            let refused = try await tevo.request("POST", "/v9/clients/\(ned.client)/credit_cards",
                                                 body: TEvoCaller.batch([TEvoCaller.card("4111111111111111", address: address, phone: phone)]))
            #expect(refused.status == 422 && refused.tevoError.code == code, "\(refused.body)")
        }
        #expect(tevo.verifier.events.isEmpty)

        let other = try await tevo.api.test.vault.createTenant(name: "other", actor: "test")
        let issued = try await PatronService(tevo.api.test.vault, verifier: tevo.verifier)
            .createSigningCredential(tenant: other.id, label: "other", actor: "test")
        let stranger = TEvoCaller(api: tevo.api, verifier: tevo.verifier, token: issued.token, secret: issued.secret)
        #expect(try await stranger.request("GET", "/v9/clients/\(ned.client)").status == 404)
        #expect(try await stranger.request("GET", "/v9/clients").json?["total_entries"] as? Int == 0)
    }

    @Test("A request the HTTP layer refuses on a /v9 path (413) is answered in TEvo's shape")
    func serverRefusals() throws {
        let tooLarge = HTTPParseError(status: .payloadTooLarge, code: "body_too_large", message: "The request body is too large.")
        let refused = VaultAPI.parseErrorResponse(tooLarge, path: "/v9/clients/1/credit_cards")
        let body = try JSONSerialization.jsonObject(with: Data(refused.body)) as? [String: String]
        #expect(refused.status == .payloadTooLarge && body == ["error": "The request body is too large.", "code": "body_too_large"])
    }

    @Test("At rest and in logs: no name, street, phone, secret, security code or card number in the database files or the log")
    func nothingReadable() async throws {
        let tevo = try await TEvoCaller.make()
        let (client, address, phone) = try await tevo.clientWithContacts()
        let created = try await tevo.request("POST", "/v9/clients/\(client)/credit_cards",
                                             body: TEvoCaller.batch([TEvoCaller.card("4111111111111111", address: address, phone: phone, code: "7809")]))
        #expect(created.status == 201, "\(created.body)")
        let path = tevo.api.test.databasePath
        var bytes: [UInt8] = []
        for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
            bytes += [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        }
        for secret in ["Ned Flanders", "Evergreen", "5550123", tevo.secret, tevo.token, "Chase Sapphire"] {
            #expect(!bytes.contains(Array(secret.utf8)), "\(secret) is readable at rest")
        }
        // The security code as a number of its own: four digits also turn up inside random
        // numeric ids (1 id in ~800 holds a given four), which would make a substring check flaky.
        #expect(!digitRuns(in: bytes, minimumLength: 4).contains("7809"), "the security code is readable at rest")
        #expect(!digitRuns(in: bytes).contains { $0.contains("4111111111111111") })
        let log = tevo.api.log.lines.joined()
        for secret in ["Ned Flanders", "4111111111111111", tevo.secret] { #expect(!log.contains(secret)) }
    }
}

private extension [UInt8] {
    func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
