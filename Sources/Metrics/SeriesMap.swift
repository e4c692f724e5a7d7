import Logging
import Synchronization

/// A family as the registry sees it: something with a name that renders itself.
protocol RegisteredFamily: AnyObject, Sendable {
    var name: String { get }
    /// Type, help, label names and buckets: registering the same signature again returns the
    /// existing family. `nil` (callback metrics) never matches.
    var signature: FamilySignature? { get }
    /// Every sample name the family writes: its name, or `_bucket`, `_sum`, `_count` for a
    /// histogram. Two families may not share one.
    var sampleNames: [String] { get }
    func render(into output: inout String)
}

struct FamilySignature: Hashable, Sendable {
    var type: String
    var help: String
    var labelNames: [String]
    var buckets: [Double] = []
}

/// The series of one family, keyed by label values.
///
/// Label values pass through ``Redactor``: a value holding a run of 12+ digits (a PAN, however
/// spaced) is stored, and exposed, with the run replaced by `[REDACTED]` — so a PAN can never
/// become a label, and stray PANs collapse into one series instead of one series each.
final class SeriesMap<Storage: AnyObject & Sendable>: Sendable {
    let labelNames: [String]
    private let makeStorage: @Sendable () -> Storage
    private let series: Mutex<[[String]: Storage]>
    /// The one series of an unlabelled family, reached without the lock.
    private let single: Storage?

    init(labelNames: [String], makeStorage: @escaping @Sendable () -> Storage) {
        self.labelNames = labelNames
        self.makeStorage = makeStorage
        // An unlabelled family has exactly one series, exposed (at zero) from the start.
        let single = labelNames.isEmpty ? makeStorage() : nil
        self.single = single
        self.series = Mutex(single.map { [[]: $0] } ?? [:])
    }

    func storage(for values: [String]) -> Storage {
        if let single, values.isEmpty { return single }
        // The message names the labels, never the values (which could be data).
        precondition(
            values.count == labelNames.count,
            "expected \(labelNames.count) label values for \(labelNames), got \(values.count)")
        var key = values
        if values.contains(where: Redactor.containsDigitRun) {
            key = values.map(Redactor.redact)
        }
        return series.withLock { map in
            if let existing = map[key] { return existing }
            let created = makeStorage()
            map[key] = created
            return created
        }
    }

    /// All series, sorted by label values so that the exposition is deterministic.
    func snapshot() -> [(values: [String], storage: Storage)] {
        let entries = series.withLock { map in map.map { (values: $0.key, storage: $0.value) } }
        return entries.sorted { $0.values.lexicographicallyPrecedes($1.values) }
    }
}

/// A counter or gauge whose value is read by a closure at scrape time.
final class CallbackFamily: RegisteredFamily {
    let name: String
    let help: String
    let type: String
    let read: @Sendable () -> Double

    init(name: String, help: String, type: String, read: @escaping @Sendable () -> Double) {
        self.name = name
        self.help = help
        self.type = type
        self.read = read
    }

    var signature: FamilySignature? { nil }
    var sampleNames: [String] { [name] }

    func render(into output: inout String) {
        Exposition.header(into: &output, name: name, help: help, type: type)
        Exposition.sample(into: &output, name: name, labels: "", value: Exposition.format(read()))
    }
}
