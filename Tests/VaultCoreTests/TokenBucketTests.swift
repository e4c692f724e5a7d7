import Testing
import TestSupport
import VaultCore

@Suite(.ownThreads) struct TokenBucketTests {
    let rate = TokenBucket.Rate(perSecond: 2, burst: 3)!

    @Test func aFullBucketAllowsItsBurstThenLimitsUntilItRefills() {
        var bucket = TokenBucket(rate: rate, now: 100)
        for _ in 0..<3 { #expect(bucket.take(now: 100) == .allowed) }
        #expect(bucket.take(now: 100) == .limited(retryAfter: 0.5))
        #expect(bucket.take(now: 100.25) == .limited(retryAfter: 0.25))
        #expect(bucket.take(now: 100.5) == .allowed)
        #expect(bucket.take(now: 100.5) == .limited(retryAfter: 0.5))
    }

    @Test func refillStopsAtTheBurstAndTimeNeverRunsBackwards() {
        var bucket = TokenBucket(rate: rate, now: 0)
        for _ in 0..<3 { _ = bucket.take(now: 0) }
        #expect(!bucket.isFull(now: 1))
        #expect(bucket.isFull(now: 1.5))
        for _ in 0..<3 { #expect(bucket.take(now: 1000) == .allowed) }
        #expect(bucket.take(now: 1000) != .allowed)
        // A clock read out of order refills nothing and takes nothing back.
        #expect(bucket.take(now: 999) == .limited(retryAfter: 0.5))
    }

    @Test func invalidRatesAreRefused() {
        #expect(TokenBucket.Rate(perSecond: 0, burst: 1) == nil)
        #expect(TokenBucket.Rate(perSecond: 1, burst: 0.5) == nil)
        #expect(TokenBucket.Rate(perSecond: .infinity, burst: 1) == nil)
        #expect(TokenBucket.Rate(perSecond: 1, burst: .nan) == nil)
    }
}
