import Testing
import TestSupport
@testable import Metrics

@Suite(.ownThreads) struct Registration {
    @Test(arguments: ["", "1abc", "a-b", "a b", "é", "a.b", "a{b}", "name\n"])
    func invalidMetricNamesAreRejected(_ name: String) {
        let registry = MetricsRegistry()
        #expect(throws: MetricsError.invalidMetricName(name)) { try registry.counter(name, help: "x") }
        #expect(throws: MetricsError.invalidMetricName(name)) { try registry.gauge(name, help: "x") }
        #expect(throws: MetricsError.invalidMetricName(name)) { try registry.gauge(name, help: "x") { 1 } }
        #expect(throws: MetricsError.invalidMetricName(name)) { try registry.histogram(name, help: "x") }
        #expect(registry.render() == "")
    }

    @Test(arguments: ["a", "_x", ":x", "coffer:http_requests:rate5m", "A9_:"])
    func validMetricNamesAreAccepted(_ name: String) throws {
        let registry = MetricsRegistry()
        _ = try registry.counter(name, help: "x")
        #expect(try parseExposition(registry.render()).types[name] == "counter")
    }

    @Test(arguments: ["", "1a", "a-b", "a:b", "__reserved", "__", "é", "a b"])
    func invalidLabelNamesAreRejected(_ label: String) {
        let registry = MetricsRegistry()
        #expect(throws: MetricsError.invalidLabelName(label)) { try registry.counter("x", help: "x", labelNames: [label]) }
        #expect(throws: MetricsError.invalidLabelName(label)) { try registry.gauge("x", help: "x", labelNames: ["ok", label]) }
        #expect(throws: MetricsError.invalidLabelName(label)) { try registry.histogram("x", help: "x", labelNames: [label]) }
    }

    @Test func labelRules() throws {
        let registry = MetricsRegistry()
        #expect(throws: MetricsError.duplicateLabelName("a")) { try registry.counter("x", help: "x", labelNames: ["a", "b", "a"]) }
        #expect(throws: MetricsError.reservedLabelName("le")) { try registry.histogram("h", help: "x", labelNames: ["le"]) }
        _ = try registry.counter("c", help: "x", labelNames: ["le", "_private", "Route2"])  // only histograms reserve le
    }

    @Test(arguments: [[1, 1], [2, 1], [1, .nan], [-.infinity, 1], [.infinity, .infinity], [1, .infinity, 2]] as [[Double]])
    func invalidBucketsAreRejected(_ buckets: [Double]) {
        let registry = MetricsRegistry()
        #expect(throws: MetricsError.self) { try registry.histogram("h", help: "x", buckets: buckets) }
    }

    @Test func sameDefinitionReturnsTheSameFamily() throws {
        let registry = MetricsRegistry()
        let first = try registry.counter("requests_total", help: "R.", labelNames: ["code"])
        let again = try registry.counter("requests_total", help: "R.", labelNames: ["code"])
        first.labels("200").increment()
        again.labels("200").increment()
        #expect(first.labels("200").value == 2)
        let histogram = try registry.histogram("h", help: "H.", buckets: [1, 2])
        _ = try registry.histogram("h", help: "H.", buckets: [1, 2, .infinity])
        histogram.observe(1)
        #expect(try parseExposition(registry.render()).types.count == 2)
    }

    @Test func conflictingDefinitionsAreRejected() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter("requests_total", help: "R.", labelNames: ["code"])
        #expect(throws: MetricsError.conflictingRegistration("requests_total")) { try registry.gauge("requests_total", help: "R.", labelNames: ["code"]) }
        #expect(throws: MetricsError.conflictingRegistration("requests_total")) { try registry.counter("requests_total", help: "Other.", labelNames: ["code"]) }
        #expect(throws: MetricsError.conflictingRegistration("requests_total")) { try registry.counter("requests_total", help: "R.", labelNames: ["status"]) }
        #expect(throws: MetricsError.conflictingRegistration("requests_total")) { try registry.counter("requests_total", help: "R.") { 1 } }

        _ = try registry.histogram("latency", help: "L.", buckets: [1])
        #expect(throws: MetricsError.conflictingRegistration("latency")) { try registry.histogram("latency", help: "L.", buckets: [2]) }
        #expect(throws: MetricsError.conflictingRegistration("latency_count")) { try registry.counter("latency_count", help: "x") }
        #expect(throws: MetricsError.conflictingRegistration("latency_bucket")) { try registry.gauge("latency_bucket", help: "x") { 0 } }

        _ = try registry.gauge("size_sum", help: "S.")
        #expect(throws: MetricsError.conflictingRegistration("size")) { try registry.histogram("size", help: "x") }

        try registry.gauge("cards", help: "C.") { 1 }
        #expect(throws: MetricsError.conflictingRegistration("cards")) { try registry.gauge("cards", help: "C.") { 1 } }

        let parsed = try parseExposition(registry.render())
        #expect(parsed.types == ["requests_total": "counter", "latency": "histogram", "size_sum": "gauge", "cards": "gauge"])
    }

    @Test func errorsDescribeThemselves() {
        #expect(MetricsError.invalidMetricName("1x").description.contains("1x"))
        #expect(MetricsError.conflictingRegistration("x").description.contains("already registered"))
    }
}

@Suite(.ownThreads) struct ProgrammingErrorsTrap {
    @Test func wrongNumberOfLabelValues() async {
        await #expect(processExitsWith: .failure) {
            let family = try MetricsRegistry().counter("x_total", help: "x", labelNames: ["a", "b"])
            family.labels("only one").increment()
        }
    }

    @Test func unlabelledShortcutOnALabelledFamily() async {
        await #expect(processExitsWith: .failure) {
            try MetricsRegistry().gauge("g", help: "x", labelNames: ["a"]).set(1)
        }
    }

    @Test func countersNeverDecrease() async {
        await #expect(processExitsWith: .failure) {
            try MetricsRegistry().counter("x_total", help: "x").increment(by: -1)
        }
        await #expect(processExitsWith: .failure) {
            try MetricsRegistry().counter("x_total", help: "x").increment(by: Double.nan)
        }
    }
}
