/// A token bucket: up to `burst` operations at once, refilled at `perSecond`. A value type with no
/// clock of its own — callers pass the time, so limits are tested without sleeping and one lock
/// can guard many buckets.
public struct TokenBucket: Sendable, Equatable {
    /// How fast and how far the bucket refills.
    public struct Rate: Sendable, Equatable, Hashable {
        public var perSecond: Double
        public var burst: Double

        /// `perSecond` > 0 and `burst` ≥ 1.
        public init?(perSecond: Double, burst: Double) {
            guard perSecond > 0, perSecond.isFinite, burst >= 1, burst.isFinite else { return nil }
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    public let rate: Rate
    private var tokens: Double
    private var updated: Double

    /// A full bucket at time `now` (seconds on any monotonic clock).
    public init(rate: Rate, now: Double) {
        self.rate = rate
        tokens = rate.burst
        updated = now
    }

    /// Takes one token if there is one; otherwise returns how many seconds until there will be.
    public mutating func take(now: Double) -> TakeResult {
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return .allowed
        }
        return .limited(retryAfter: (1 - tokens) / rate.perSecond)
    }

    /// Whether the bucket is full again at `now`: an idle bucket holds nothing worth keeping.
    public func isFull(now: Double) -> Bool {
        tokens + max(0, now - updated) * rate.perSecond >= rate.burst
    }

    private mutating func refill(now: Double) {
        let elapsed = max(0, now - updated)
        tokens = min(rate.burst, tokens + elapsed * rate.perSecond)
        updated = max(updated, now)
    }

    public enum TakeResult: Sendable, Equatable {
        case allowed
        /// Seconds until a token is available; `Retry-After` is this rounded up.
        case limited(retryAfter: Double)
    }

    /// The longest `Retry-After`, 2^31 − 1 seconds (68 years): what a 32-bit parser still reads. A
    /// very slow rate (`perSecond` of 1e-300 is valid) would otherwise overflow `Int`, and trap.
    public static let longestRetryAfter = Int(Int32.max)

    /// `Retry-After` for a wait of `seconds`: rounded up to whole seconds, at least 1, at most
    /// `longestRetryAfter`.
    public static func wholeSeconds(_ seconds: Double) -> Int {
        guard seconds < Double(longestRetryAfter) else { return longestRetryAfter }
        return max(1, Int(seconds.rounded(.up)))
    }
}
