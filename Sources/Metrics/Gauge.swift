import Synchronization

/// A family of gauges sharing a name and label names: one series per label-value tuple.
public struct GaugeFamily: Sendable {
    let core: SampleFamilyCore<GaugeStorage>

    public var name: String { core.name }
    public var labelNames: [String] { core.series.labelNames }

    /// The series for these label values, created at zero on first use; see
    /// ``CounterFamily/labels(_:)-([String])`` for the rules.
    public func labels(_ values: [String]) -> Gauge {
        Gauge(storage: core.series.storage(for: values))
    }

    public func labels(_ values: String...) -> Gauge { labels(values) }

    /// For a family without labels.
    public func set(_ value: Double) { labels([]).set(value) }
    /// For a family without labels.
    public func increment(by amount: Double = 1) { labels([]).increment(by: amount) }
    /// For a family without labels.
    public func decrement(by amount: Double = 1) { labels([]).decrement(by: amount) }
}

/// One gauge series: a value that goes up and down. Lock-free (a `Double` held as bits in an
/// `Atomic<UInt64>`).
public struct Gauge: Sendable {
    let storage: GaugeStorage

    public func set(_ value: Double) { storage.bits.store(value.bitPattern, ordering: .relaxed) }
    public func increment(by amount: Double = 1) { storage.bits.addDouble(amount) }
    public func decrement(by amount: Double = 1) { storage.bits.addDouble(-amount) }
    public var value: Double { Double(bitPattern: storage.bits.load(ordering: .relaxed)) }
}

final class GaugeStorage: SampleStorage {
    let bits = Atomic<UInt64>(0)
    var formatted: String { Exposition.format(Double(bitPattern: bits.load(ordering: .relaxed))) }
}

