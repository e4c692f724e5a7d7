import Synchronization
import Testing
import TestSupport
@testable import VaultCore

/// A clock the test sets: seconds, moved by hand, so no test sleeps.
final class FakeClock: Sendable {
    private let seconds = Mutex(1_000.0)
    var now: Double {
        get { seconds.withLock { $0 } }
        set { seconds.withLock { $0 = newValue } }
    }
}

@Suite(.ownThreads) struct RateLimiterTests {
    let clock = FakeClock()
    let key = APIKeyID.generate()

    func limiter(capacity: Int = 10_000) -> RateLimiter {
        RateLimiter(capacity: capacity, clock: { [clock] in clock.now })
    }

    static func limits(_ rates: [RateLimits.Operation: (Double, Double)]) -> RateLimits {
        RateLimits(rates.mapValues { TokenBucket.Rate(perSecond: $0.0, burst: $0.1)! })
    }

    @Test func theBurstPassesThenRefusalsUntilTheBucketRefills() throws {
        let limiter = limiter()
        let limits = Self.limits([.reveal: (2, 5)])
        for _ in 0..<5 { try limiter.admit([.reveal], key: key, limits: limits) }
        #expect(throws: RateLimiter.Refusal(operation: .reveal, retryAfter: 1)) {
            try limiter.admit([.reveal], key: key, limits: limits)
        }
        clock.now += 0.5  // one token back at 2 per second
        try limiter.admit([.reveal], key: key, limits: limits)
        #expect(throws: RateLimiter.Refusal.self) { try limiter.admit([.reveal], key: key, limits: limits) }
        clock.now += 10  // refills to the burst, never beyond
        for _ in 0..<5 { try limiter.admit([.reveal], key: key, limits: limits) }
        #expect(throws: RateLimiter.Refusal.self) { try limiter.admit([.reveal], key: key, limits: limits) }
    }

    @Test("Retry-After is the wait rounded up to whole seconds, at least 1", arguments: [
        // perSecond, seconds since the bucket emptied, expected Retry-After
        (0.25, 0.0, 4), (0.25, 1.0, 3), (0.25, 3.5, 1), (0.3, 0.0, 4), (5.0, 0.0, 1), (0.5, 0.0, 2), (0.5, 1.999, 1),
    ])
    func retryAfterRounding(perSecond: Double, elapsed: Double, expected: Int) {
        let limiter = limiter()
        let limits = Self.limits([.tokenize: (perSecond, 1)])
        #expect(throws: Never.self) { try limiter.admit([.tokenize], key: key, limits: limits) }
        clock.now += elapsed
        #expect(throws: RateLimiter.Refusal(operation: .tokenize, retryAfter: expected)) {
            try limiter.admit([.tokenize], key: key, limits: limits)
        }
    }

    @Test func unlimitedOperationsAndOtherKeysAreNotCharged() throws {
        let limiter = limiter()
        let limits = Self.limits([.duplicates: (1, 1)])
        try limiter.admit([.duplicates], key: key, limits: limits)
        for _ in 0..<1_000 { try limiter.admit([.tokenize, .reveal], key: key, limits: limits) }
        try limiter.admit([.duplicates], key: .generate(), limits: limits)  // another key, its own bucket
        try limiter.admit([.duplicates], key: key, limits: .unlimited)
        #expect(throws: RateLimiter.Refusal(operation: .duplicates, retryAfter: 1)) {
            try limiter.admit([.duplicates], key: key, limits: limits)
        }
    }

    @Test func aRequestTakesFromEveryBucketOrFromNone() throws {
        let limiter = limiter()
        let limits = Self.limits([.tokenize: (1, 3), .duplicates: (1, 1)])
        try limiter.admit([.tokenize, .duplicates], key: key, limits: limits)
        // Duplicates is empty: the refused request leaves the tokenize bucket as it was.
        for _ in 0..<5 {
            #expect(throws: RateLimiter.Refusal(operation: .duplicates, retryAfter: 1)) {
                try limiter.admit([.tokenize, .duplicates], key: key, limits: limits)
            }
        }
        try limiter.admit([.tokenize], key: key, limits: limits)
        try limiter.admit([.tokenize], key: key, limits: limits)
        #expect(throws: RateLimiter.Refusal(operation: .tokenize, retryAfter: 1)) {
            try limiter.admit([.tokenize], key: key, limits: limits)
        }
    }

    /// A client sync of n cards is n tokenizations: it must not pass for the price of one.
    @Test func anOperationListedNTimesTakesNTokens() throws {
        let limiter = limiter()
        let limits = Self.limits([.tokenize: (1, 5)])
        try limiter.admit(Array(repeating: .tokenize, count: 4), key: key, limits: limits)
        #expect(throws: RateLimiter.Refusal(operation: .tokenize, retryAfter: 1)) {
            try limiter.admit(Array(repeating: .tokenize, count: 2), key: key, limits: limits)
        }
        try limiter.admit([.tokenize], key: key, limits: limits)  // the refused pair took nothing
        #expect(throws: RateLimiter.Refusal.self) { try limiter.admit([.tokenize], key: key, limits: limits) }
    }

    @Test func aChangedRateStartsAFreshBucket() throws {
        let limiter = limiter()
        try limiter.admit([.reveal], key: key, limits: Self.limits([.reveal: (1, 1)]))
        #expect(throws: RateLimiter.Refusal.self) { try limiter.admit([.reveal], key: key, limits: Self.limits([.reveal: (1, 1)])) }
        try limiter.admit([.reveal], key: key, limits: Self.limits([.reveal: (1, 2)]))
    }

    @Test func pastCapacityIdleBucketsAreForgottenAndBusyOnesKept() throws {
        let limiter = limiter(capacity: 2)
        let limits = Self.limits([.reveal: (1, 2)])
        let busy = APIKeyID.generate()
        try limiter.admit([.reveal], key: busy, limits: limits)
        try limiter.admit([.reveal], key: busy, limits: limits)
        try limiter.admit([.reveal], key: .generate(), limits: limits)
        clock.now += 1.5  // the second key's bucket is full again; the busy one holds 1.5 tokens
        try limiter.admit([.reveal], key: .generate(), limits: limits)  // a third key: the idle bucket goes
        try limiter.admit([.reveal], key: busy, limits: limits)
        #expect(throws: RateLimiter.Refusal.self) { try limiter.admit([.reveal], key: busy, limits: limits) }
    }

    @Test func defaultsNeverLimitAdminsAndLimitOthersOnlyInDuplicateAnswers() {
        #expect(RateLimits.defaults(for: [.admin]) == .unlimited)
        #expect(RateLimits.defaults(for: [.admin, .operator, .metrics]) == .unlimited)
        let tokenizer = RateLimits.defaults(for: [.tokenize, .fingerprint])
        #expect(tokenizer[.tokenize] == nil && tokenizer[.reveal] == nil)
        #expect(tokenizer[.duplicates] == TokenBucket.Rate(perSecond: 5, burst: 100))
        // Enumerating the 100,000 Luhn-valid numbers behind a BIN and last 4 must take over an hour.
        let rate = RateLimits.defaultDuplicateRate
        #expect((100_000 - rate.burst) / rate.perSecond > 3_600)
    }
}
