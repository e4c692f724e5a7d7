import Synchronization

/// RSA key generations under way, per tenant, in this process. A generation costs a fraction of
/// a second of CPU, so the active-key limit is checked before one starts — counting the keys
/// already active and the generations already under way, so that concurrent requests of one
/// tenant cannot start more than the limit leaves room for. The write transaction checks the
/// limit again (other processes may add keys too).
final class KeyGenerations: Sendable {
    private let underWay = Mutex<[TenantID: Int]>([:])

    /// Takes a slot for one generation if `active` keys plus those under way stay below `limit`.
    func reserve(for tenant: TenantID, active: Int, limit: Int) -> Bool {
        underWay.withLock { underWay in
            let count = underWay[tenant, default: 0]
            guard active + count < limit else { return false }
            underWay[tenant] = count + 1
            return true
        }
    }

    func release(for tenant: TenantID) {
        underWay.withLock { underWay in
            let count = underWay[tenant, default: 1] - 1
            underWay[tenant] = count > 0 ? count : nil
        }
    }
}
