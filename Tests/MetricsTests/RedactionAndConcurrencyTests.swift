import Testing
import TestSupport
@testable import Metrics

@Suite(.ownThreads) struct LabelRedaction {
    @Test func cardNumbersNeverBecomeLabels() throws {
        let registry = MetricsRegistry()
        let family = try registry.counter("requests_total", help: "R.", labelNames: ["method", "route", "status"])
        family.labels("GET", "/vault/v1/cards/4111111111111111", "200").increment()
        family.labels("GET", "/vault/v1/cards/5500 0055 5555 5559", "200").increment()
        family.labels("GET", "/vault/v1/cards/4111-1111-1111-1111", "200").increment()
        family.labels("GET", "/vault/v1/cards/{token}", "200").increment()
        family.labels("GET", "/orders/12345678901", "200").increment()  // 11 digits: kept
        let text = registry.render()
        #expect(!text.contains("4111") && !text.contains("5559"))
        #expect(text == """
            # HELP requests_total R.
            # TYPE requests_total counter
            requests_total{method="GET",route="/orders/12345678901",status="200"} 1
            requests_total{method="GET",route="/vault/v1/cards/[REDACTED]",status="200"} 3
            requests_total{method="GET",route="/vault/v1/cards/{token}",status="200"} 1

            """)
        #expect(family.labels("GET", "/vault/v1/cards/6011000990139424", "200").value == 3)
    }

    @Test func gaugeAndHistogramLabelsToo() throws {
        let registry = MetricsRegistry()
        try registry.gauge("g", help: "G.", labelNames: ["v"]).labels("pan 4111111111111111").set(1)
        try registry.histogram("h", help: "H.", labelNames: ["v"], buckets: [1]).labels("378282246310005").observe(1)
        let text = registry.render()
        #expect(!text.contains("4111111111111111") && !text.contains("378282246310005"))
        #expect(text.contains(#"g{v="pan [REDACTED]"} 1"#))
        #expect(text.contains(#"h_count{v="[REDACTED]"} 1"#))
    }
}

@Suite(.ownThreads) struct Concurrency {
    @Test func incrementsFromManyTasksAddUp() async throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter("c_total", help: "C.", labelNames: ["route"])
        let gauge = try registry.gauge("g", help: "G.")
        let histogram = try registry.histogram("h", help: "H.", labelNames: ["route"], buckets: [0.5, 1])
        let tasks = 16
        let perTask = 5_000
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    let route = task.isMultiple(of: 2) ? "/a" : "/b"
                    for index in 0..<perTask {
                        counter.labels(route).increment()
                        counter.labels("/all").increment(by: 0.5)
                        gauge.increment(by: 2)
                        gauge.decrement()
                        histogram.labels(route).observe(index.isMultiple(of: 2) ? 0.25 : 0.75)
                    }
                }
            }
            // Scrapes while writers run: every snapshot must parse and be self-consistent.
            group.addTask {
                for _ in 0..<50 {
                    let parsed = try? parseExposition(registry.render())
                    #expect(parsed != nil)
                    for sample in parsed?.samples ?? [] where sample.name == "h_count" {
                        let infinity = parsed!.samples.first {
                            $0.name == "h_bucket" && $0.labels["le"] == "+Inf" && $0.labels["route"] == sample.labels["route"]
                        }
                        #expect(infinity?.value == sample.value)
                    }
                    await Task.yield()
                }
            }
        }
        let total = Double(tasks * perTask)
        #expect(counter.labels("/a").value + counter.labels("/b").value == total)
        #expect(counter.labels("/all").value == total / 2)
        #expect(gauge.labels().value == total)
        let parsed = try parseExposition(registry.render())
        func sample(_ name: String, _ labels: [String: String]) -> Double? {
            parsed.samples.first { $0.name == name && $0.labels == labels }?.value
        }
        #expect(sample("h_count", ["route": "/a"]) == total / 2)
        #expect(sample("h_bucket", ["route": "/a", "le": "0.5"]) == total / 4)
        #expect(sample("h_bucket", ["route": "/b", "le": "1"]) == total / 2)
        #expect(sample("h_sum", ["route": "/a"]) == total / 4)
        #expect(sample("c_total", ["route": "/all"]) == total / 2)
    }

    @Test func concurrentRegistrationOfTheSameFamily() async throws {
        let registry = MetricsRegistry()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    let family = try? registry.counter("shared_total", help: "S.", labelNames: ["k"])
                    family?.labels("v").increment()
                }
            }
        }
        #expect(registry.render().hasSuffix("shared_total{k=\"v\"} 32\n"))
    }
}
