import Foundation
import VaultCore

/// The patron tables (migrations/0015_patrons.sql). Ids are stored as their decimal text.
extension SQLiteBackedReader {
    func signingCredential(tokenHash: [UInt8]) throws -> SigningCredentialRecord? {
        try connection.queryFirst(PatronSQL.credentialByTokenHash, tokenHash) { try $0.signingCredentialRecord() }
    }

    func signingCredentials(tenant: TenantID) throws -> [SigningCredentialRecord] {
        try connection.query(PatronSQL.credentialsOfTenant, tenant.rawValue) { try $0.signingCredentialRecord() }
    }

    func patron(_ id: PatronRowID, tenant: TenantID) throws -> PatronRecord? {
        try connection.queryFirst(PatronSQL.patron, id.description, tenant.rawValue) { try $0.patronRecord() }
    }

    func patrons(tenant: TenantID) throws -> [PatronRecord] {
        try connection.query(PatronSQL.patronsOfTenant, tenant.rawValue) { try $0.patronRecord() }
    }

    func patronContact(_ id: PatronRowID, tenant: TenantID) throws -> PatronContactRecord? {
        try connection.queryFirst(PatronSQL.contact, id.description, tenant.rawValue) { try $0.patronContactRecord() }
    }

    func patronContacts(of patron: PatronRowID, kind: PatronContactKind, tenant: TenantID) throws -> [PatronContactRecord] {
        try connection.query(PatronSQL.contactsOfPatron, tenant.rawValue, patron.description, kind.rawValue) {
            try $0.patronContactRecord()
        }
    }

    func patronCard(_ id: PatronRowID, tenant: TenantID) throws -> PatronCardRecord? {
        try connection.queryFirst(PatronSQL.card, id.description, tenant.rawValue) { try $0.patronCardRecord() }
    }

    func patronCards(of patron: PatronRowID, tenant: TenantID) throws -> [PatronCardRecord] {
        try connection.query(PatronSQL.cardsOfPatron, tenant.rawValue, patron.description) { try $0.patronCardRecord() }
    }
}

extension SQLiteWriter {
    func insertSigningCredential(_ credential: SigningCredentialRecord) throws {
        try connection.execute(PatronSQL.insertCredential,
            credential.id.rawValue, credential.tenantID.rawValue, credential.tokenHash, credential.label,
            credential.sealedSecret, credential.keyVersion.map(Int64.init), SQLiteTime.milliseconds(credential.createdAt),
            credential.revokedAt.map(SQLiteTime.milliseconds))
    }

    func revokeSigningCredential(_ id: SigningCredentialID, tenant: TenantID, at date: Date) throws -> Bool {
        try connection.executeCountingChanges(PatronSQL.revokeCredential, SQLiteTime.milliseconds(date), id.rawValue,
                                              tenant.rawValue) > 0
    }

    func insertPatron(_ patron: PatronRecord) throws {
        try connection.execute(PatronSQL.insertPatron, patron.id.description, patron.tenantID.rawValue, patron.sealedProfile,
                               patron.keyVersion, SQLiteTime.milliseconds(patron.createdAt))
    }

    func insertPatronContact(_ contact: PatronContactRecord) throws {
        try connection.execute(PatronSQL.insertContact, contact.id.description, contact.tenantID.rawValue,
                               contact.patronID.description, contact.kind.rawValue, contact.sealedDetails, contact.keyVersion,
                               SQLiteTime.milliseconds(contact.createdAt))
    }

    func insertPatronCard(_ card: PatronCardRecord) throws {
        try connection.execute(PatronSQL.insertCard, card.id.description, card.tenantID.rawValue, card.patronID.description,
                               card.token.rawValue, card.addressID.description, card.phoneNumberID.description,
                               card.sealedDetails, card.keyVersion, SQLiteTime.milliseconds(card.createdAt))
    }
}

enum PatronSQL {
    static let credentialColumns = "id, tenant_id, token_hash, label, sealed_secret, key_version, created_at, revoked_at"
    static let patronColumns = "id, tenant_id, sealed_profile, key_version, created_at"
    static let contactColumns = "id, tenant_id, patron_id, kind, sealed_details, key_version, created_at"
    static let cardColumns = """
        id, tenant_id, patron_id, token, address_id, phone_number_id, sealed_details, key_version, created_at
        """

    static let credentialByTokenHash = "SELECT \(credentialColumns) FROM signing_credentials WHERE token_hash = ?"
    static let credentialsOfTenant = "SELECT \(credentialColumns) FROM signing_credentials WHERE tenant_id = ? ORDER BY rowid"
    static let insertCredential = "INSERT INTO signing_credentials (\(credentialColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    static let revokeCredential = """
        UPDATE signing_credentials SET revoked_at = ?, sealed_secret = NULL, key_version = NULL
        WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL
        """
    static let patron = "SELECT \(patronColumns) FROM patrons WHERE id = ? AND tenant_id = ?"
    static let patronsOfTenant = "SELECT \(patronColumns) FROM patrons WHERE tenant_id = ? ORDER BY rowid"
    static let insertPatron = "INSERT INTO patrons (\(patronColumns)) VALUES (?, ?, ?, ?, ?)"
    static let contact = "SELECT \(contactColumns) FROM patron_contacts WHERE id = ? AND tenant_id = ?"
    static let contactsOfPatron = """
        SELECT \(contactColumns) FROM patron_contacts WHERE tenant_id = ? AND patron_id = ? AND kind = ? ORDER BY rowid
        """
    static let insertContact = "INSERT INTO patron_contacts (\(contactColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)"
    static let card = "SELECT \(cardColumns) FROM patron_cards WHERE id = ? AND tenant_id = ?"
    static let cardsOfPatron = "SELECT \(cardColumns) FROM patron_cards WHERE tenant_id = ? AND patron_id = ? ORDER BY rowid"
    static let insertCard = "INSERT INTO patron_cards (\(cardColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
}

extension StoredRow {
    func patronRowID(_ column: Int32, _ name: String) throws -> PatronRowID {
        guard let id = try PatronRowID(text: text(column)) else { throw StorageError.corrupt("\(name) is not a patron row id") }
        return id
    }

    func signingCredentialRecord() throws -> SigningCredentialRecord {
        try SigningCredentialRecord(
            id: try identifier(0, as: SigningCredentialID.self, "signing_credentials.id"),
            tenantID: try identifier(1, as: TenantID.self, "signing_credentials.tenant_id"),
            tokenHash: blob(2),
            label: text(3),
            sealedSecret: isNull(4) ? nil : blob(4),
            keyVersion: optionalInt64(5).map { Int($0) },
            createdAt: SQLiteTime.date(int64(6)),
            revokedAt: optionalInt64(7).map(SQLiteTime.date))
    }

    func patronRecord() throws -> PatronRecord {
        try PatronRecord(
            id: try patronRowID(0, "patrons.id"),
            tenantID: try identifier(1, as: TenantID.self, "patrons.tenant_id"),
            sealedProfile: blob(2), keyVersion: int(3), createdAt: SQLiteTime.date(int64(4)))
    }

    func patronContactRecord() throws -> PatronContactRecord {
        guard let kind = try PatronContactKind(rawValue: text(3)) else { throw StorageError.corrupt("patron_contacts.kind is not a known kind") }
        return try PatronContactRecord(
            id: try patronRowID(0, "patron_contacts.id"),
            tenantID: try identifier(1, as: TenantID.self, "patron_contacts.tenant_id"),
            patronID: try patronRowID(2, "patron_contacts.patron_id"),
            kind: kind, sealedDetails: blob(4), keyVersion: int(5), createdAt: SQLiteTime.date(int64(6)))
    }

    func patronCardRecord() throws -> PatronCardRecord {
        try PatronCardRecord(
            id: try patronRowID(0, "patron_cards.id"),
            tenantID: try identifier(1, as: TenantID.self, "patron_cards.tenant_id"),
            patronID: try patronRowID(2, "patron_cards.patron_id"),
            token: try identifier(3, as: Token.self, "patron_cards.token"),
            addressID: try patronRowID(4, "patron_cards.address_id"),
            phoneNumberID: try patronRowID(5, "patron_cards.phone_number_id"),
            sealedDetails: blob(6), keyVersion: int(7), createdAt: SQLiteTime.date(int64(8)))
    }
}
