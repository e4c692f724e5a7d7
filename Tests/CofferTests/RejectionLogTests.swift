import Foundation
import HTTPServer
import Testing
import TestSupport
@testable import VaultAPI

@Suite("Requests the HTTP layer refuses: access log and metrics", .ownThreads)
struct RejectionLogTests {
    /// The JSON lines with message `msg`, once `done` holds for them (lines are written by tasks).
    private static func lines(_ msg: String, in api: APIHarness, until done: ([[String: Any]]) -> Bool) async throws
        -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let found = api.log.lines.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).flatMap {
                    $0["msg"] as? String == msg ? $0 : nil
                }
            }
            if done(found) || ContinuousClock.now > deadline { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private static func rejectionCounts(_ api: APIHarness) async throws -> [String] {
        let scraper = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.metrics], label: "prometheus",
                                                            actor: "test").secret
        return await api.request("GET", "/metrics", key: scraper).body.split(separator: "\n")
            .filter { $0.hasPrefix("coffer_http_rejections_total{") }.map(String.init)
    }

    @Test("One line per rejection: route template, status, reason and peer, never the path; counted by status")
    func oneLineAndOneCountPerRejection() async throws {
        let api = try await APIHarness.make()
        let token = "AAAAAAAAAAAAAAAAAAAAAA"
        api.api.record(HTTPRejection(status: .payloadTooLarge, reason: "body_too_large", remoteAddress: "203.0.113.9",
                                     path: "/vault/v1/cards/\(token)/reveal"))
        api.api.record(HTTPRejection(status: .badRequest, reason: "invalid_header_name", remoteAddress: "203.0.113.9",
                                     path: "/4111111111111111"))
        api.api.record(HTTPRejection(status: nil, reason: "write_timeout", remoteAddress: "2001:db8::1", path: nil))

        let lines = try await Self.lines("rejected", in: api) { $0.count >= 3 }
            .sorted { ($0["reason"] as? String ?? "") < ($1["reason"] as? String ?? "") }
        #expect(lines.count == 3)
        #expect(lines.map { $0["reason"] as? String } == ["body_too_large", "invalid_header_name", "write_timeout"])
        #expect(lines.map { $0["route"] as? String } == ["/vault/v1/cards/{token}/reveal", "unmatched", "unmatched"])
        #expect(lines.map { $0["status"] as? Int } == [413, 400, nil])
        #expect(lines.map { $0["peer"] as? String } == ["203.0.113.9", "203.0.113.9", "2001:db8::1"])
        #expect(lines.allSatisfy { Set($0.keys) == ["ts", "level", "label", "msg", "peer", "reason", "route", "status"]
            || Set($0.keys) == ["ts", "level", "label", "msg", "peer", "reason", "route"] })
        let text = api.log.lines.joined()
        #expect(!text.contains(token) && !text.contains("4111"))

        #expect(try await Self.rejectionCounts(api) == [
            #"coffer_http_rejections_total{status="400"} 1"#, #"coffer_http_rejections_total{status="408"} 0"#,
            #"coffer_http_rejections_total{status="413"} 1"#, #"coffer_http_rejections_total{status="414"} 0"#,
            #"coffer_http_rejections_total{status="417"} 0"#, #"coffer_http_rejections_total{status="431"} 0"#,
            #"coffer_http_rejections_total{status="501"} 0"#, #"coffer_http_rejections_total{status="505"} 0"#,
            #"coffer_http_rejections_total{status="none"} 1"#, #"coffer_http_rejections_total{status="other"} 0"#,
        ])
    }

    @Test("A flood is rate limited in the log, fully counted in the metric, and what was left out is logged as a count")
    func aFloodIsRateLimitedButFullyCounted() async throws {
        let api = try await APIHarness.make()
        let flood = 500
        let start = ContinuousClock.now
        for _ in 0..<flood {
            api.api.record(HTTPRejection(status: .badRequest, reason: "invalid_request_line", remoteAddress: "198.51.100.7",
                                         path: nil))
        }
        let floodTime = ContinuousClock.now - start
        #expect(try await Self.rejectionCounts(api).contains(#"coffer_http_rejections_total{status="400"} \#(flood)"#))

        // One interval after the first line held back, their count is written: every rejection
        // is then either a line or part of that count.
        var written = 0, summarized: [Int] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while written + summarized.reduce(0, +) < flood, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            written = try await Self.lines("rejected", in: api) { _ in true }.count
            summarized = try await Self.lines("rejections not logged", in: api) { _ in true }.compactMap { $0["count"] as? Int }
        }
        #expect(written + summarized.reduce(0, +) == flood)
        #expect(!summarized.isEmpty)
        // 10 at once, then one a second: a slow machine may refill a few during the flood.
        #expect(written >= 10 && Double(written) <= 10 + floodTime / .seconds(1) + 1, "\(written) in \(floodTime)")
    }

    @Test("coffer serve logs and counts a request its HTTP layer refuses")
    func serveWiresTheRejectionHook() async throws {
        let server = try await ServerProcess()
        let refused = try await server.request("GET", "/vault/v1/cards", headers: ["Transfer-Encoding": "gzip"])
        #expect(refused.status == 501)
        let metrics = try await server.request("GET", "/metrics", key: server.apiKey)
        #expect(metrics.body.contains(#"coffer_http_rejections_total{status="501"} 1"#))
        #expect(await server.stop() == 0)
        let lines = server.log.split(separator: "\n").filter { $0.contains(#""msg":"rejected""#) }
        #expect(lines.count == 1)
        #expect(lines.first?.contains(#""peer":"127.0.0.1","reason":"unsupported_transfer_encoding","route":"/vault/v1/cards","status":501"#) == true)
    }

    @Test("The line budget: a burst, then one line per interval; the first line held back schedules the summary")
    func lineBudget() {
        var budget = LineBudget(burst: 3, interval: .seconds(1))
        let start = ContinuousClock.now
        #expect((0..<3).map { _ in budget.spend(at: start) } == [.write, .write, .write])
        #expect(budget.spend(at: start) == .holdBack(summaryAfter: .seconds(1)))
        #expect(budget.spend(at: start + .milliseconds(500)) == .holdBack(summaryAfter: nil))
        #expect(budget.spend(at: start + .milliseconds(1000)) == .write)
        #expect(budget.spend(at: start + .milliseconds(1100)) == .holdBack(summaryAfter: nil))
        #expect(budget.takeHeldBack() == 3)
        #expect(budget.spend(at: start + .milliseconds(1200)) == .holdBack(summaryAfter: .seconds(1)))
        #expect(budget.spend(at: start + .seconds(10)) == .write, "refilled")
        #expect((0..<2).map { _ in budget.spend(at: start + .seconds(10)) } == [.write, .write])
        #expect(budget.spend(at: start + .seconds(10)) == .holdBack(summaryAfter: nil), "never more than the burst")
    }
}
