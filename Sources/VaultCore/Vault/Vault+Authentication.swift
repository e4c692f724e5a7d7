import Foundation
import VaultCrypto

/// Authentication, and what a refused credential costs its source. Every refusal — whatever its
/// cause and whichever layer found it — goes through `refuse`, which counts it against its
/// source's failure budget and in the audit tally (`FailedAuthentications`): the log gets one
/// entry per source and cause and interval, not one per attempt, so a flood of bad credentials
/// cannot grow the database without bound, yet every failure is counted in it.
extension Vault {
    /// Checks a presented API key. The lookup is by hash, so timing reveals nothing about the
    /// secret. A success is remembered for `VaultPolicy.apiKeyCacheLifetime` (see `PrincipalCache`);
    /// a refusal (malformed, unknown, revoked, disabled tenant) throws `AuthenticationRefusal`.
    public func authenticate(apiKey presented: String, actor: AuditActor) async throws -> Principal {
        guard Self.isAPIKeyShaped(presented) else { try await refuse(.malformedCredential, actor: actor) }
        let hash = SHA256.hash(presented.utf8)
        let key = PrincipalCache.Key(digest: hash)
        if let principal = principals.principal(for: key) {
            try await noteUse(of: principal)
            return principal
        }
        let generation = principals.generation
        let found = try await read { reader -> (record: APIKeyRecord, tenantDisabled: Bool)? in
            guard let record = try reader.apiKey(secretHash: hash) else { return nil }
            return (record, try Self.isDisabled(record.tenantID, in: reader))
        }
        guard let found else { try await refuse(.unknownKey, actor: actor) }
        let record = found.record
        guard record.revokedAt == nil else { try await refuse(.revokedKey, tenant: record.tenantID, actor: actor) }
        guard !found.tenantDisabled else { try await refuse(.tenantDisabled, tenant: record.tenantID, actor: actor) }
        let principal = Principal(tenantID: record.tenantID, credential: .apiKey(record.id), roles: record.roles,
                                  limits: record.limits)
        principals.insert(principal, for: key, generation: generation)
        try await noteUse(of: principal)
        return principal
    }

    /// How precisely a key's last use is kept: each node records it at most this often, so the
    /// record costs one write per key per interval, not one per request.
    public static let keyUseResolution: TimeInterval = 60

    /// Records that the key authenticated a request, unless this node recorded it within the
    /// resolution.
    private func noteUse(of principal: Principal) async throws {
        guard let id = principal.apiKeyID else { return }
        let now = clock()
        let due = keyUses.withLock { recorded in
            if let last = recorded[id], now.timeIntervalSince(last) < Self.keyUseResolution { return false }
            recorded[id] = now
            return true
        }
        if due { try await write { try $0.recordAPIKeyUse(id, at: now) } }
    }

    /// Refuses a credential another layer found wanting (no header, another scheme, a bad SSO token).
    public func refuseAuthentication(_ cause: AuthenticationFailure, actor: AuditActor) async throws -> Never {
        try await refuse(cause, actor: actor)
    }

    /// Writes what the tally counted in intervals that have ended — or in every interval (`all`),
    /// at shutdown — and forgets sources with a full budget. The server calls it on a timer.
    public func flushFailedAuthentications(all: Bool = false) async throws {
        let now = clock()
        let entries = failedAuthentications.withLock { $0.flush(at: now.timeIntervalSince1970, all: all) }
        if !entries.isEmpty { try await audit(entries, at: now) }
    }

    /// Counts the failure against `actor`'s source and in the audit tally, writes the entry the
    /// tally hands back (if any), and throws the refusal. `tenant` is one the store named.
    func refuse(_ cause: AuthenticationFailure, tenant: TenantID? = nil, actor: AuditActor) async throws -> Never {
        let now = clock()
        let failure = FailedAuthenticationTally.Failure(cause: cause, source: FailureSource(peer: actor.source),
                                                         requestID: actor.requestID, tenant: tenant)
        let (retryAfter, entry) = failedAuthentications.withLock { $0.record(failure, at: now.timeIntervalSince1970) }
        if let entry { try await audit([entry], at: now) }
        throw AuthenticationRefusal(cause: cause, retryAfter: retryAfter.map(TokenBucket.wholeSeconds))
    }
}
