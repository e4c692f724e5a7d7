/// What a counter or gauge series keeps: one value, and how the exposition writes it.
protocol SampleStorage: AnyObject, Sendable {
    init()
    var formatted: String { get }
}

/// A counter or gauge family: one sample line per series, which is all the two types share —
/// they differ only in their `# TYPE` and how a series' value is stored.
final class SampleFamilyCore<Storage: SampleStorage>: RegisteredFamily {
    let name: String
    let help: String
    let type: String
    let series: SeriesMap<Storage>

    init(name: String, help: String, type: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.type = type
        self.series = SeriesMap(labelNames: labelNames) { Storage() }
    }

    var signature: FamilySignature? { FamilySignature(type: type, help: help, labelNames: series.labelNames) }
    var sampleNames: [String] { [name] }

    func render(into output: inout String) {
        Exposition.header(into: &output, name: name, help: help, type: type)
        for (values, storage) in series.snapshot() {
            Exposition.sample(
                into: &output, name: name,
                labels: Exposition.labelSet(names: series.labelNames, values: values),
                value: storage.formatted)
        }
    }
}
