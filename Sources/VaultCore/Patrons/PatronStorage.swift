import Foundation

/// What the patron feature needs of a storage engine, apart from the rest of `VaultStorage`.
/// Every lookup names the tenant: another tenant's row is never found.
public protocol PatronReader {
    func signingCredential(tokenHash: [UInt8]) throws -> SigningCredentialRecord?
    /// The tenant's credentials, revoked ones too, oldest first.
    func signingCredentials(tenant: TenantID) throws -> [SigningCredentialRecord]
    func patron(_ id: PatronRowID, tenant: TenantID) throws -> PatronRecord?
    /// The tenant's patrons in the order created.
    func patrons(tenant: TenantID) throws -> [PatronRecord]
    func patronContact(_ id: PatronRowID, tenant: TenantID) throws -> PatronContactRecord?
    /// The patron's contacts of `kind` in the order created.
    func patronContacts(of patron: PatronRowID, kind: PatronContactKind, tenant: TenantID) throws -> [PatronContactRecord]
    func patronCard(_ id: PatronRowID, tenant: TenantID) throws -> PatronCardRecord?
    /// The patron's cards in the order created.
    func patronCards(of patron: PatronRowID, tenant: TenantID) throws -> [PatronCardRecord]
}

public protocol PatronWriter {
    func insertSigningCredential(_ credential: SigningCredentialRecord) throws
    /// Sets `revokedAt` and wipes the sealed secret (overwritten with `secure_delete`); false when
    /// the tenant has no such unrevoked credential.
    func revokeSigningCredential(_ id: SigningCredentialID, tenant: TenantID, at date: Date) throws -> Bool
    func insertPatron(_ patron: PatronRecord) throws
    func insertPatronContact(_ contact: PatronContactRecord) throws
    func insertPatronCard(_ card: PatronCardRecord) throws
}
