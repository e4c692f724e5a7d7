import Testing

@Suite("Request metrics")
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
        let text = await api.request("GET", "/metrics").body
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
}
