import Foundation
import VaultCore

/// The patron tables (migrations/postgresql/0003_patrons.sql), with SQLite's statements.
extension PGBackedReader {
    func signingCredential(tokenHash: [UInt8]) throws -> SigningCredentialRecord? {
        try first(PatronSQL.credentialByTokenHash, tokenHash) { try $0.signingCredentialRecord() }
    }

    func signingCredentials(tenant: TenantID) throws -> [SigningCredentialRecord] {
        try rows(PatronSQL.credentialsOfTenant, tenant.rawValue) { try $0.signingCredentialRecord() }
    }

    func patron(_ id: PatronRowID, tenant: TenantID) throws -> PatronRecord? {
        try first(PatronSQL.patron, id.description, tenant.rawValue) { try $0.patronRecord() }
    }

    func patrons(tenant: TenantID) throws -> [PatronRecord] {
        try rows(PatronSQL.patronsOfTenant, tenant.rawValue) { try $0.patronRecord() }
    }

    func patronContact(_ id: PatronRowID, tenant: TenantID) throws -> PatronContactRecord? {
        try first(PatronSQL.contact, id.description, tenant.rawValue) { try $0.patronContactRecord() }
    }

    func patronContacts(of patron: PatronRowID, kind: PatronContactKind, tenant: TenantID) throws -> [PatronContactRecord] {
        try rows(PatronSQL.contactsOfPatron, tenant.rawValue, patron.description, kind.rawValue) { try $0.patronContactRecord() }
    }

    func patronCard(_ id: PatronRowID, tenant: TenantID) throws -> PatronCardRecord? {
        try first(PatronSQL.card, id.description, tenant.rawValue) { try $0.patronCardRecord() }
    }

    func patronCards(of patron: PatronRowID, tenant: TenantID) throws -> [PatronCardRecord] {
        try rows(PatronSQL.cardsOfPatron, tenant.rawValue, patron.description) { try $0.patronCardRecord() }
    }
}

extension PGWriter {
    func insertSigningCredential(_ credential: SigningCredentialRecord) throws {
        try run(PatronSQL.insertCredential,
            credential.id.rawValue, credential.tenantID.rawValue, credential.tokenHash, credential.label,
            credential.sealedSecret, credential.keyVersion.map(Int64.init), SQLiteTime.milliseconds(credential.createdAt),
            credential.revokedAt.map(SQLiteTime.milliseconds))
    }

    func revokeSigningCredential(_ id: SigningCredentialID, tenant: TenantID, at date: Date) throws -> Bool {
        try run(PatronSQL.revokeCredential, SQLiteTime.milliseconds(date), id.rawValue, tenant.rawValue) > 0
    }

    func insertPatron(_ patron: PatronRecord) throws {
        try run(PatronSQL.insertPatron, patron.id.description, patron.tenantID.rawValue, patron.sealedProfile,
                patron.keyVersion, SQLiteTime.milliseconds(patron.createdAt))
    }

    func insertPatronContact(_ contact: PatronContactRecord) throws {
        try run(PatronSQL.insertContact, contact.id.description, contact.tenantID.rawValue, contact.patronID.description,
                contact.kind.rawValue, contact.sealedDetails, contact.keyVersion, SQLiteTime.milliseconds(contact.createdAt))
    }

    func insertPatronCard(_ card: PatronCardRecord) throws {
        try run(PatronSQL.insertCard, card.id.description, card.tenantID.rawValue, card.patronID.description,
                card.token.rawValue, card.addressID.description, card.phoneNumberID.description,
                card.sealedDetails, card.keyVersion, SQLiteTime.milliseconds(card.createdAt))
    }
}
