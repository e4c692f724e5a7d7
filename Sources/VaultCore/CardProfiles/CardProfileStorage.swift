import Foundation

/// The card-profile records as stored (migrations/0014_card_profiles.sql).
public struct ProfileLoginRecord: Sendable, Equatable {
    public var id: ProfileLoginID
    public var tenantID: TenantID
    /// HMAC of the login name (`CardProfileKeys.login`).
    public var loginMAC: [UInt8]
    /// `PasswordHash.encoded`.
    public var passwordHash: String
    public var createdAt: Date

    public init(id: ProfileLoginID, tenantID: TenantID, loginMAC: [UInt8], passwordHash: String, createdAt: Date) {
        self.id = id
        self.tenantID = tenantID
        self.loginMAC = loginMAC
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }
}

public struct ProfileSessionRecord: Sendable, Equatable {
    /// SHA-256 of the token.
    public var tokenHash: [UInt8]
    public var loginID: ProfileLoginID
    public var tenantID: TenantID
    public var expiresAt: Date

    public init(tokenHash: [UInt8], loginID: ProfileLoginID, tenantID: TenantID, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.loginID = loginID
        self.tenantID = tenantID
        self.expiresAt = expiresAt
    }
}

public struct ProfileCustomerRecord: Sendable, Equatable {
    public var id: ProfileCustomerID
    public var tenantID: TenantID
    /// HMAC of the customer's reference (`CardProfileKeys.reference`).
    public var referenceMAC: [UInt8]
    public var sealedProfile: [UInt8]
    public var keyVersion: Int
    /// Bumped by every update, which replaces the row only while it still has the revision it read.
    public var revision: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: ProfileCustomerID, tenantID: TenantID, referenceMAC: [UInt8], sealedProfile: [UInt8], keyVersion: Int,
                revision: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.tenantID = tenantID
        self.referenceMAC = referenceMAC
        self.sealedProfile = sealedProfile
        self.keyVersion = keyVersion
        self.revision = revision
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct ProfileCardRecord: Sendable, Equatable {
    public var id: ProfileCardID
    public var tenantID: TenantID
    public var customerID: ProfileCustomerID
    public var vaultToken: Token
    public var sealedReference: [UInt8]?
    public var sealedProfile: [UInt8]?
    /// The version both sealed columns are sealed under.
    public var keyVersion: Int
    public var createdAt: Date
    public var syncedAt: Date?

    public init(id: ProfileCardID, tenantID: TenantID, customerID: ProfileCustomerID, vaultToken: Token,
                sealedReference: [UInt8]?, sealedProfile: [UInt8]?, keyVersion: Int, createdAt: Date, syncedAt: Date?) {
        self.id = id
        self.tenantID = tenantID
        self.customerID = customerID
        self.vaultToken = vaultToken
        self.sealedReference = sealedReference
        self.sealedProfile = sealedProfile
        self.keyVersion = keyVersion
        self.createdAt = createdAt
        self.syncedAt = syncedAt
    }
}

/// What card-profile sync needs of a storage engine, apart from the rest of `VaultStorage`.
public protocol CardProfileReader {
    func profileLogin(mac: [UInt8]) throws -> ProfileLoginRecord?
    /// The tenant's logins, oldest first.
    func profileLogins(tenant: TenantID) throws -> [ProfileLoginRecord]
    func profileSession(tokenHash: [UInt8]) throws -> ProfileSessionRecord?
    func profileCustomer(_ id: ProfileCustomerID, tenant: TenantID) throws -> ProfileCustomerRecord?
    func profileCustomer(referenceMAC: [UInt8], tenant: TenantID) throws -> ProfileCustomerRecord?
    func profileCard(_ id: ProfileCardID, tenant: TenantID) throws -> ProfileCardRecord?
}

public protocol CardProfileWriter {
    /// Fails with `.uniqueViolation` when a login has the same MAC.
    func insertProfileLogin(_ login: ProfileLoginRecord) throws
    /// Removes the login and its sessions; false if the tenant has no such login.
    func deleteProfileLogin(_ id: ProfileLoginID, tenant: TenantID) throws -> Bool
    func insertProfileSession(_ session: ProfileSessionRecord) throws
    /// Forgets sessions that expired before `date`; returns how many.
    func deleteProfileSessions(expiredBefore date: Date) throws -> Int
    /// Fails with `.uniqueViolation` when the tenant has a customer with the same reference MAC.
    func insertProfileCustomer(_ customer: ProfileCustomerRecord) throws
    /// Replaces the sealed profile, key version, revision and update time, only while the stored
    /// row has `expectedRevision`; false otherwise.
    func replaceProfileCustomer(_ customer: ProfileCustomerRecord, expectedRevision: Int) throws -> Bool
    func insertProfileCard(_ card: ProfileCardRecord) throws
    /// Replaces the sealed columns, key version and sync time, only while the stored row still
    /// holds what `expected` read; false otherwise.
    func replaceProfileCard(_ card: ProfileCardRecord, expected: ProfileCardRecord) throws -> Bool
}
