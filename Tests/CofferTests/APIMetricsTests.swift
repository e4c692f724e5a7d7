import Foundation
import Testing
import TestSupport
import VaultCore

@Suite("Request metrics", .ownThreads)
struct APIMetricsTests {
    @Test("Each request counts once in the series of its method, route and status; unknown methods share one label")
    func requestsAreCountedByKind() async throws {
        let api = try await APIHarness.make()
        for _ in 0..<3 { _ = await api.request("GET", "/healthz") }
        _ = await api.request("HEAD", "/healthz")
        for _ in 0..<2 { _ = await api.request("GET", "/nowhere") }
        _ = await api.request("BREW", "/nowhere")
        _ = await api.request("BREW2", "/healthz")
        _ = await api.request("GET", "/vault/v1/cards/AAAAAAAAAAAAAAAAAAAAAA", key: api.key)
        let scraper = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.metrics], label: "prometheus",
                                                            actor: "test").secret
        let text = await api.request("GET", "/metrics", key: scraper).body
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("coffer_http_requests_total{") } == [
            #"coffer_http_requests_total{method="GET",route="/healthz",status="200"} 3"#,
            #"coffer_http_requests_total{method="GET",route="/vault/v1/cards/{token}",status="404"} 1"#,
            #"coffer_http_requests_total{method="GET",route="unmatched",status="404"} 2"#,
            #"coffer_http_requests_total{method="HEAD",route="/healthz",status="200"} 1"#,
            #"coffer_http_requests_total{method="other",route="method_not_allowed",status="405"} 1"#,
            #"coffer_http_requests_total{method="other",route="unmatched",status="404"} 1"#,
        ])
        #expect(text.contains(#"coffer_http_request_duration_seconds_count{route="/healthz"} 4"#))
        #expect(text.contains(#"coffer_http_request_duration_seconds_count{route="unmatched"} 3"#))
        #expect(text.contains(#"coffer_http_request_duration_seconds_count{route="method_not_allowed"} 1"#))
    }

    @Test("coffer_cards_stored is one series per tenant, counted at most once a minute, not on every scrape")
    func cardsStoredPerTenantAndCached() async throws {
        let api = try await APIHarness.make()
        let other = try await api.test.vault.createTenant(name: "other", actor: "test")
        let scraper = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.metrics], label: "prometheus",
                                                            actor: "test").secret
        func tokenize(_ index: Int, key: String) async -> String {
            let created = await api.request("POST", "/vault/v1/cards", body: #"{"number":"\#(TestPAN.make(index))"}"#, key: key)
            #expect(created.status == 201, "\(created.body)")
            return created.json?["token"] as? String ?? ""
        }
        func gauges() async -> [String] {
            await api.request("GET", "/metrics", key: scraper).body.split(separator: "\n")
                .filter { $0.hasPrefix("coffer_cards_stored{") }.map(String.init)
        }
        func series(_ tenant: TenantID, _ count: Int) -> String { #"coffer_cards_stored{tenant="\#(tenant.rawValue)"} \#(count)"# }

        _ = await tokenize(1, key: api.key)
        _ = await tokenize(2, key: api.key)
        let othersCard = await tokenize(3, key: other.adminKey.secret)
        let first = [series(api.client, 2), series(other.id, 1)].sorted()
        #expect(await gauges() == first, "tenants without cards have no series")

        _ = await tokenize(4, key: api.key)
        #expect(await api.request("DELETE", "/vault/v1/cards/\(othersCard)", key: other.adminKey.secret).status == 204)
        #expect(await gauges() == first, "a scrape right after the first does not count again")
        api.clock.now += 59
        #expect(await gauges() == first, "nor one 59 s later")
        api.clock.now += 1
        #expect(await gauges() == [series(api.client, 3), series(other.id, 0)].sorted(), "a minute later: counted again")
    }

    @Test("/metrics covers every tenant, so it needs the metrics role, which a tenant admin neither holds nor grants")
    func metricsNeedTheirRole() async throws {
        let api = try await APIHarness.make()
        #expect(await api.request("GET", "/metrics").status == 401)
        #expect(await api.request("GET", "/metrics", key: api.key).status == 403)
        let grant = await api.request("POST", "/vault/v1/apikeys", body: #"{"roles": ["metrics"]}"#, key: api.key)
        #expect(grant.status == 403, "\(grant.body)")
    }
}
