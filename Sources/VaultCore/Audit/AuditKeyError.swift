/// Why a vault will not open its audit chain. The audit key is made once, with the vault (or by
/// `Vault.upgradeAuditChain` for a vault whose log predates the keyed chain) — never implicitly on
/// a later open: a vault that silently made a new key when it found none would let anyone who can
/// delete two metadata rows rewrite the whole log as an unkeyed chain that verifies.
public enum AuditKeyError: Error, Equatable, Sendable {
    /// The log has no audit key and holds only unkeyed entries: a vault from before the keyed
    /// chain, or one whose key and keyed entries were removed. `coffer audit upgrade` makes one.
    case missing(unkeyedEntries: Int64)
    /// Keyed entries exist but their key is gone: it was deleted. Restore it from a backup.
    case lost
    /// The vault already has an audit key.
    case present

    public var code: String {
        switch self {
        case .missing: "audit_key_missing"
        case .lost: "audit_key_lost"
        case .present: "audit_key_present"
        }
    }

    public var message: String {
        switch self {
        case .missing(let entries):
            """
            the audit log has no audit key (\(entries) entries, all unkeyed): if this vault ran a Coffer \
            from before the keyed audit chain, stop every server and run `coffer audit upgrade` once; if it \
            ever had a keyed chain, its key was deleted — treat the log as tampered with
            """
        case .lost:
            "the audit log holds keyed entries but its audit key is gone: it was deleted; restore metadata.audit_key from a backup"
        case .present: "the vault already has an audit key; there is nothing to upgrade"
        }
    }
}
