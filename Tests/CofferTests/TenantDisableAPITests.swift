import Foundation
import Testing
import TestSupport
import VaultCore

/// Disabling tenants: the operator for top-level tenants, a tenant's admin for its own
/// sub-tenants; a disabled tenant's keys (cached ones too) and SSO sessions are refused at once.
@Suite("Disabling and enabling tenants", .ownThreads)
struct TenantDisableAPITests {
    /// The harness with a second top-level tenant whose admin key is the operator's, and API keys
    /// remembered for an hour (so only the invalidation on disable can take effect at once).
    struct Deployment {
        let api: APIHarness
        let operatorKey: String
        let operatorTenant: TenantID

        static func make() async throws -> Deployment {
            var policy = VaultPolicy()
            policy.apiKeyCacheLifetime = .seconds(3600)
            let api = try await APIHarness.make(policy: policy)
            let created = try await api.test.vault.createTenant(
                name: "operator", actor: "test", adminRoles: Role.tenantRoles.union(Role.operatorRoles))
            return Deployment(api: api, operatorKey: created.adminKey.secret, operatorTenant: created.id)
        }

        func tokenize(_ key: String) async -> Int {
            await api.request("POST", "/vault/v1/cards", body: FailedAuthenticationAPITests.card, key: key).status
        }

        func set(_ tenant: String, _ action: String, key: String) async -> APIHarness.Response {
            await api.request("POST", "/vault/v1/tenants/\(tenant)/\(action)", key: key)
        }

        func subTenant(of key: String) async throws -> (id: String, key: String) {
            let created = await api.request("POST", "/vault/v1/tenants", body: #"{"name":"shop","subTenant":true}"#, key: key)
            #expect(created.status == 201, "\(created.body)")
            return (try #require(created.json?["tenantId"] as? String), try #require(created.json?["apiKey"] as? String))
        }

        func audited(_ action: AuditAction) async throws -> [AuditEvent] {
            try await api.test.vault.auditEntries(after: 0, limit: 10_000).map(\.event).filter { $0.action == action }
        }
    }

    @Test("A tenant's admin cannot create a top-level tenant; the operator can")
    func onlyTheOperatorCreatesTopLevelTenants() async throws {
        let deployment = try await Deployment.make()
        let denied = await deployment.api.request("POST", "/vault/v1/tenants", body: #"{"name":"rival"}"#, key: deployment.api.key)
        #expect(denied.status == 403)
        #expect((denied.json?["error"] as? [String: String])?["code"] == "forbidden")
        let created = await deployment.api.request("POST", "/vault/v1/tenants", body: #"{"name":"new"}"#, key: deployment.operatorKey)
        #expect(created.status == 201 && created.json?["parentId"] is NSNull)
    }

    @Test("The operator disables a top-level tenant: its cached key is refused at once, audited; enable restores it")
    func operatorDisablesATenant() async throws {
        let deployment = try await Deployment.make()
        let api = deployment.api
        #expect(await deployment.tokenize(api.key) == 201, "the key is authenticated and cached")

        let disabled = await deployment.set(api.client.rawValue, "disable", key: deployment.operatorKey)
        #expect(disabled.status == 200, "\(disabled.body)")
        #expect(disabled.json?["tenantId"] as? String == api.client.rawValue)
        #expect(disabled.json?["disabledAt"] is String)
        let refused = await api.request("POST", "/vault/v1/cards", body: FailedAuthenticationAPITests.card, key: api.key)
        #expect(refused.status == 401 && refused.headers["WWW-Authenticate"] == "Bearer")
        let failure = try #require(try await deployment.audited(.authenticationFailure).last)
        #expect(failure.subject == "tenant_disabled" && failure.tenantID == api.client)
        let disable = try #require(try await deployment.audited(AuditAction(rawValue: "tenant.disable")).last)
        #expect(disable.tenantID == api.client && disable.subject == api.client.rawValue)
        #expect(disable.actor.name.hasPrefix("apikey:"))

        let enabled = await deployment.set(api.client.rawValue, "enable", key: deployment.operatorKey)
        #expect(enabled.status == 200 && enabled.json?["disabledAt"] is NSNull)
        #expect(await deployment.tokenize(api.key) == 201)
        #expect(try await deployment.audited(AuditAction(rawValue: "tenant.enable")).count == 1)
    }

    @Test("A tenant's admin disables its own sub-tenants only: another tenant's id is 404, its own tenant 403")
    func adminDisablesOwnSubTenants() async throws {
        let deployment = try await Deployment.make()
        let api = deployment.api
        let sub = try await deployment.subTenant(of: api.key)
        #expect(await deployment.tokenize(sub.key) == 201)
        #expect(await deployment.set(sub.id, "disable", key: api.key).status == 200)
        #expect(await deployment.tokenize(sub.key) == 401)
        #expect(await deployment.tokenize(api.key) == 201, "the parent is not disabled with its sub-tenant")

        // A top-level tenant, another tenant's sub-tenant, an unknown id, and the caller's own tenant.
        let othersSub = try await deployment.subTenant(of: deployment.operatorKey)
        for target in [deployment.operatorTenant.rawValue, othersSub.id, TenantID.generate().rawValue] {
            let response = await deployment.set(target, "disable", key: api.key)
            #expect(response.status == 404 && (response.json?["error"] as? [String: String])?["code"] == "tenant_not_found")
        }
        #expect(await deployment.set(api.client.rawValue, "disable", key: api.key).status == 403)
        #expect(await deployment.tokenize(deployment.operatorKey) == 201)
        #expect(await deployment.tokenize(othersSub.key) == 201)

        // A key without the admin role may not; enabling restores the sub-tenant.
        let tokenizer = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.tokenize], label: "t", actor: "test")
        #expect(await deployment.set(sub.id, "enable", key: tokenizer.secret).status == 403)
        #expect(await deployment.set(sub.id, "enable", key: api.key).status == 200)
        #expect(await deployment.tokenize(sub.key) == 201)
    }

    @Test("Disabling a tenant shuts out its sub-tenants' keys too")
    func disablingAParentCoversItsSubTenants() async throws {
        let deployment = try await Deployment.make()
        let sub = try await deployment.subTenant(of: deployment.api.key)
        #expect(await deployment.tokenize(sub.key) == 201)
        #expect(await deployment.set(deployment.api.client.rawValue, "disable", key: deployment.operatorKey).status == 200)
        #expect(await deployment.tokenize(sub.key) == 401)
        #expect(await deployment.set(deployment.api.client.rawValue, "enable", key: deployment.operatorKey).status == 200)
        #expect(await deployment.tokenize(sub.key) == 201)
    }

    @Test("A disabled tenant's SSO sessions are refused, audited as tenant_disabled")
    func disabledTenantsSessionsAreRefused() async throws {
        let deployment = try await Deployment.make()
        let api = deployment.api
        let body = clientSyncSeedBody.replacingOccurrences(of: "2025-01-30T00:00:00.000Z",
                                                           with: api.clock.now.addingTimeInterval(3600).formatted(.iso8601))
        let synced = await api.sync(body)
        let ssoToken = try #require(synced.json?["ssoToken"] as? String)
        let token = try await api.accessToken(exchanging: ssoToken)
        let client = try #require(synced.json?["clientId"] as? String)
        #expect(await api.request("GET", "/v1/payment/list/\(client)", key: token).status == 200)

        #expect(await deployment.set(api.client.rawValue, "disable", key: deployment.operatorKey).status == 200)
        let refused = await api.request("GET", "/v1/payment/list/\(client)", key: token)
        #expect(refused.status == 401 && refused.headers["WWW-Authenticate"] == "Bearer")
        let failure = try #require(try await deployment.audited(.authenticationFailure).last)
        #expect(failure.subject == "tenant_disabled" && failure.tenantID == api.client)
        #expect(await api.request("POST", "/v1/client/access-token", key: ssoToken).status == 401, "no new session either")

        #expect(await deployment.set(api.client.rawValue, "enable", key: deployment.operatorKey).status == 200)
        #expect(await api.request("GET", "/v1/payment/list/\(client)", key: token).status == 200)
    }

    @Test("The operator cannot disable its own tenant, which would lock it out")
    func operatorKeepsItsOwnTenant() async throws {
        let deployment = try await Deployment.make()
        let response = await deployment.set(deployment.operatorTenant.rawValue, "disable", key: deployment.operatorKey)
        #expect(response.status == 403)
        #expect(await deployment.tokenize(deployment.operatorKey) == 201)
    }
}
