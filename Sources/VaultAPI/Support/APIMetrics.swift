import Metrics
import Synchronization
import VaultCore

/// The request metrics every route records, labelled by route template and status — never by
/// path, token or anything a caller sends.
final class APIMetrics: Sendable {
    let registry: MetricsRegistry
    let requests: CounterFamily
    let latency: HistogramFamily
    let cardsStored: GaugeFamily
    /// Requests refused by a key's limit, by operation: one series per `RateLimits.Operation`,
    /// made at start so each reads 0 until it counts.
    private let rateLimited: [RateLimits.Operation: Counter]
    let vault: Vault
    /// The series of each (method, route, status) seen, so that a request hashes one small key
    /// instead of resolving label arrays in both families. Bounded: methods are labelled from a
    /// fixed set and routes are templates, so callers cannot mint new series.
    private let resolved = Mutex<[Kind: Series]>([:])
    /// The methods labelled as themselves; any other token a caller sends is counted as `other`.
    static let labelledMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    private struct Kind: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct Series {
        var requests: Counter
        var latency: Histogram
    }

    init(registry: MetricsRegistry, vault: Vault) throws {
        self.registry = registry
        self.vault = vault
        requests = try registry.counter("coffer_http_requests_total", help: "HTTP requests answered.",
                                        labelNames: ["method", "route", "status"])
        latency = try registry.histogram("coffer_http_request_duration_seconds", help: "Time to answer a request.",
                                         labelNames: ["route"],
                                         buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
        cardsStored = try registry.gauge("coffer_cards_stored", help: "Cards in the vault, all tenants.")
        let refusals = try registry.counter("coffer_rate_limited_total", help: "Requests refused by an API key's rate limit.",
                                            labelNames: ["operation"])
        rateLimited = Dictionary(uniqueKeysWithValues: RateLimits.Operation.allCases.map { ($0, refusals.labels($0.rawValue)) })
    }

    func recordRateLimited(_ operation: RateLimits.Operation) {
        rateLimited[operation]?.increment()
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        let method = Self.labelledMethods.contains(method) ? method : "other"
        let series = series(for: Kind(method: method, route: route, status: status))
        series.requests.increment()
        series.latency.observe(duration)
    }

    private func series(for kind: Kind) -> Series {
        if let known = resolved.withLock({ $0[kind] }) { return known }
        let series = Series(requests: requests.labels(kind.method, kind.route, String(kind.status)),
                            latency: latency.labels(kind.route))
        resolved.withLock { $0[kind] = series }
        return series
    }

    /// The exposition text, with the card count read now.
    func render() async throws -> String {
        cardsStored.set(Double(try await vault.cardCount()))
        return registry.render()
    }
}
