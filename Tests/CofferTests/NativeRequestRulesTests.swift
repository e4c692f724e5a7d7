import Foundation
import Testing
import TestSupport
import VaultCore

/// What schemathesis found the native API accepting against docs/openapi.yaml, now refused as the
/// contract says (docs/reliability.md, "Schemathesis"): `null` for a field that is not nullable,
/// a reveal body other than none or `{}`, a tenant name over 200 characters as JSON Schema counts
/// them; and a rate so slow that its `Retry-After` overflowed and stopped the server.
@Suite("Native request rules from the schemathesis run", .ownThreads)
struct NativeRequestRulesTests {
    /// How many audit entries the vault holds: every change the API makes is audited, so an
    /// unchanged count after a refusal shows that nothing was done.
    static func auditCount(_ api: APIHarness) async throws -> Int {
        try await api.test.vault.auditEntries(after: 0, limit: 100_000).count
    }

    static let pan = "4111111111111111"

    /// Each body puts `null` in a field the contract types as a string, boolean or integer, on the
    /// route that takes it; the field path is what the 400 must name.
    static let nullFields: [(route: String, body: String, field: String)] = [
        ("/vault/v1/cards", #"{"number":"\#(pan)","expirationDate":null}"#, "expirationDate"),
        ("/vault/v1/cards", #"{"number":"\#(pan)","securityCode":null}"#, "securityCode"),
        ("/vault/v1/cards", #"{"keyID":"AAAAAAAAAAAAAAAAAAAAAA","data":"AAAA","mode":null}"#, "mode"),
        ("/vault/v1/card-tokens", #"{"number":"\#(pan)","expirationDate":null}"#, "expirationDate"),
        ("/vault/v1/card-tokens", #"{"number":"\#(pan)","ttlSeconds":null}"#, "ttlSeconds"),
        ("/vault/v1/apikeys", #"{"roles":["tokenize"],"label":null}"#, "label"),
        ("/vault/v1/tenants", #"{"name":"shop","subTenant":null}"#, "subTenant"),
        ("/vault/v1/tenants", #"{"name":"shop","subTenant":true,"subClientID":null}"#, "subClientID"),
        ("/vault/v1/keys", #"{"format":null}"#, "format"),
    ]

    @Test("null where a string, boolean or integer is expected is 400 invalid_field naming the field; nothing is done",
          arguments: nullFields.indices)
    func nullIsAWrongType(_ index: Int) async throws {
        let (route, body, field) = Self.nullFields[index]
        let api = try await APIHarness.make()
        let before = try await Self.auditCount(api)
        let answer = await api.request("POST", route, body: body, key: api.key)
        #expect(answer.status == 400, "\(route) \(body): \(answer.body)")
        let error = try #require(answer.json?["error"] as? [String: String])
        #expect(error["code"] == "invalid_field")
        #expect(error["message"]?.hasPrefix(field + " must be ") == true, "\(error)")
        #expect(try await Self.auditCount(api) == before)
        #expect(try await api.test.vault.cardCount() == 0)
    }

    @Test("limits stays nullable, as documented: null for the whole and for one operation is unlimited")
    func documentedNullsStillMeanUnlimited() async throws {
        let api = try await APIHarness.make()
        for body in [#"{"roles":["tokenize"],"limits":null}"#, #"{"roles":["tokenize"],"limits":{"duplicates":null}}"#] {
            let answer = await api.request("POST", "/vault/v1/apikeys", body: body, key: api.key)
            #expect(answer.status == 201, "\(body): \(answer.body)")
            #expect((answer.json?["limits"] as? [String: Any])?["duplicates"] is NSNull)
        }
    }

    /// A stored card and a key that may reveal it.
    static func storedCard(_ api: APIHarness) async throws -> String {
        let stored = await api.request("POST", "/vault/v1/cards", body: #"{"number":"\#(pan)"}"#, key: api.key)
        return try #require(stored.json?["token"] as? String, "\(stored.body)")
    }

    @Test("Reveal takes no body or exactly a JSON empty object", arguments: ["", "{}", " {\r\n}\t"])
    func revealAcceptsNoBodyOrAnEmptyObject(_ body: String) async throws {
        let api = try await APIHarness.make()
        let token = try await Self.storedCard(api)
        let answer = await api.request("POST", "/vault/v1/cards/\(token)/reveal", body: body, key: api.key)
        #expect(answer.status == 200, "\(body.debugDescription): \(answer.body)")
        #expect(answer.json?["number"] as? String == Self.pan)
    }

    @Test("Any other reveal body is 400 unexpected_body, and nothing is revealed or audited",
          arguments: ["\t", " ", "\r\n", "null", "[]", #""""#, #"{"reason":"audit"}"#, "{", "0"])
    func revealRefusesEveryOtherBody(_ body: String) async throws {
        let api = try await APIHarness.make()
        let token = try await Self.storedCard(api)
        let before = try await Self.auditCount(api)
        let answer = await api.request("POST", "/vault/v1/cards/\(token)/reveal", body: body, key: api.key)
        #expect(answer.status == 400, "\(body.debugDescription): \(answer.body)")
        #expect((answer.json?["error"] as? [String: String])?["code"] == "unexpected_body")
        #expect(!answer.body.contains(Self.pan))
        #expect(try await Self.auditCount(api) == before)
    }

    @Test("A tenant name is 1–200 characters counted as JSON Schema counts them: Unicode code points")
    func tenantNameLengthInCodePoints() async throws {
        let api = try await APIHarness.make()
        // 100 letters, each with a combining accent: 100 characters to Swift, 200 code points.
        let accented = String(repeating: "e\u{301}", count: 100)
        let fits = await api.request("POST", "/vault/v1/tenants", body: #"{"name":"\#(accented)","subTenant":true}"#, key: api.key)
        #expect(fits.status == 201, "\(fits.body)")
        let before = try await Self.auditCount(api)
        let over = await api.request("POST", "/vault/v1/tenants", body: #"{"name":"\#(accented)x","subTenant":true}"#, key: api.key)
        #expect(over.status == 400, "201 code points in 101 characters: \(over.body)")
        #expect((over.json?["error"] as? [String: String])?["code"] == "invalid_field")
        #expect(try await Self.auditCount(api) == before)
    }

    @Test("A key limited to one request per 10^300 seconds is refused with a Retry-After, and the vault serves on")
    func retryAfterOfAVerySlowLimitIsBounded() async throws {
        let api = try await APIHarness.make()
        let slow = try await api.makeKey([.tokenize], limits: #"{"tokenize":{"perSecond":1e-300,"burst":1}}"#)
        let card = #"{"number":"\#(Self.pan)"}"#
        #expect(await api.request("POST", "/vault/v1/cards", body: card, key: slow).status == 201)
        let refused = await api.request("POST", "/vault/v1/cards", body: card, key: slow)
        #expect(refused.status == 429, "\(refused.body)")
        // The wait is capped where every client can still parse it: 2^31 − 1 seconds.
        #expect(refused.headers["Retry-After"] == String(Int32.max))
        #expect(await api.request("POST", "/vault/v1/cards", body: card, key: api.key).status == 201)
    }
}

/// The platform dialect documents `null` in payment settings as "keep the stored value"
/// (docs/api/intandem.md); the stricter JSON reader must not turn those into errors.
@Suite("Nulls a dialect documents", .ownThreads)
struct DocumentedNullTests {
    @Test("A payment-settings update of nulls keeps every stored value, stripe_user_id included")
    func nullSettingsKeepStoredValues() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let nulls = #"{"payment_settings":{"stripe_user_id":null,"stripe_access_token":null,"payments_gateway_type":null,"payments_enabled":null,"allow_credit_card":null}}"#
        let update = await staff.request("POST", "/payment/settings", body: nulls)
        #expect(update.status == 200, "\(update.body)")
        let settings = try #require((await staff.request("GET", "/payment/settings")).data?["payment_settings"] as? [String: Any])
        #expect(settings["stripe_user_id"] as? String == "acct_test_123")
        #expect(settings["stripe_connected"] as? Bool == true && settings["payments_gateway_type"] as? String == "stripe")
        #expect(settings["payments_enabled"] as? Bool == true && settings["allow_credit_card"] as? Bool == true)
    }
}
