/// What the vault keeps in memory about failed authentications: a failure budget per source (the
/// limit) and the counts not yet in the audit log (the tally). Both tables are bounded by
/// `VaultPolicy.failedAuthenticationSources`. A value type; `Vault` keeps it behind one lock.
struct FailedAuthentications: Sendable {
    private var limits: TokenBucketTable<FailureSource>
    private var tally: FailedAuthenticationTally

    init(policy: VaultPolicy) {
        limits = TokenBucketTable(rate: policy.failedAuthenticationRate, capacity: policy.failedAuthenticationSources,
                                  overflow: .other)
        tally = FailedAuthenticationTally(interval: policy.failedAuthenticationAuditInterval,
                                          capacity: policy.failedAuthenticationSources)
    }

    /// Counts a failure at `now` (seconds): the seconds until its source may fail again unlimited
    /// (nil while it is within its budget), and the audit entry to write now, if any.
    mutating func record(_ failure: FailedAuthenticationTally.Failure, at now: Double) -> (retryAfter: Double?, entry: AuditEvent?) {
        let retryAfter: Double? = switch limits.take(failure.source, now: now) {
        case .allowed: nil
        case .limited(let seconds): seconds
        }
        return (retryAfter, tally.record(failure, at: now))
    }

    /// The audit entries of intervals ended by `now` (all of them at shutdown); forgets sources
    /// whose budget is full again.
    mutating func flush(at now: Double, all: Bool) -> [AuditEvent] {
        limits.removeFull(now: now)
        return tally.flush(at: now, all: all)
    }
}

/// A refused credential: why, and whether its source has spent its failure budget. The API layer
/// answers it `401`, or `429` with `Retry-After` (`error`).
public struct AuthenticationRefusal: Error, Sendable, Equatable {
    public var cause: AuthenticationFailure
    /// Whole seconds until the source's failures are answered 401 again; nil when this one is.
    public var retryAfter: Int?

    /// The vault's error for it: `unauthenticated`, or `tooManyFailedAuthentications`.
    public var error: VaultError {
        retryAfter.map { .tooManyFailedAuthentications(retryAfter: $0) } ?? .unauthenticated
    }
}
