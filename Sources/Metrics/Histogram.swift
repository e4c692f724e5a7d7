import Synchronization

/// Bucket upper bounds for histograms. The `+Inf` bucket is always added; do not list it.
public enum Buckets {
    /// The Prometheus client default, for latencies in seconds:
    /// `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]`.
    public static let `default`: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// `count` bounds: `start`, `start * factor`, … (`start > 0`, `factor > 1`, `count >= 1`).
    public static func exponential(start: Double, factor: Double, count: Int) -> [Double] {
        precondition(
            start > 0 && factor > 1 && count >= 1, "exponential buckets need start > 0, factor > 1, count >= 1")
        var bounds: [Double] = []
        bounds.reserveCapacity(count)
        var bound = start
        for _ in 0..<count {
            bounds.append(bound)
            bound *= factor
        }
        return bounds
    }

    /// `count` bounds: `start`, `start + width`, … (`width > 0`, `count >= 1`).
    public static func linear(start: Double, width: Double, count: Int) -> [Double] {
        precondition(width > 0 && count >= 1, "linear buckets need width > 0, count >= 1")
        return (0..<count).map { start + Double($0) * width }
    }
}

/// A family of histograms sharing a name, label names and buckets.
public struct HistogramFamily: Sendable {
    let core: HistogramCore

    public var name: String { core.name }
    public var labelNames: [String] { core.series.labelNames }
    /// The upper bounds, without `+Inf`.
    public var buckets: [Double] { core.upperBounds }

    /// The series for these label values, created empty on first use; see
    /// ``CounterFamily/labels(_:)-([String])`` for the rules.
    public func labels(_ values: [String]) -> Histogram {
        Histogram(storage: core.series.storage(for: values))
    }

    public func labels(_ values: String...) -> Histogram { labels(values) }

    /// For a family without labels.
    public func observe(_ value: Double) { labels([]).observe(value) }
    /// For a family without labels.
    public func observe(_ duration: Duration) { labels([]).observe(duration) }
}

/// One histogram series. An observation takes a short per-series lock, so that a scrape sees
/// bucket counts, `_sum` and `_count` from the same instant (`_count` always equals the `+Inf`
/// bucket).
public struct Histogram: Sendable {
    let storage: HistogramStorage

    /// Counts `value` in the first bucket whose bound is `>= value` (and in all those above it).
    /// NaN lands in `+Inf` only and makes `_sum` NaN, as in the Go client.
    public func observe(_ value: Double) { storage.observe(value) }

    /// Observes the duration in seconds.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        storage.observe(Double(seconds) + Double(attoseconds) * 1e-18)
    }

    public var count: Int { storage.state.withLock { $0.count } }
    public var sum: Double { storage.state.withLock { $0.sum } }
}

final class HistogramStorage: Sendable {
    struct State {
        /// Per bucket, not cumulative; the last one is `+Inf`.
        var counts: [Int]
        var sum: Double = 0
        var count: Int = 0
    }

    let upperBounds: [Double]
    let state: Mutex<State>

    init(upperBounds: [Double]) {
        self.upperBounds = upperBounds
        self.state = Mutex(State(counts: Array(repeating: 0, count: upperBounds.count + 1)))
    }

    func observe(_ value: Double) {
        var bucket = 0
        while bucket < upperBounds.count, !(value <= upperBounds[bucket]) { bucket += 1 }
        state.withLock { state in
            state.counts[bucket] += 1
            state.sum += value
            state.count += 1
        }
    }
}

final class HistogramCore: RegisteredFamily {
    let name: String
    let help: String
    let upperBounds: [Double]
    let series: SeriesMap<HistogramStorage>
    private let boundLabels: [String]

    init(name: String, help: String, labelNames: [String], upperBounds: [Double]) {
        self.name = name
        self.help = help
        self.upperBounds = upperBounds
        self.series = SeriesMap(labelNames: labelNames) { HistogramStorage(upperBounds: upperBounds) }
        self.boundLabels = upperBounds.map(Exposition.format) + ["+Inf"]
    }

    var signature: FamilySignature? {
        FamilySignature(type: "histogram", help: help, labelNames: series.labelNames, buckets: upperBounds)
    }

    var sampleNames: [String] { [name + "_bucket", name + "_sum", name + "_count"] }

    /// Bounds as given, minus a final `+Inf`; refused unless finite and strictly increasing.
    static func normalized(_ buckets: [Double]) throws(MetricsError) -> [Double] {
        var bounds = buckets
        if bounds.last == .infinity { bounds.removeLast() }
        guard bounds.allSatisfy(\.isFinite), zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw .invalidBuckets(buckets)
        }
        return bounds
    }

    func render(into output: inout String) {
        Exposition.header(into: &output, name: name, help: help, type: "histogram")
        let bucketName = name + "_bucket"
        let sumName = name + "_sum"
        let countName = name + "_count"
        let labelNames = series.labelNames
        for (values, storage) in series.snapshot() {
            let state = storage.state.withLock { $0 }
            var cumulative = 0
            for (index, count) in state.counts.enumerated() {
                cumulative += count
                Exposition.sample(
                    into: &output, name: bucketName,
                    labels: Exposition.labelSet(names: labelNames, values: values, extra: ("le", boundLabels[index])),
                    value: String(cumulative))
            }
            let labels = Exposition.labelSet(names: labelNames, values: values)
            Exposition.sample(into: &output, name: sumName, labels: labels, value: Exposition.format(state.sum))
            Exposition.sample(into: &output, name: countName, labels: labels, value: String(state.count))
        }
    }
}
