import Foundation
import VaultCore

/// The card-profile tables (migrations/postgresql/0002_card_profiles.sql), with SQLite's statements.
extension PGBackedReader {
    func profileLogin(mac: [UInt8]) throws -> ProfileLoginRecord? {
        try first(CardProfileSQL.loginByMAC, mac) { try $0.profileLoginRecord() }
    }

    func profileLogins(tenant: TenantID) throws -> [ProfileLoginRecord] {
        try rows(CardProfileSQL.loginsOfTenant, tenant.rawValue) { try $0.profileLoginRecord() }
    }

    func profileSession(tokenHash: [UInt8]) throws -> ProfileSessionRecord? {
        try first(CardProfileSQL.sessionByHash, tokenHash) { try $0.profileSessionRecord() }
    }

    func profileCustomer(_ id: ProfileCustomerID, tenant: TenantID) throws -> ProfileCustomerRecord? {
        try first(CardProfileSQL.customerByID, id.rawValue, tenant.rawValue) { try $0.profileCustomerRecord() }
    }

    func profileCustomer(referenceMAC: [UInt8], tenant: TenantID) throws -> ProfileCustomerRecord? {
        try first(CardProfileSQL.customerByReference, referenceMAC, tenant.rawValue) { try $0.profileCustomerRecord() }
    }

    func profileCard(_ id: ProfileCardID, tenant: TenantID) throws -> ProfileCardRecord? {
        try first(CardProfileSQL.cardByID, id.rawValue, tenant.rawValue) { try $0.profileCardRecord() }
    }
}

extension PGWriter {
    func insertProfileLogin(_ login: ProfileLoginRecord) throws {
        try run(CardProfileSQL.insertLogin, login.id.rawValue, login.tenantID.rawValue, login.loginMAC,
                login.passwordHash, SQLiteTime.milliseconds(login.createdAt))
    }

    func deleteProfileLogin(_ id: ProfileLoginID, tenant: TenantID) throws -> Bool {
        try run(CardProfileSQL.deleteLogin, id.rawValue, tenant.rawValue) > 0
    }

    func insertProfileSession(_ session: ProfileSessionRecord) throws {
        try run(CardProfileSQL.insertSession, session.tokenHash, session.loginID.rawValue,
                session.tenantID.rawValue, SQLiteTime.milliseconds(session.expiresAt))
    }

    func deleteProfileSessions(expiredBefore date: Date) throws -> Int {
        try run(CardProfileSQL.deleteExpiredSessions, SQLiteTime.milliseconds(date))
    }

    func insertProfileCustomer(_ customer: ProfileCustomerRecord) throws {
        try run(CardProfileSQL.insertCustomer, customer.id.rawValue, customer.tenantID.rawValue, customer.referenceMAC,
                customer.sealedProfile, customer.keyVersion, customer.revision,
                SQLiteTime.milliseconds(customer.createdAt), SQLiteTime.milliseconds(customer.updatedAt))
    }

    func replaceProfileCustomer(_ customer: ProfileCustomerRecord, expectedRevision: Int) throws -> Bool {
        try run(CardProfileSQL.replaceCustomer, customer.sealedProfile, customer.keyVersion, customer.revision,
                SQLiteTime.milliseconds(customer.updatedAt), customer.id.rawValue, customer.tenantID.rawValue,
                expectedRevision) > 0
    }

    func insertProfileCard(_ card: ProfileCardRecord) throws {
        try run(CardProfileSQL.insertCard, card.id.rawValue, card.tenantID.rawValue, card.customerID.rawValue,
                card.vaultToken.rawValue, card.sealedReference, card.sealedProfile, card.keyVersion,
                SQLiteTime.milliseconds(card.createdAt), card.syncedAt.map(SQLiteTime.milliseconds))
    }

    func replaceProfileCard(_ card: ProfileCardRecord, expected: ProfileCardRecord) throws -> Bool {
        try run(CardProfileSQL.replaceCard, card.sealedReference, card.sealedProfile, card.keyVersion,
                card.syncedAt.map(SQLiteTime.milliseconds), card.id.rawValue, card.tenantID.rawValue,
                expected.keyVersion, expected.sealedReference, expected.sealedProfile) > 0
    }
}
