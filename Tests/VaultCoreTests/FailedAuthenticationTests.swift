import Testing
import TestSupport
@testable import VaultCore

@Suite("Failed authentication: sources, bounded bucket tables, the audit tally", .ownThreads)
struct FailedAuthenticationTests {
    @Test("Sources: IPv4 as it is, IPv6 by /64, IPv4-mapped IPv6 as IPv4, anything else 'unknown'")
    func sources() {
        let cases: [(String?, String)] = [
            ("203.0.113.7", "203.0.113.7"),
            ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
            ("2001:db8:1:2::9", "2001:db8:1:2::/64"),
            ("2001:DB8:0001:0002:ffff::", "2001:db8:1:2::/64"),
            ("2001:db8::", "2001:db8:0:0::/64"),
            ("fe80::1%eth0", "fe80:0:0:0::/64"),
            ("::1", "0:0:0:0::/64"),
            ("::", "0:0:0:0::/64"),
            ("::ffff:198.51.100.4", "198.51.100.4"),
            ("64:ff9b::192.0.2.33", "64:ff9b:0:0::/64"),
            (nil, "unknown"), ("unknown", "unknown"), ("", "unknown"),
            ("256.1.1.1", "unknown"), ("1.2.3", "unknown"), ("01234.1.1.1", "unknown"), ("1.2.3.4.5", "unknown"),
            ("1:2:3:4:5:6:7:8:9", "unknown"), ("1::2::3", "unknown"), (":::", "unknown"), ("12345::", "unknown"),
            ("1:2:3:4:5:6:7::8", "unknown"), ("+1::", "unknown"), ("g::", "unknown"), ("::1.2.3.4.5", "unknown"),
        ]
        for (peer, expected) in cases {
            #expect(FailureSource(peer: peer).description == expected, "\(peer ?? "nil")")
        }
    }

    @Test("A bucket table keeps at most its capacity of keys; later keys share the overflow bucket until idle ones go")
    func bucketTable() throws {
        let rate = try #require(TokenBucket.Rate(perSecond: 1, burst: 2))
        var table = TokenBucketTable<String>(rate: rate, capacity: 2, overflow: "other")
        #expect(table.take("a", now: 0) == .allowed)
        #expect(table.take("b", now: 0) == .allowed)
        #expect(table.take("c", now: 0) == .allowed)  // the overflow bucket
        #expect(table.take("d", now: 0) == .allowed)  // the same overflow bucket, now empty
        #expect(table.take("e", now: 0) == .limited(retryAfter: 1))
        #expect(table.count == 3)
        #expect(table.take("a", now: 0) == .allowed)
        #expect(table.take("a", now: 0) == .limited(retryAfter: 1), "a's own bucket")
        // At 1.5 s "b" is full again and forgotten; "a" and the overflow (1.5 tokens) stay, and
        // fill the table: "c" still shares the overflow bucket.
        table.removeFull(now: 1.5)
        #expect(table.count == 2)
        #expect(table.take("c", now: 1.5) == .allowed)
        #expect(table.take("c", now: 1.5) == .limited(retryAfter: 0.5))
        table.removeFull(now: 10)
        #expect(table.count == 0)
        #expect(table.take("c", now: 10) == .allowed)
        #expect(table.take("c", now: 10) == .allowed, "a bucket of its own, full")
    }

    static func failure(_ cause: AuthenticationFailure, from source: String = "192.0.2.1", request: String? = nil,
                        tenant: TenantID? = nil) -> FailedAuthenticationTally.Failure {
        FailedAuthenticationTally.Failure(cause: cause, source: FailureSource(peer: source), requestID: request, tenant: tenant)
    }

    @Test("The first failure is written at once; the rest of the interval as one entry, on the next failure after it")
    func firstAtOnceThenAggregated() {
        var tally = FailedAuthenticationTally(interval: 60, capacity: 16)
        let first = tally.record(Self.failure(.unknownKey, request: "r1"), at: 0)
        #expect(first == AuditEvent(tenantID: nil, actor: AuditActor(name: "anonymous", source: "192.0.2.1", requestID: "r1"),
                                    action: .authenticationFailure, subject: "unknown_key", outcome: .failure, count: 1))
        for index in 2...100 { #expect(tally.record(Self.failure(.unknownKey, request: "r\(index)"), at: 59) == nil) }
        #expect(tally.flush(at: 59.9, all: false).isEmpty, "the interval has not ended")
        // Another cause from the same source is a pair of its own.
        #expect(tally.record(Self.failure(.missingCredential), at: 30)?.count == 1)

        let rest = tally.record(Self.failure(.unknownKey, request: "r101"), at: 60)
        #expect(rest?.count == 99 && rest?.actor.requestID == "r2" && rest?.subject == "unknown_key")
        // r101 opened the next interval, which the timer writes when it ends.
        #expect(tally.flush(at: 119, all: false).isEmpty)
        let written = tally.flush(at: 120, all: false)
        #expect(written.map(\.count) == [1] && written[0].actor.requestID == "r101")
        // A pair whose interval counted nothing is forgotten; its next failure is written at once again.
        #expect(tally.flush(at: 180, all: false).isEmpty)
        #expect(tally.count == 0)
        #expect(tally.record(Self.failure(.unknownKey), at: 181)?.count == 1)
    }

    @Test("N failures of one pair over any span add at most 2 entries per interval, and their counts add up to N")
    func boundedAndComplete() {
        var tally = FailedAuthenticationTally(interval: 60, capacity: 16)
        var entries: [AuditEvent] = []
        var now = 0.0
        // Uneven steps (0 to 0.6 s, about 6 minutes in all), with a timer flush every 1,009 failures.
        for index in 0..<10_000 {
            now += 0.1 * Double(index % 7)
            if let entry = tally.record(Self.failure(.malformedCredential), at: now) { entries.append(entry) }
            if index % 1_009 == 0 { entries += tally.flush(at: now, all: false) }
        }
        entries += tally.flush(at: now, all: true)
        #expect(entries.reduce(0) { $0 + $1.count } == 10_000)
        #expect(entries.count <= 2 * (Int(now / 60) + 1), "\(entries.count) entries over \(now) s")
        #expect(tally.count == 0)
    }

    @Test("Beyond its capacity, new sources are counted under 'other'; an entry names a tenant only when all its failures did")
    func capacityAndTenants() throws {
        var tally = FailedAuthenticationTally(interval: 60, capacity: 2)
        #expect(tally.record(Self.failure(.unknownKey, from: "192.0.2.1"), at: 0)?.actor.source == "192.0.2.1")
        #expect(tally.record(Self.failure(.unknownKey, from: "192.0.2.2"), at: 0)?.actor.source == "192.0.2.2")
        for host in 3...1_000 {
            let entry = tally.record(Self.failure(.unknownKey, from: "198.51.100.\(host % 250)"), at: 1)
            #expect(entry == nil || (host == 3 && entry?.actor.source == "other"))
        }
        #expect(tally.count == 3)
        #expect(tally.flush(at: 61, all: false).map(\.count) == [997], "the first of 'other' was written at once")

        let (a, b) = (TenantID.generate(), TenantID.generate())
        var tenants = FailedAuthenticationTally(interval: 60, capacity: 4)
        #expect(tenants.record(Self.failure(.revokedKey, tenant: a), at: 0)?.tenantID == a)
        _ = tenants.record(Self.failure(.revokedKey, tenant: a), at: 1)
        _ = tenants.record(Self.failure(.revokedKey, tenant: a), at: 2)
        #expect(tenants.record(Self.failure(.revokedKey, tenant: a), at: 60)?.tenantID == a)
        _ = tenants.record(Self.failure(.revokedKey, tenant: b), at: 61)
        #expect(tenants.flush(at: 120, all: true).map(\.tenantID) == [nil], "two tenants: none named")
    }
}
