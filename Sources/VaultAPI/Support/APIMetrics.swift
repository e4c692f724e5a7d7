import Foundation
import HTTPServer
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
    let authenticationFailures: CounterFamily
    /// Requests refused by a key's limit, by operation: one series per `RateLimits.Operation`,
    /// made at start so each reads 0 until it counts.
    private let rateLimited: [RateLimits.Operation: Counter]
    /// Requests and connections the HTTP layer refused on its own, by the status it answered:
    /// one series per label in `rejectionStatuses`, made at start so each reads 0 until it counts.
    private let rejections: [String: Counter]
    let vault: Vault
    /// The series of each (method, route, status) seen, so that a request hashes one small key
    /// instead of resolving label arrays in both families. Bounded: methods are labelled from a
    /// fixed set and routes are templates, so callers cannot mint new series.
    private let resolved = Mutex<[Kind: Series]>([:])
    /// The methods labelled as themselves; any other token a caller sends is counted as `other`.
    static let labelledMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    /// The statuses the HTTP layer refuses with; `none` when it closed without an answer, and
    /// `other` for any status it may add later.
    static let rejectionStatuses = ["400", "408", "413", "414", "417", "431", "501", "505", "none", "other"]
    /// How long the per-tenant card counts are kept: counting reads a whole index, so scrapes in
    /// between (and concurrent ones) expose the last counts instead of counting again.
    static let cardCountLifetime: TimeInterval = 60
    private let cardCounts = Mutex(CardCounts())

    /// When the cards were last counted (on the vault's clock), and which tenants had cards then.
    private struct CardCounts {
        var countedAt: Date?
        var tenants: Set<TenantID> = []
    }

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
        cardsStored = try registry.gauge("coffer_cards_stored",
                                         help: "Cards in the vault, per tenant (counted at most once a minute).",
                                         labelNames: ["tenant"])
        authenticationFailures = try registry.counter(
            "coffer_auth_failures_total", help: "Failed authentications, by cause and answer (401, or 429 over the source's budget).",
            labelNames: ["cause", "status"])
        let refusals = try registry.counter("coffer_rate_limited_total", help: "Requests refused by an API key's rate limit.",
                                            labelNames: ["operation"])
        rateLimited = Dictionary(uniqueKeysWithValues: RateLimits.Operation.allCases.map { ($0, refusals.labels($0.rawValue)) })
        let rejected = try registry.counter(
            "coffer_http_rejections_total",
            help: "Requests and connections the HTTP layer refused (framing, limits, timeouts), by status sent.",
            labelNames: ["status"])
        rejections = Dictionary(uniqueKeysWithValues: Self.rejectionStatuses.map { ($0, rejected.labels($0)) })
        try registry.gauge("coffer_heavy_work_pending", help: "Heavy works (key generations) admitted: running or waiting.") {
            Double(vault.heavyWorkStats.pending)
        }
        try registry.counter("coffer_heavy_work_refused_total", help: "Heavy works refused because the pool was full (503 busy).") {
            Double(vault.heavyWorkStats.refused)
        }
    }

    func recordRateLimited(_ operation: RateLimits.Operation) {
        rateLimited[operation]?.increment()
    }

    func record(_ rejection: HTTPRejection) {
        let label = rejection.status.map { String($0.rawValue) } ?? "none"
        (rejections[label] ?? rejections["other"])?.increment()
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        let method = Self.labelledMethods.contains(method) ? method : "other"
        let series = series(for: Kind(method: method, route: route, status: status))
        series.requests.increment()
        series.latency.observe(duration)
    }

    /// Labels from fixed sets: the cause vocabulary, and 401 or 429.
    func record(_ refusal: AuthenticationRefusal) {
        authenticationFailures.labels(refusal.cause.rawValue, refusal.retryAfter == nil ? "401" : "429").increment()
    }

    private func series(for kind: Kind) -> Series {
        if let known = resolved.withLock({ $0[kind] }) { return known }
        let series = Series(requests: requests.labels(kind.method, kind.route, String(kind.status)),
                            latency: latency.labels(kind.route))
        resolved.withLock { $0[kind] = series }
        return series
    }

    /// The exposition text, with card counts at most `cardCountLifetime` old.
    func render() async throws -> String {
        try await countCardsIfDue()
        return registry.render()
    }

    /// Counts the cards per tenant unless that was done within `cardCountLifetime` (or another
    /// scrape is doing it now); a tenant whose cards are all gone drops to zero.
    private func countCardsIfDue() async throws {
        let now = vault.now
        let due = cardCounts.withLock { state in
            // A wall clock set back counts as due too, so a step backwards never freezes the gauges.
            guard state.countedAt.map({ abs(now.timeIntervalSince($0)) >= Self.cardCountLifetime }) ?? true else {
                return false
            }
            state.countedAt = now
            return true
        }
        guard due else { return }
        let counts = try await vault.cardCountsByTenant()
        let emptied = cardCounts.withLock { state in
            defer { state.tenants = Set(counts.keys) }
            return state.tenants.subtracting(counts.keys)
        }
        for (tenant, count) in counts { cardsStored.labels(tenant.rawValue).set(Double(count)) }
        for tenant in emptied { cardsStored.labels(tenant.rawValue).set(0) }
    }
}
