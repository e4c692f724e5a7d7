import Synchronization

/// A set of metric families, rendered in the Prometheus text exposition format 0.0.4.
///
/// Register families once at start-up and keep the returned values; record from any thread.
///
/// ```swift
/// let registry = MetricsRegistry()
/// let requests = try registry.counter("coffer_http_requests_total", help: "HTTP requests.",
///                                     labelNames: ["method", "route", "status"])
/// let latency = try registry.histogram("coffer_http_request_duration_seconds", help: "Latency.",
///                                      labelNames: ["route"], buckets: Buckets.default)
/// try registry.gauge("coffer_cards_stored", help: "Cards in the vault.") { Double(store.count) }
/// requests.labels("GET", "/vault/v1/cards/{token}", "200").increment()
/// let body = registry.render()  // serve with Content-Type: MetricsRegistry.contentType
/// ```
///
/// Registering a name again with the same type, help, label names (and buckets) returns the
/// existing family; anything else with that name, or with a name that collides with another
/// family's samples (`x_count` next to histogram `x`), throws ``MetricsError/conflictingRegistration(_:)``.
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` of ``render()``'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private struct State {
        var families: [any RegisteredFamily] = []
        var byName: [String: any RegisteredFamily] = [:]
        var sampleNames: Set<String> = []
    }

    private let state = Mutex(State())

    public init() {}

    // MARK: Registration

    public func counter(_ name: String, help: String, labelNames: [String] = []) throws(MetricsError) -> CounterFamily {
        try Validation.checkMetricName(name)
        try Validation.checkLabelNames(labelNames)
        return CounterFamily(core: try register(
            SampleFamilyCore<CounterStorage>(name: name, help: help, type: "counter", labelNames: labelNames)))
    }

    /// A counter whose value `read` returns at each scrape (it must never decrease). `read`
    /// runs without any registry lock held, on the scraping thread.
    public func counter(_ name: String, help: String, _ read: @escaping @Sendable () -> Double) throws(MetricsError) {
        try Validation.checkMetricName(name)
        _ = try register(CallbackFamily(name: name, help: help, type: "counter", read: read))
    }

    public func gauge(_ name: String, help: String, labelNames: [String] = []) throws(MetricsError) -> GaugeFamily {
        try Validation.checkMetricName(name)
        try Validation.checkLabelNames(labelNames)
        return GaugeFamily(core: try register(
            SampleFamilyCore<GaugeStorage>(name: name, help: help, type: "gauge", labelNames: labelNames)))
    }

    /// A gauge whose value `read` returns at each scrape, such as the number of cards stored.
    /// `read` runs without any registry lock held, on the scraping thread.
    public func gauge(_ name: String, help: String, _ read: @escaping @Sendable () -> Double) throws(MetricsError) {
        try Validation.checkMetricName(name)
        _ = try register(CallbackFamily(name: name, help: help, type: "gauge", read: read))
    }

    /// `buckets`: finite, strictly increasing upper bounds; `+Inf` is added (a trailing
    /// `.infinity` is accepted and ignored). An empty list leaves only the `+Inf` bucket.
    /// The label name `le` is reserved.
    public func histogram(
        _ name: String, help: String, labelNames: [String] = [], buckets: [Double] = Buckets.default
    ) throws(MetricsError) -> HistogramFamily {
        try Validation.checkMetricName(name)
        try Validation.checkLabelNames(labelNames, reserved: ["le"])
        let bounds = try HistogramCore.normalized(buckets)
        return HistogramFamily(
            core: try register(HistogramCore(name: name, help: help, labelNames: labelNames, upperBounds: bounds)))
    }

    private func register<Family: RegisteredFamily>(_ family: Family) throws(MetricsError) -> Family {
        try state.withLock { (state) throws(MetricsError) -> Family in
            if let existing = state.byName[family.name] {
                guard let signature = family.signature, existing.signature == signature,
                    let existing = existing as? Family
                else { throw .conflictingRegistration(family.name) }
                return existing
            }
            let samples = family.sampleNames
            guard !state.sampleNames.contains(family.name), samples.allSatisfy({ !state.sampleNames.contains($0) }),
                samples.allSatisfy({ state.byName[$0] == nil })
            else { throw .conflictingRegistration(family.name) }
            state.families.append(family)
            state.byName[family.name] = family
            state.sampleNames.formUnion(samples)
            return family
        }
    }

    // MARK: Exposition

    /// Every family in registration order: `# HELP` (when the help is not empty), `# TYPE`,
    /// then its samples, series sorted by label values; each line ends with `\n`. Callback
    /// metrics are read now, outside the registry lock.
    public func render() -> String {
        let families = state.withLock { $0.families }
        var output = ""
        output.reserveCapacity(families.count * 256)
        for family in families {
            family.render(into: &output)
        }
        return output
    }
}
