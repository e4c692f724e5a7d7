import Foundation
import Testing
import TestSupport
import VaultCore

/// `x-on-behalf-of: {BUSINESS_ID}` with a directory token, as the platform's conventions show it.
/// In Coffer a directory is a tenant, its businesses are its sub-tenants, and its directory token
/// is an admin key of the directory's tenant.
@Suite("inTandem (vcita) dialect: x-on-behalf-of", .ownThreads)
struct InTandemOnBehalfOfTests {
    /// The harness tenant as the directory (its admin key as the directory token), one business under it.
    struct Directory {
        let staff: PlatformStaff
        let token: String
        let business: TenantID
        /// The business's own admin key: its business token.
        let businessToken: String

        static func make() async throws -> Directory {
            let staff = try await PlatformStaff.make()
            let business = try await staff.api.test.vault.createTenant(name: "business", parent: staff.api.client, actor: "test")
            return Directory(staff: staff, token: staff.api.key, business: business.id, businessToken: business.adminKey.secret)
        }

        func request(_ method: String, _ path: String, body: String = "", key: String? = nil,
                     onBehalfOf: String?, idempotencyKey: String? = nil) async -> APIHarness.Response {
            var headers: [String: String] = [:]
            if let onBehalfOf { headers["x-on-behalf-of"] = onBehalfOf }
            if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
            return await staff.api.request(method, "/platform/v1" + path, body: body, key: key ?? token, headers: headers)
        }

        /// Seed 001's prerequisites and its sync_card request, each sent with `x-on-behalf-of`.
        func seedSync(for business: String, idempotencyKey: String? = nil) async throws -> (client: String, synced: APIHarness.Response) {
            for settings in [#"{"payment_settings":{"stripe_user_id":"acct_test_123","stripe_access_token":"sk_test_123"}}"#,
                             #"{"payment_settings":{"payments_gateway_type":"stripe","payments_enabled":true,"allow_credit_card":true}}"#] {
                let set = await request("POST", "/payment/settings", body: settings, onBehalfOf: business)
                #expect(set.status == 200, "\(set.body)")
            }
            let created = await request("POST", "/clients", body: #"{"first_name":"Test","last_name":"Card Client","email":"testcard1700000000@example.com"}"#, onBehalfOf: business)
            let client = try #require((created.data?["client"] as? [String: Any])?["id"] as? String, "\(created.body)")
            let body = #"{"client_id":"\#(client)","customer_id":"cus_test_customer_456","details":{"exp_month":3,"exp_year":2030,"last_4":"0000","cardholder_name":"Test User","card_brand":"visa"},"default":false,"external_card_id":"card_test_unique_1700000000"}"#
            let synced = await request("POST", "/payment/cards/sync_card", body: body, onBehalfOf: business, idempotencyKey: idempotencyKey)
            return (client, synced)
        }
    }

    @Test("A directory token with x-on-behalf-of: {BUSINESS_ID} syncs seed 001's card into that business, and lists it there")
    func directoryActsForItsBusiness() async throws {
        let directory = try await Directory.make()
        let (client, synced) = try await directory.seedSync(for: directory.business.rawValue)
        #expect(synced.status == 201, "\(synced.body)")
        #expect(synced.card?["business_id"] as? String == directory.business.rawValue)
        #expect(synced.card?["staff_name"] as? String == "admin", "the directory key is the staff member")

        let listed = await directory.request("GET", "/clients/\(client)/payment/cards", onBehalfOf: directory.business.rawValue)
        #expect(listed.status == 200 && (listed.data?["cards"] as? [Any])?.count == 1, "\(listed.body)")
        let asBusiness = await directory.request("GET", "/clients/\(client)/payment/cards", key: directory.businessToken, onBehalfOf: nil)
        #expect(asBusiness.status == 200 && (asBusiness.data?["cards"] as? [Any])?.count == 1, "the business's own token sees it")
        let asDirectory = await directory.request("GET", "/clients/\(client)/payment/cards", onBehalfOf: nil)
        #expect(asDirectory.status == 404, "without the header the directory acts in its own tenant: \(asDirectory.body)")
        let settings = await directory.request("GET", "/payment/settings", onBehalfOf: nil)
        #expect(settings.data.flatMap { $0["payment_settings"] as? [String: Any] }?["stripe_connected"] as? Bool == false,
                "the directory's own settings are untouched")
    }

    @Test("A key that is not a directory's (a staff key) or not the business's directory (the business's own token) sending x-on-behalf-of gets 403, nothing stored")
    func otherKeysAreRefused() async throws {
        let directory = try await Directory.make()
        let refusals = [(directory.staff.key, "x-on-behalf-of is only for directory keys"),
                        (directory.businessToken, "x-on-behalf-of names no business of this directory")]
        for (key, message) in refusals {
            for named in [directory.business.rawValue, directory.staff.api.client.rawValue] {
                let refused = await directory.request("POST", "/payment/settings", body: #"{"payment_settings":{"payments_enabled":true}}"#,
                                                      key: key, onBehalfOf: named)
                #expect(refused.status == 403 && refused.error == message, "\(refused.body)")
            }
        }
        for tenant in [directory.business, directory.staff.api.client] {
            #expect(try await PlatformService(directory.staff.api.test.vault).paymentSettings(tenant: tenant).paymentsEnabled == false)
        }
    }

    @Test("x-on-behalf-of naming no business of the directory (unknown, malformed, itself, another's, disabled, repeated) is 403")
    func onlyItsOwnEnabledBusinesses() async throws {
        let directory = try await Directory.make()
        let vault = directory.staff.api.test.vault
        let other = try await vault.createTenant(name: "other directory", actor: "test")
        let othersBusiness = try await vault.createTenant(name: "other business", parent: other.id, actor: "test")
        let grandchild = try await vault.createTenant(name: "grandchild", parent: directory.business, actor: "test")
        let disabled = try await vault.createTenant(name: "disabled", parent: directory.staff.api.client, actor: "test")
        _ = try await vault.setTenantDisabled(disabled.id, true, by: .admin(of: directory.staff.api.client), actor: "test")
        let named = [TenantID.generate().rawValue, "not an id", "", directory.staff.api.client.rawValue,
                     other.id.rawValue, othersBusiness.id.rawValue, grandchild.id.rawValue, disabled.id.rawValue]
        for business in named {
            let refused = await directory.request("GET", "/payment/settings", onBehalfOf: business)
            #expect(refused.status == 403 && refused.error == "x-on-behalf-of names no business of this directory",
                    "\(business): \(refused.body)")
        }
        let repeated = await directory.staff.api.request("GET", "/platform/v1/payment/settings", key: directory.token,
                                                         headers: ["x-on-behalf-of": directory.business.rawValue, "X-On-Behalf-Of": directory.business.rawValue])
        #expect(repeated.status == 403, "\(repeated.body)")
    }

    @Test("An Idempotency-Key reused for another business is a mismatch, never the first business's answer")
    func idempotencyKeyIsPerBusiness() async throws {
        let directory = try await Directory.make()
        let second = try await directory.staff.api.test.vault.createTenant(name: "second", parent: directory.staff.api.client, actor: "test")
        let body = #"{"first_name":"Test","last_name":"Card Client","email":"testcard1700000000@example.com"}"#
        let first = await directory.request("POST", "/clients", body: body, onBehalfOf: directory.business.rawValue, idempotencyKey: "client-1")
        #expect(first.status == 201, "\(first.body)")
        let retried = await directory.request("POST", "/clients", body: body, onBehalfOf: directory.business.rawValue, idempotencyKey: "client-1")
        #expect(retried.status == 201 && retried.body == first.body, "a retry for the same business replays: \(retried.body)")
        let other = await directory.request("POST", "/clients", body: body, onBehalfOf: second.id.rawValue, idempotencyKey: "client-1")
        #expect(other.status == 422 && other.headers["Idempotent-Replayed"] == nil, "\(other.body)")
    }
}
