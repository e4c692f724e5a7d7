import Synchronization

/// Recently authenticated API keys, keyed by the SHA-256 of the presented secret (the secret
/// itself is never kept), so a busy key costs a hash and a dictionary lookup instead of a
/// SQLite read per request.
///
/// Revocation: `Vault.revokeAPIKey` (and `Vault.setTenantDisabled`, disabling) calls
/// `invalidate()` once the change is committed. It empties the cache and bumps a generation; an
/// authentication that read its record before the bump may not insert afterwards, so no request
/// that starts after the call returns is served from a stale entry (in this process). A key
/// revoked, or a tenant disabled, by another process writing to the same database stays usable
/// here for at most `lifetime`. Failures are never cached: every refused key reaches the store
/// and is counted in the audit log.
final class PrincipalCache: Sendable {
    /// The digest as four words: cheap to hash and compare.
    struct Key: Hashable, Sendable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64

        init(digest: [UInt8]) {
            precondition(digest.count == 32)
            (a, b, c, d) = digest.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                 raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            }
        }
    }

    private struct Entry {
        var principal: Principal
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration, capacity: Int = 4096) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    var isEnabled: Bool { lifetime > .zero }

    /// The cached principal, if present and fresh.
    func principal(for key: Key) -> Principal? {
        guard isEnabled else { return nil }
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            if entry.expires > now { return entry.principal }
            state.entries[key] = nil
            return nil
        }
    }

    /// Read before the store is asked, passed back to `insert`.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Remembers a successful authentication unless the cache was invalidated since `generation`.
    func insert(_ principal: Principal, for key: Key, generation: UInt64) {
        guard isEnabled else { return }
        let expires = ContinuousClock.now + lifetime
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = Entry(principal: principal, expires: expires)
        }
    }

    /// Forgets every cached principal (after a revocation is committed).
    func invalidate() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }
}
