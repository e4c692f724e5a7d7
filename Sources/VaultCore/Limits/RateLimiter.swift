import Synchronization

/// The token buckets of the API keys that have limits, one per key and operation, in this
/// process's memory: each node of a deployment meters on its own. One lock guards every bucket;
/// a request takes one token from each bucket it needs, or from none.
final class RateLimiter: Sendable {
    /// Why a request was refused: the first operation over its limit, and when to come back.
    struct Refusal: Error, Equatable {
        var operation: RateLimits.Operation
        /// Whole seconds, rounded up: what `Retry-After` says.
        var retryAfter: Int
    }

    private struct Key: Hashable {
        var apiKey: APIKeyID
        var operation: RateLimits.Operation
    }

    private let buckets = Mutex<[Key: TokenBucket]>([:])
    private let clock: @Sendable () -> Double
    /// When a new bucket would pass this many, full ones (idle keys, nothing to remember) are dropped.
    let capacity: Int

    /// `clock`: seconds on a monotonic clock; tests pass their own.
    init(capacity: Int = 10_000, clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.capacity = capacity
        self.clock = clock
    }

    /// Takes one token for each operation from the key's buckets — an operation listed n times
    /// takes n — or none when any of them runs dry. Operations the limits leave unlimited take nothing.
    func admit(_ operations: [RateLimits.Operation], key: APIKeyID, limits: RateLimits) throws(Refusal) {
        let metered = operations.compactMap { operation in limits[operation].map { (operation, $0) } }
        guard !metered.isEmpty else { return }
        let now = clock()
        let refusal = buckets.withLock { buckets -> Refusal? in
            // Buckets are values: take from copies, store them only if every take succeeded.
            var taken: [Key: TokenBucket] = [:]
            for (operation, rate) in metered {
                let key = Key(apiKey: key, operation: operation)
                var bucket = taken[key] ?? buckets[key].flatMap { $0.rate == rate ? $0 : nil } ?? TokenBucket(rate: rate, now: now)
                if case .limited(let seconds) = bucket.take(now: now) {
                    return Refusal(operation: operation, retryAfter: TokenBucket.wholeSeconds(seconds))
                }
                taken[key] = bucket
            }
            if buckets.count >= capacity, taken.keys.contains(where: { buckets[$0] == nil }) {
                buckets = buckets.filter { !$0.value.isFull(now: now) }
            }
            buckets.merge(taken) { _, new in new }
            return nil
        }
        if let refusal { throw refusal }
    }

    private static let origin = ContinuousClock.now

    @Sendable static func monotonicSeconds() -> Double {
        let elapsed = ContinuousClock.now - origin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
