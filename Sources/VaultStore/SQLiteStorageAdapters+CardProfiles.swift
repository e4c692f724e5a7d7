import Foundation
import VaultCore

/// The card-profile tables (migrations/0014_card_profiles.sql).
extension SQLiteBackedReader {
    func profileLogin(mac: [UInt8]) throws -> ProfileLoginRecord? {
        try connection.queryFirst(CardProfileSQL.loginByMAC, mac) { try $0.profileLoginRecord() }
    }

    func profileLogins(tenant: TenantID) throws -> [ProfileLoginRecord] {
        try connection.query(CardProfileSQL.loginsOfTenant, tenant.rawValue) { try $0.profileLoginRecord() }
    }

    func profileSession(tokenHash: [UInt8]) throws -> ProfileSessionRecord? {
        try connection.queryFirst(CardProfileSQL.sessionByHash, tokenHash) { try $0.profileSessionRecord() }
    }

    func profileCustomer(_ id: ProfileCustomerID, tenant: TenantID) throws -> ProfileCustomerRecord? {
        try connection.queryFirst(CardProfileSQL.customerByID, id.rawValue, tenant.rawValue) { try $0.profileCustomerRecord() }
    }

    func profileCustomer(referenceMAC: [UInt8], tenant: TenantID) throws -> ProfileCustomerRecord? {
        try connection.queryFirst(CardProfileSQL.customerByReference, referenceMAC, tenant.rawValue) { try $0.profileCustomerRecord() }
    }

    func profileCard(_ id: ProfileCardID, tenant: TenantID) throws -> ProfileCardRecord? {
        try connection.queryFirst(CardProfileSQL.cardByID, id.rawValue, tenant.rawValue) { try $0.profileCardRecord() }
    }
}

extension SQLiteWriter {
    func insertProfileLogin(_ login: ProfileLoginRecord) throws {
        try connection.execute(CardProfileSQL.insertLogin, login.id.rawValue, login.tenantID.rawValue, login.loginMAC,
                               login.passwordHash, SQLiteTime.milliseconds(login.createdAt))
    }

    func deleteProfileLogin(_ id: ProfileLoginID, tenant: TenantID) throws -> Bool {
        try connection.executeCountingChanges(CardProfileSQL.deleteLogin, id.rawValue, tenant.rawValue) > 0
    }

    func insertProfileSession(_ session: ProfileSessionRecord) throws {
        try connection.execute(CardProfileSQL.insertSession, session.tokenHash, session.loginID.rawValue,
                               session.tenantID.rawValue, SQLiteTime.milliseconds(session.expiresAt))
    }

    func deleteProfileSessions(expiredBefore date: Date) throws -> Int {
        try connection.executeCountingChanges(CardProfileSQL.deleteExpiredSessions, SQLiteTime.milliseconds(date))
    }

    func insertProfileCustomer(_ customer: ProfileCustomerRecord) throws {
        try connection.execute(CardProfileSQL.insertCustomer, customer.id.rawValue, customer.tenantID.rawValue, customer.referenceMAC,
                               customer.sealedProfile, Int64(customer.keyVersion), Int64(customer.revision),
                               SQLiteTime.milliseconds(customer.createdAt), SQLiteTime.milliseconds(customer.updatedAt))
    }

    func replaceProfileCustomer(_ customer: ProfileCustomerRecord, expectedRevision: Int) throws -> Bool {
        try connection.executeCountingChanges(CardProfileSQL.replaceCustomer, customer.sealedProfile, Int64(customer.keyVersion),
                                              Int64(customer.revision), SQLiteTime.milliseconds(customer.updatedAt),
                                              customer.id.rawValue, customer.tenantID.rawValue, Int64(expectedRevision)) > 0
    }

    func insertProfileCard(_ card: ProfileCardRecord) throws {
        try connection.execute(CardProfileSQL.insertCard, card.id.rawValue, card.tenantID.rawValue, card.customerID.rawValue,
                               card.vaultToken.rawValue, card.sealedReference, card.sealedProfile, Int64(card.keyVersion),
                               SQLiteTime.milliseconds(card.createdAt), card.syncedAt.map(SQLiteTime.milliseconds))
    }

    func replaceProfileCard(_ card: ProfileCardRecord, expected: ProfileCardRecord) throws -> Bool {
        try connection.executeCountingChanges(CardProfileSQL.replaceCard, card.sealedReference, card.sealedProfile,
                                              Int64(card.keyVersion), card.syncedAt.map(SQLiteTime.milliseconds),
                                              card.id.rawValue, card.tenantID.rawValue, Int64(expected.keyVersion),
                                              expected.sealedReference, expected.sealedProfile) > 0
    }
}

enum CardProfileSQL {
    static let loginColumns = "id, tenant_id, login_mac, password_hash, created_at"
    static let loginByMAC = "SELECT \(loginColumns) FROM profile_logins WHERE login_mac = ?"
    static let loginsOfTenant = "SELECT \(loginColumns) FROM profile_logins WHERE tenant_id = ? ORDER BY created_at, id"
    static let insertLogin = "INSERT INTO profile_logins (\(loginColumns)) VALUES (?, ?, ?, ?, ?)"
    static let deleteLogin = "DELETE FROM profile_logins WHERE id = ? AND tenant_id = ?"

    static let sessionByHash = "SELECT token_hash, login_id, tenant_id, expires_at FROM profile_sessions WHERE token_hash = ?"
    static let insertSession = "INSERT INTO profile_sessions (token_hash, login_id, tenant_id, expires_at) VALUES (?, ?, ?, ?)"
    static let deleteExpiredSessions = "DELETE FROM profile_sessions WHERE expires_at < ?"

    static let customerColumns = "id, tenant_id, reference_mac, sealed_profile, key_version, revision, created_at, updated_at"
    static let customerByID = "SELECT \(customerColumns) FROM profile_customers WHERE id = ? AND tenant_id = ?"
    static let customerByReference = "SELECT \(customerColumns) FROM profile_customers WHERE reference_mac = ? AND tenant_id = ?"
    static let insertCustomer = "INSERT INTO profile_customers (\(customerColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    static let replaceCustomer = """
        UPDATE profile_customers SET sealed_profile = ?, key_version = ?, revision = ?, updated_at = ?
        WHERE id = ? AND tenant_id = ? AND revision = ?
        """

    static let cardColumns = """
        id, tenant_id, customer_id, vault_token, sealed_reference, sealed_profile, key_version, created_at, synced_at
        """
    static let cardByID = "SELECT \(cardColumns) FROM profile_cards WHERE id = ? AND tenant_id = ?"
    static let insertCard = "INSERT INTO profile_cards (\(cardColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let replaceCard = """
        UPDATE profile_cards SET sealed_reference = ?, sealed_profile = ?, key_version = ?, synced_at = ?
        WHERE id = ? AND tenant_id = ? AND key_version = ? AND sealed_reference IS ? AND sealed_profile IS ?
        """
}

extension StoredRow {
    func profileSessionRecord() throws -> ProfileSessionRecord {
        try ProfileSessionRecord(tokenHash: blob(0), loginID: identifier(1, as: ProfileLoginID.self, "profile_sessions.login_id"),
                                 tenantID: identifier(2, as: TenantID.self, "profile_sessions.tenant_id"),
                                 expiresAt: SQLiteTime.date(int64(3)))
    }

    func profileLoginRecord() throws -> ProfileLoginRecord {
        try ProfileLoginRecord(id: try identifier(0, as: ProfileLoginID.self, "profile_logins.id"),
                           tenantID: try identifier(1, as: TenantID.self, "profile_logins.tenant_id"),
                           loginMAC: blob(2), passwordHash: text(3), createdAt: SQLiteTime.date(int64(4)))
    }

    func profileCustomerRecord() throws -> ProfileCustomerRecord {
        guard let id = try ProfileCustomerID(validating: text(0)) else { throw StorageError.corrupt("profile_customers.id is not a customer id") }
        return try ProfileCustomerRecord(id: id, tenantID: try identifier(1, as: TenantID.self, "profile_customers.tenant_id"),
                                     referenceMAC: blob(2), sealedProfile: blob(3), keyVersion: int(4), revision: int(5),
                                     createdAt: SQLiteTime.date(int64(6)), updatedAt: SQLiteTime.date(int64(7)))
    }

    func profileCardRecord() throws -> ProfileCardRecord {
        guard let id = try ProfileCardID(validating: text(0)) else { throw StorageError.corrupt("profile_cards.id is not a card id") }
        guard let customer = try ProfileCustomerID(validating: text(2)) else {
            throw StorageError.corrupt("profile_cards.customer_id is not a customer id")
        }
        return try ProfileCardRecord(id: id, tenantID: try identifier(1, as: TenantID.self, "profile_cards.tenant_id"),
                                 customerID: customer, vaultToken: try identifier(3, as: Token.self, "profile_cards.vault_token"),
                                 sealedReference: isNull(4) ? nil : blob(4), sealedProfile: isNull(5) ? nil : blob(5),
                                 keyVersion: int(6), createdAt: SQLiteTime.date(int64(7)),
                                 syncedAt: optionalInt64(8).map(SQLiteTime.date))
    }
}
