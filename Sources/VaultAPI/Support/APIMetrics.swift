import Metrics
import VaultCore

/// The request metrics every route records, labelled by route template and status — never by
/// path, token or anything a caller sends.
struct APIMetrics: Sendable {
    let registry: MetricsRegistry
    let requests: CounterFamily
    let latency: HistogramFamily
    let cardsStored: GaugeFamily
    let vault: Vault

    init(registry: MetricsRegistry, vault: Vault) throws {
        self.registry = registry
        self.vault = vault
        requests = try registry.counter("coffer_http_requests_total", help: "HTTP requests answered.",
                                        labelNames: ["method", "route", "status"])
        latency = try registry.histogram("coffer_http_request_duration_seconds", help: "Time to answer a request.",
                                         labelNames: ["route"],
                                         buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
        cardsStored = try registry.gauge("coffer_cards_stored", help: "Cards in the vault, all tenants.")
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        requests.labels(method, route, String(status)).increment()
        latency.labels(route).observe(duration)
    }

    /// The exposition text, with the card count read now.
    func render() async throws -> String {
        cardsStored.set(Double(try await vault.cardCount()))
        return registry.render()
    }
}
