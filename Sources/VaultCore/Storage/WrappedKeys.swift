/// Every stored key wrapped under the master key, seen the same way whatever its table, so that
/// one loop can rewrap them all under a new master key (`Vault.rotateMasterKey`). The audit key
/// and the check value are single metadata entries, rewrapped on their own.

/// A kind of key stored wrapped under the master key. Raw values are the plural labels the CLI prints.
public enum WrappedKeyKind: String, CaseIterable, Sendable {
    case dataKeys = "data keys"
    case fingerprintKeys = "fingerprint keys"
    /// RSA card-data private keys that are not deleted (a deleted one holds nothing).
    case cardDataKeys = "card-data keys"
    case ssoSecrets = "SSO secrets"
}

/// One stored wrapped key and what its wrapping's associated data names.
public struct WrappedKeyRow: Sendable, Equatable {
    /// The row's primary key: a data-key version, a tenant id (fingerprint key, SSO secret) or a
    /// card-data key id.
    public var id: String
    /// The tenant a card-data key belongs to; nil for the other kinds, whose id names the tenant.
    public var tenantID: TenantID?
    public var wrapped: [UInt8]

    public init(id: String, tenantID: TenantID? = nil, wrapped: [UInt8]) {
        self.id = id
        self.tenantID = tenantID
        self.wrapped = wrapped
    }
}

public protocol WrappedKeyReader {
    /// Up to `limit` keys of `kind` in primary-key order, starting after `row` (from the first when nil).
    func wrappedKeys(_ kind: WrappedKeyKind, after row: WrappedKeyRow?, limit: Int) throws -> [WrappedKeyRow]
}

public protocol WrappedKeyWriter {
    /// Replaces the wrapped key, but only while the row still holds `row.wrapped`: a key a
    /// running server deleted or changed meanwhile is left as it is. False when it was left.
    func rewrapKey(_ kind: WrappedKeyKind, _ row: WrappedKeyRow, with wrapped: [UInt8]) throws -> Bool
}
