/// Token buckets by key: once `capacity` keys hold one, keys without a bucket share the
/// `overflow` key's, so memory stays bounded (`capacity` + 1 buckets) whoever chooses the keys. A bucket that has refilled holds nothing worth keeping; `removeFull` drops those.
/// Like `TokenBucket`, it has no clock: callers pass the time.
struct TokenBucketTable<Key: Hashable & Sendable>: Sendable {
    let rate: TokenBucket.Rate
    let capacity: Int
    let overflow: Key
    private var buckets: [Key: TokenBucket] = [:]

    init(rate: TokenBucket.Rate, capacity: Int, overflow: Key) {
        self.rate = rate
        self.capacity = capacity
        self.overflow = overflow
    }

    /// How many keys have a bucket (the overflow key's included).
    var count: Int { buckets.count }

    /// Takes a token from `key`'s bucket (a full one for a key seen first), or from the overflow
    /// key's when the table has no room for `key`.
    mutating func take(_ key: Key, now: Double) -> TokenBucket.TakeResult {
        let key = buckets[key] != nil || buckets.count < capacity ? key : overflow
        let full = TokenBucket(rate: rate, now: now)
        return buckets[key, default: full].take(now: now)
    }

    /// Forgets the buckets that are full again at `now`.
    mutating func removeFull(now: Double) {
        buckets = buckets.filter { !$0.value.isFull(now: now) }
    }
}
