import Synchronization

/// A family of counters sharing a name and label names: one series per label-value tuple.
///
/// ```swift
/// let requests = try registry.counter("coffer_http_requests_total", help: "HTTP requests.",
///                                     labelNames: ["method", "route", "status"])
/// requests.labels("GET", "/vault/v1/cards/{token}", "200").increment()
/// ```
public struct CounterFamily: Sendable {
    let core: SampleFamilyCore<CounterStorage>

    public var name: String { core.name }
    public var labelNames: [String] { core.series.labelNames }

    /// The series for these label values, created at zero on first use. The count must match
    /// ``labelNames`` (a programming error otherwise). Values holding a run of 12+ digits are
    /// stored with the run replaced by `[REDACTED]`.
    public func labels(_ values: [String]) -> Counter {
        Counter(storage: core.series.storage(for: values))
    }

    public func labels(_ values: String...) -> Counter { labels(values) }

    /// For a family without labels: increments its one series.
    public func increment(by amount: Int = 1) { labels([]).increment(by: amount) }

    /// For a family without labels: increments its one series.
    public func increment(by amount: Double) { labels([]).increment(by: amount) }
}

/// One counter series: a value that only goes up. Cheap to copy and to keep (handles to the
/// same series share its value); increments are lock-free atomics.
public struct Counter: Sendable {
    let storage: CounterStorage

    public func increment() { storage.add(1) }

    /// `amount` must not be negative.
    public func increment(by amount: Int) { storage.add(amount) }

    /// `amount` must not be negative (or NaN).
    public func increment(by amount: Double) { storage.add(amount) }

    public var value: Double { storage.value }
}

/// Integral increments go to an `Atomic<Int>` (one `lock xadd`, exact); fractional ones to a
/// `Double` held as bits and updated by compare-and-swap. The value is their sum.
final class CounterStorage: SampleStorage {
    private let integral = Atomic<Int>(0)
    private let fractional = Atomic<UInt64>(0)  // Double(0).bitPattern == 0

    @inline(__always)
    func add(_ amount: Int) {
        precondition(amount >= 0, "a counter cannot decrease")
        integral.wrappingAdd(amount, ordering: .relaxed)
    }

    func add(_ amount: Double) {
        precondition(amount >= 0, "a counter cannot decrease (nor be incremented by NaN)")
        if amount < 0x1p62, amount.rounded(.towardZero) == amount {
            integral.wrappingAdd(Int(amount), ordering: .relaxed)
        } else {
            fractional.addDouble(amount)
        }
    }

    var integralPart: Int { integral.load(ordering: .relaxed) }
    var fractionalPart: Double { Double(bitPattern: fractional.load(ordering: .relaxed)) }
    var value: Double { Double(integralPart) + fractionalPart }

    /// Exact for integral counts, whatever their size.
    var formatted: String {
        let fraction = fractionalPart
        return fraction == 0 ? String(integralPart) : Exposition.format(Double(integralPart) + fraction)
    }
}

extension Atomic where Value == UInt64 {
    /// Adds to the `Double` whose bit pattern this holds.
    @inline(__always)
    func addDouble(_ amount: Double) {
        var current = load(ordering: .relaxed)
        while true {
            let desired = (Double(bitPattern: current) + amount).bitPattern
            let (exchanged, original) = compareExchange(
                expected: current, desired: desired, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

