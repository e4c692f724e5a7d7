/// Every stored record that holds secrets sealed under a data-key version, seen the same way
/// whatever its kind, so that one loop can re-encrypt them all (`Vault.rotateDataKey`) and one
/// query per kind can say which versions still hold data (`Vault.dataKeyStatus`).

/// A kind of record sealed under a data key. Raw values are the plural labels the CLI prints.
public enum SealedRecordKind: String, CaseIterable, Sendable {
    case cards = "cards"
    case cardTokens = "card tokens"
    case accounts = "accounts"
    case idempotencyRecords = "idempotency records"
    case syncClients = "sync clients"
    case paymentMethods = "payment methods"
    case paymentSettings = "payment settings"
    case platformClients = "platform clients"
    case gatewayCards = "gateway cards"
    /// Undelivered ones: a delivered message's payload is wiped.
    case outboxMessages = "outbox messages"
    case profileCustomers = "profile customers"
    case profileCards = "profile cards"
    /// Unrevoked ones: a revoked credential's secret is wiped.
    case signingCredentials = "signing credentials"
    case patrons = "patrons"
    case patronContacts = "patron contacts"
    case patronCards = "patron cards"
}

/// One record's sealed columns as stored, with what their associated data names.
public struct SealedRow: Sendable, Equatable {
    public var tenantID: TenantID
    /// The identifier the associated data binds the ciphertexts to: a token, a client,
    /// payment-method or gateway-card id, an idempotency record's lookup MAC, or the tenant for a
    /// one-row-per-tenant record.
    public var subject: String
    public var keyVersion: Int
    /// The sealed columns in the kind's order (see `SealedRecordKind.columns`); nil where a
    /// nullable column is NULL.
    public var sealed: [[UInt8]?]

    public init(tenantID: TenantID, subject: String, keyVersion: Int, sealed: [[UInt8]?]) {
        self.tenantID = tenantID
        self.subject = subject
        self.keyVersion = keyVersion
        self.sealed = sealed
    }
}

/// What rotation and key status read. Records that hold nothing sealed any more (an account's
/// tombstone, settings without an access token) are not sealed records: they are never listed or counted.
public protocol SealedRecordReader {
    /// Up to `limit` records of `kind` sealed under a version below `version`, in a fixed order,
    /// starting after `row` (from the first when nil).
    func sealedRecords(_ kind: SealedRecordKind, keyVersionBelow version: Int, after row: SealedRow?,
                       limit: Int) throws -> [SealedRow]
    /// How many records of `kind` each data-key version seals.
    func sealedRecordCounts(_ kind: SealedRecordKind) throws -> [Int: Int]
}

public protocol SealedRecordWriter {
    /// Replaces the record's sealed columns and key version, but only while the record still
    /// holds exactly what `row` read (same version, same ciphertexts): a record a running server
    /// deleted or sealed again meanwhile is left as it is. False when it was left.
    func resealRecord(_ kind: SealedRecordKind, _ row: SealedRow, with sealed: [[UInt8]?], keyVersion: Int) throws -> Bool
}
