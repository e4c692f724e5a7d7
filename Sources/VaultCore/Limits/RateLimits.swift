/// How fast one API key may run each metered operation: a token-bucket rate per operation, or
/// none (unlimited). Set when the key is made and stored with it.
public struct RateLimits: Sendable, Equatable {
    /// What a key's limits meter.
    public enum Operation: String, Sendable, CaseIterable, Hashable {
        /// A request that stores card data: a card, a single-use card token, an account's card,
        /// a sync request with cards.
        case tokenize
        case reveal
        /// An answer that carries a fingerprint or duplicate information, hit or miss.
        case duplicates
    }

    /// The rate of each limited operation; an operation absent here is unlimited.
    public var rates: [Operation: TokenBucket.Rate]

    public init(_ rates: [Operation: TokenBucket.Rate] = [:]) {
        self.rates = rates
    }

    public static let unlimited = RateLimits()

    public subscript(operation: Operation) -> TokenBucket.Rate? {
        get { rates[operation] }
        set { rates[operation] = newValue }
    }

    /// The default for non-admin keys: 5 duplicate answers a second after a burst of 100. A
    /// tokenize-and-compare enumeration of the 100,000 Luhn-valid numbers behind one BIN and
    /// last 4 then takes about 5.5 hours (2.8 on average, the number turning up halfway) instead
    /// of the seconds it takes unthrottled, while 18,000 answers an hour remain for honest
    /// duplicate checks. Anything up to ~27 a second would keep it above an hour.
    public static let defaultDuplicateRate = TokenBucket.Rate(perSecond: 5, burst: 100)!

    /// What a new key gets unless its creator sets limits: an admin key is never throttled; any
    /// other key only in its duplicate answers (tokenize and reveal stay unlimited, so ordinary
    /// traffic of a key without the `fingerprint` grant never meets a limit).
    public static func defaults(for roles: Set<Role>) -> RateLimits {
        roles.contains(.admin) ? .unlimited : RateLimits([.duplicates: defaultDuplicateRate])
    }
}
