/// Why a credential was refused: the fixed vocabulary that failed-authentication audit entries
/// name as their subject and metrics as a label. New causes are added, never renamed.
public enum AuthenticationFailure: String, Sendable, CaseIterable {
    /// No `Authorization` header.
    case missingCredential = "missing_credential"
    /// A scheme other than `Bearer` (`Basic`, …).
    case unsupportedScheme = "unsupported_scheme"
    /// `Bearer` with nothing after it, or with something shaped like neither an API key nor an SSO token.
    case malformedCredential = "malformed_credential"
    case unknownKey = "unknown_key"
    case revokedKey = "revoked_key"
    /// A valid credential of a disabled tenant (or of a sub-tenant of one).
    case tenantDisabled = "tenant_disabled"
    /// An SSO token refused: signature, algorithm, claims, expiry, unknown tenant, or reused.
    case invalidSSOToken = "invalid_sso_token"
    /// A signed request (Ticket Evolution's `X-Signature`) whose signature is missing, malformed or wrong.
    case invalidSignature = "invalid_signature"
}

/// Failed authentications on their way to the audit log, aggregated per source and cause. The
/// first failure of a pair is written at once, so a single failure is never lost; the rest of its
/// interval is counted here and written as one entry (with `count`) when the interval ends — by
/// the next failure of the pair after it, or by `flush`. A pair whose interval ended with nothing
/// counted is forgotten. At most `capacity` pairs are tracked; failures of other sources are
/// counted under `FailureSource.other`, so memory stays bounded, and so does the log: each pair
/// adds at most two entries per interval (its first failure, the rest of the interval), one while
/// its failures go on.
struct FailedAuthenticationTally: Sendable {
    struct Failure: Sendable {
        var cause: AuthenticationFailure
        var source: FailureSource
        var requestID: String?
        /// The tenant the store named (a revoked key's, a disabled tenant's); never one the caller claimed.
        var tenant: TenantID?
    }

    private struct Pair: Hashable {
        var source: FailureSource
        var cause: AuthenticationFailure
    }

    /// A pair's current interval: when it ends, and what it counted since the pair's last entry.
    private struct Window {
        var ends: Double
        var count = 0
        /// The first counted request's id.
        var requestID: String?
        /// The tenant every counted failure named; nil when none did, or they named several.
        var tenant: TenantID?

        mutating func add(_ failure: Failure) {
            if count == 0 {
                requestID = failure.requestID
                tenant = failure.tenant
            } else if tenant != failure.tenant {
                tenant = nil
            }
            count += 1
        }
    }

    /// Seconds one entry counts a pair's failures for.
    let interval: Double
    let capacity: Int
    private var windows: [Pair: Window] = [:]

    init(interval: Double, capacity: Int) {
        self.interval = interval
        self.capacity = capacity
    }

    /// Counts a failure at `now` (seconds); returns the entry to write now, if any: the failure
    /// itself when its pair was idle, or what the pair's ended interval counted.
    mutating func record(_ failure: Failure, at now: Double) -> AuditEvent? {
        var pair = Pair(source: failure.source, cause: failure.cause)
        if windows[pair] == nil, windows.count >= capacity { pair.source = .other }
        var ended: AuditEvent?
        if let window = windows[pair], now >= window.ends { ended = close(pair, at: now) }
        guard windows[pair] != nil else {
            windows[pair] = Window(ends: now + interval)
            return Self.entry(pair, count: 1, requestID: failure.requestID, tenant: failure.tenant)
        }
        windows[pair]!.add(failure)
        return ended
    }

    /// The entries of every interval that has ended by `now`, or of every interval (`all`, at
    /// shutdown, which also forgets every pair).
    mutating func flush(at now: Double, all: Bool) -> [AuditEvent] {
        var entries: [AuditEvent] = []
        for (pair, window) in windows where all || now >= window.ends {
            if let entry = close(pair, at: now) { entries.append(entry) }
        }
        if all { windows.removeAll() }
        return entries
    }

    /// How many source-cause pairs are tracked.
    var count: Int { windows.count }

    /// Ends a pair's interval: what it counted becomes an entry and a new interval starts, or,
    /// when it counted nothing, the pair is forgotten.
    private mutating func close(_ pair: Pair, at now: Double) -> AuditEvent? {
        guard let window = windows[pair], window.count > 0 else {
            windows[pair] = nil
            return nil
        }
        windows[pair] = Window(ends: now + interval)
        return Self.entry(pair, count: window.count, requestID: window.requestID, tenant: window.tenant)
    }

    private static func entry(_ pair: Pair, count: Int, requestID: String?, tenant: TenantID?) -> AuditEvent {
        AuditEvent(tenantID: tenant, actor: AuditActor(name: "anonymous", source: pair.source.description, requestID: requestID),
                   action: .authenticationFailure, subject: pair.cause.rawValue, outcome: .failure, count: count)
    }
}
