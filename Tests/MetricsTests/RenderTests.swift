import Synchronization
import Testing
import TestSupport
@testable import Metrics

@Suite(.ownThreads) struct Rendering {
    @Test func emptyRegistryRendersNothing() {
        #expect(MetricsRegistry().render() == "")
    }

    @Test func countersWithLabels() throws {
        let registry = MetricsRegistry()
        let requests = try registry.counter(
            "coffer_http_requests_total", help: "HTTP requests handled.", labelNames: ["method", "route", "status"])
        requests.labels(["GET", "/vault/v1/cards/{token}", "200"]).increment()
        requests.labels("GET", "/vault/v1/cards/{token}", "200").increment(by: 2)
        requests.labels("POST", "/vault/v1/cards", "201").increment()
        requests.labels("DELETE", "/vault/v1/cards/{token}", "404").increment(by: 0.5)
        let plain = try registry.counter("coffer_starts_total", help: "Starts.")
        #expect(registry.render() == """
            # HELP coffer_http_requests_total HTTP requests handled.
            # TYPE coffer_http_requests_total counter
            coffer_http_requests_total{method="DELETE",route="/vault/v1/cards/{token}",status="404"} 0.5
            coffer_http_requests_total{method="GET",route="/vault/v1/cards/{token}",status="200"} 3
            coffer_http_requests_total{method="POST",route="/vault/v1/cards",status="201"} 1
            # HELP coffer_starts_total Starts.
            # TYPE coffer_starts_total counter
            coffer_starts_total 0

            """)
        plain.increment()
        plain.increment(by: 1.5)
        #expect(registry.render().hasSuffix("coffer_starts_total 2.5\n"))
    }

    @Test func gauges() throws {
        let registry = MetricsRegistry()
        let open = try registry.gauge("coffer_open_connections", help: "Open connections.")
        open.increment()
        open.increment(by: 4)
        open.decrement()
        let pools = try registry.gauge("coffer_pool_size", help: "Pool sizes.", labelNames: ["pool"])
        pools.labels("reader").set(8)
        pools.labels("writer").set(-0.25)
        pools.labels("writer").increment(by: 0.5)
        let storedBox = Box(41)
        try registry.gauge("coffer_cards_stored", help: "Cards stored.") { storedBox.value }
        storedBox.value += 1  // read at scrape time, not at registration
        #expect(registry.render() == """
            # HELP coffer_open_connections Open connections.
            # TYPE coffer_open_connections gauge
            coffer_open_connections 4
            # HELP coffer_pool_size Pool sizes.
            # TYPE coffer_pool_size gauge
            coffer_pool_size{pool="reader"} 8
            coffer_pool_size{pool="writer"} 0.25
            # HELP coffer_cards_stored Cards stored.
            # TYPE coffer_cards_stored gauge
            coffer_cards_stored 42

            """)
        storedBox.value = .nan
        #expect(registry.render().hasSuffix("coffer_cards_stored NaN\n"))
    }

    @Test func histogramBucketsAreCumulative() throws {
        let registry = MetricsRegistry()
        let latency = try registry.histogram(
            "coffer_request_seconds", help: "Latency.", labelNames: ["route"], buckets: [0.005, 0.05, 0.5, 1])
        let cards = latency.labels("/vault/v1/cards")
        for value in [0.001, 0.005, 0.02, 0.3, 0.75, 3] { cards.observe(value) }
        latency.labels("/health").observe(.milliseconds(2))
        #expect(cards.count == 6)
        let sum = Exposition.format(0.001 + 0.005 + 0.02 + 0.3 + 0.75 + 3)
        #expect(registry.render() == """
            # HELP coffer_request_seconds Latency.
            # TYPE coffer_request_seconds histogram
            coffer_request_seconds_bucket{route="/health",le="0.005"} 1
            coffer_request_seconds_bucket{route="/health",le="0.05"} 1
            coffer_request_seconds_bucket{route="/health",le="0.5"} 1
            coffer_request_seconds_bucket{route="/health",le="1"} 1
            coffer_request_seconds_bucket{route="/health",le="+Inf"} 1
            coffer_request_seconds_sum{route="/health"} 0.002
            coffer_request_seconds_count{route="/health"} 1
            coffer_request_seconds_bucket{route="/vault/v1/cards",le="0.005"} 2
            coffer_request_seconds_bucket{route="/vault/v1/cards",le="0.05"} 3
            coffer_request_seconds_bucket{route="/vault/v1/cards",le="0.5"} 4
            coffer_request_seconds_bucket{route="/vault/v1/cards",le="1"} 5
            coffer_request_seconds_bucket{route="/vault/v1/cards",le="+Inf"} 6
            coffer_request_seconds_sum{route="/vault/v1/cards"} \(sum)
            coffer_request_seconds_count{route="/vault/v1/cards"} 6

            """)
    }

    @Test func unlabelledHistogramAndSpecialValues() throws {
        let registry = MetricsRegistry()
        let sizes = try registry.histogram("body_bytes", help: "", buckets: [1024, .infinity])
        #expect(sizes.buckets == [1024])
        #expect(registry.render() == """
            # TYPE body_bytes histogram
            body_bytes_bucket{le="1024"} 0
            body_bytes_bucket{le="+Inf"} 0
            body_bytes_sum 0
            body_bytes_count 0

            """)
        sizes.observe(-.infinity)
        sizes.observe(.nan)
        #expect(registry.render().contains("body_bytes_bucket{le=\"1024\"} 1\nbody_bytes_bucket{le=\"+Inf\"} 2\nbody_bytes_sum NaN\nbody_bytes_count 2\n"))
        let only = try registry.histogram("only_inf", help: "x", buckets: [])
        only.observe(7)
        #expect(registry.render().hasSuffix("only_inf_bucket{le=\"+Inf\"} 1\nonly_inf_sum 7\nonly_inf_count 1\n"))
    }

    @Test func escaping() throws {
        let registry = MetricsRegistry()
        let family = try registry.counter("escapes_total", help: "Back\\slash and\nnewline, \"quotes\" kept.", labelNames: ["v"])
        family.labels("a\\b").increment()
        family.labels("say \"hi\"").increment()
        family.labels("two\nlines").increment()
        family.labels("ünïcødé {}=,").increment()
        let text = registry.render()
        #expect(text == #"""
            # HELP escapes_total Back\\slash and\nnewline, "quotes" kept.
            # TYPE escapes_total counter
            escapes_total{v="a\\b"} 1
            escapes_total{v="say \"hi\""} 1
            escapes_total{v="two\nlines"} 1
            escapes_total{v="ünïcødé {}=,"} 1

            """#)
        let parsed = try parseExposition(text)
        #expect(parsed.help["escapes_total"] == "Back\\slash and\nnewline, \"quotes\" kept.")
        #expect(Set(parsed.samples.compactMap { $0.labels["v"] }) == ["a\\b", "say \"hi\"", "two\nlines", "ünïcødé {}=,"])
    }

    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (1.0, "1"), (-3.0, "-3"), (42.0, "42"), (0.5, "0.5"), (0.005, "0.005"), (1e-05, "1e-05"),
        (1234567.0, "1234567"), (9_007_199_254_740_991.0, "9007199254740991"), (9_007_199_254_740_992.0, "9007199254740992.0"), (1e16, "1e+16"),
        (1.5e20, "1.5e+20"), (0.1 + 0.2, "0.30000000000000004"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"),
        (Double.nan, "NaN"), (Double.leastNonzeroMagnitude, "5e-324"), (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"),
    ])
    func numberFormatting(_ value: Double, _ expected: String) throws {
        #expect(Exposition.format(value) == expected)
        let parsed = try #require(parseValue(expected))
        #expect(parsed == value || (parsed.isNaN && value.isNaN))
    }

    @Test func largeIntegralCountersStayExact() throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter("big_total", help: "Big.")
        counter.increment(by: 9_007_199_254_740_993)
        #expect(registry.render().hasSuffix("big_total 9007199254740993\n"))
    }

    @Test func familiesKeepRegistrationOrderAndParse() throws {
        let registry = MetricsRegistry()
        let zeta = try registry.counter("zeta_total", help: "Z.", labelNames: ["code"])
        let alpha = try registry.gauge("alpha", help: "A.")
        let middle = try registry.histogram("middle_seconds", help: "M.", labelNames: ["kind"], buckets: Buckets.default)
        try registry.counter("callback_total", help: "C.") { 7 }
        zeta.labels("500").increment()
        alpha.set(-1e-9)
        middle.labels("x\"y").observe(0.3)
        let text = registry.render()
        let parsed = try parseExposition(text)
        #expect(parsed.types == ["zeta_total": "counter", "alpha": "gauge", "middle_seconds": "histogram", "callback_total": "counter"])
        let order = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE") }.map { $0.split(separator: " ")[2] }
        #expect(order == ["zeta_total", "alpha", "middle_seconds", "callback_total"])
        #expect(parsed.samples.filter { $0.name == "middle_seconds_bucket" }.count == Buckets.default.count + 1)
        #expect(parsed.samples.first { $0.name == "middle_seconds_bucket" && $0.labels["le"] == "0.25" }?.value == 0)
        #expect(parsed.samples.first { $0.name == "middle_seconds_bucket" && $0.labels["le"] == "0.5" }?.value == 1)
        #expect(parsed.samples.last?.value == 7)
    }

    @Test func sameLabelsAreTheSameSeries() throws {
        let registry = MetricsRegistry()
        let family = try registry.counter("hits_total", help: "Hits.", labelNames: ["a", "b"])
        let first = family.labels("x", "y")
        let second = family.labels(["x", "y"])
        first.increment()
        second.increment()
        #expect(first.value == 2 && second.value == 2)
        family.labels("y", "x").increment()  // order matters: another series
        family.labels("xy", "").increment()  // no ambiguity from concatenation
        let samples = try parseExposition(registry.render()).samples
        #expect(samples.count == 3)
        #expect(samples.map(\.value) == [2, 1, 1])
    }

    @Test func bucketHelpers() {
        #expect(Buckets.exponential(start: 0.001, factor: 10, count: 4).map { ($0 * 1e6).rounded() / 1e6 } == [0.001, 0.01, 0.1, 1])
        #expect(Buckets.linear(start: 1, width: 2, count: 3) == [1, 3, 5])
    }
}

/// Mutable state read by a callback gauge.
final class Box: Sendable {
    private let stored: Mutex<Double>
    init(_ value: Double) { stored = Mutex(value) }
    var value: Double {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
