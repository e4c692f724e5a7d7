import Foundation
import VaultCrypto

/// Card profile sync (the connectFi dialect's core): per-tenant logins that open short sessions,
/// customers whose personal data is sealed, vault cards linked to them, and each card's
/// cardholder profile copied from its customer and queued for outbound delivery. The customer
/// document and the cardholder profile are the dialect's encoding: this service seals, finds,
/// guards and audits them; what a profile holds is the dialect's `derive`. A service over the
/// vault's shared context.
public struct CardProfileService: Sendable {
    let vault: Vault

    /// How long a session token opens the tenant's routes: connectFi's documentation leaves the
    /// lifetime to the server (`dtsExpireAt`); an hour keeps a leaked token short-lived.
    public static let sessionLifetime: TimeInterval = 3600
    /// The outbox topic of a synced cardholder profile.
    public static let profileTopic = "connectfi.card.profile"
    /// How often a read-modify-write is tried before `conflict`.
    static let attempts = 3

    public init(_ vault: Vault) {
        self.vault = vault
    }

    // MARK: Logins and sessions

    /// Stores a login: its name as a keyed MAC, its password as an scrypt hash computed on the
    /// vault's heavy pool. A name taken by any tenant is `loginExists`.
    public func createLogin(_ login: String, password: SecretBytes, tenant: TenantID, actor: AuditActor) async throws -> ProfileLogin {
        let hash = try await vault.heavy { try PasswordHash(hashing: password).encoded }
        let record = ProfileLoginRecord(id: .generate(), tenantID: tenant, loginMAC: loginMAC(login), passwordHash: hash,
                                        createdAt: vault.clock())
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .profileLoginCreate, subject: record.id.rawValue,
                               outcome: .success)
        let log = vault.auditLog
        do {
            try await vault.write { writer in
                guard try writer.profileLogin(mac: record.loginMAC) == nil else { throw CardProfileError.loginExists }
                try writer.insertProfileLogin(record)
                try log.append(event, at: record.createdAt, to: writer)
            }
        } catch VaultError.storage(.uniqueViolation) {
            throw CardProfileError.loginExists
        }
        return ProfileLogin(id: record.id, createdAt: record.createdAt)
    }

    public func logins(tenant: TenantID) async throws -> [ProfileLogin] {
        try await vault.read { try $0.profileLogins(tenant: tenant) }.map { ProfileLogin(id: $0.id, createdAt: $0.createdAt) }
    }

    /// Removes the login and every session it opened.
    public func deleteLogin(_ id: ProfileLoginID, tenant: TenantID, actor: AuditActor) async throws {
        let now = vault.clock()
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .profileLoginDelete, subject: id.rawValue, outcome: .success)
        let log = vault.auditLog
        try await vault.write { writer in
            guard try writer.deleteProfileLogin(id, tenant: tenant) else { throw CardProfileError.loginNotFound }
            try log.append(event, at: now, to: writer)
        }
    }

    /// Opens a session for a login and its password. An unknown login costs the same scrypt
    /// derivation as a known one (against a dummy hash) and is refused the same way, so neither
    /// the answer nor its timing tells which logins exist; every refusal is counted against the
    /// source like a bad API key.
    public func openSession(login: String, password: SecretBytes, actor: AuditActor) async throws -> ProfileSession {
        let mac = loginMAC(login)
        let found = try await vault.read { reader -> (login: ProfileLoginRecord, tenantDisabled: Bool)? in
            guard let record = try reader.profileLogin(mac: mac) else { return nil }
            return (record, try Vault.isDisabled(record.tenantID, in: reader))
        }
        let stored = found?.login.passwordHash
        let matches = try await vault.heavy {
            // Read first either way: whichever call makes the dummy hash pays for it, not only unknown logins.
            let dummy = Self.dummyHash
            let hash = stored.flatMap { try? PasswordHash(encoded: $0) } ?? dummy
            return try hash.matches(password) && stored != nil
        }
        guard let found, matches else {
            try await vault.refuse(.unknownKey, tenant: found?.login.tenantID, actor: actor)
        }
        guard !found.tenantDisabled else { try await vault.refuse(.tenantDisabled, tenant: found.login.tenantID, actor: actor) }
        let now = vault.clock()
        let token = Base64URL.encode(SecureRandom.bytes(count: Self.tokenByteCount))
        let session = ProfileSessionRecord(tokenHash: SHA256.hash(token.utf8), loginID: found.login.id,
                                           tenantID: found.login.tenantID, expiresAt: now.addingTimeInterval(Self.sessionLifetime))
        try await vault.write { writer in
            _ = try writer.deleteProfileSessions(expiredBefore: now)
            try writer.insertProfileSession(session)
        }
        return ProfileSession(token: token, expiresAt: session.expiresAt)
    }

    /// The caller a session token names: refused (and counted) when absent, malformed, unknown,
    /// expired, or of a disabled tenant. A session holds no role: it opens the dialect's routes only.
    public func authenticate(sessionToken token: String?, actor: AuditActor) async throws -> Principal {
        guard let token else { try await vault.refuse(.missingCredential, actor: actor) }
        guard token.utf8.count == Self.tokenLength, token.utf8.allSatisfy(Base64URL.isAlphabetByte) else {
            try await vault.refuse(.malformedCredential, actor: actor)
        }
        let hash = SHA256.hash(token.utf8)
        let found = try await vault.read { reader -> (session: ProfileSessionRecord, tenantDisabled: Bool)? in
            guard let session = try reader.profileSession(tokenHash: hash) else { return nil }
            return (session, try Vault.isDisabled(session.tenantID, in: reader))
        }
        guard let found, found.session.expiresAt > vault.clock() else { try await vault.refuse(.unknownKey, actor: actor) }
        let session = found.session
        guard !found.tenantDisabled else { try await vault.refuse(.tenantDisabled, tenant: session.tenantID, actor: actor) }
        return Principal(tenantID: session.tenantID, credential: .profileSession(session.loginID), roles: [], limits: .unlimited)
    }

    static let tokenByteCount = 32
    /// Unpadded Base64URL of `tokenByteCount` bytes.
    static let tokenLength = 43
    /// What an unknown login's password is checked against, so it costs what a known one does.
    static let dummyHash: PasswordHash = try! PasswordHash(hashing: SecureRandom.secretBytes(count: 16))

    /// The login name's MAC under a key derived from the audit key: deployment-wide (a get-token
    /// request names no tenant), wrapped under the master key, and never rotated away.
    private func loginMAC(_ login: String) -> [UInt8] {
        let key = HMACSHA256.derivedKey(from: vault.auditLog.key, info: "coffer-profile-login-v1".utf8)
        return HMACSHA256.authenticationCode(for: Array(login.utf8), using: key)
    }

    /// The reference's MAC under a key derived from the tenant's fingerprint key: another
    /// tenant's same reference gives another MAC.
    private func referenceMAC(_ reference: String, tenant: TenantID) async throws -> [UInt8] {
        let fingerprintKey = try await vault.keyring.fingerprintKey(for: tenant, storage: vault.storage)
        let key = HMACSHA256.derivedKey(from: fingerprintKey, info: "coffer-customer-reference-v1".utf8)
        return HMACSHA256.authenticationCode(for: Array(reference.utf8), using: key)
    }

    // MARK: Customers

    /// Stores a customer with its document sealed; a reference the tenant already used is `referenceExists`.
    public func createCustomer(_ type: CustomerType, reference: String, document: [UInt8], tenant: TenantID,
                               actor: AuditActor) async throws -> ProfileCustomer {
        let id = ProfileCustomerID.generate(type)
        let mac = try await referenceMAC(reference, tenant: tenant)
        let now = vault.clock()
        let (sealed, version) = try vault.sealWithActiveKey(.profileCustomer, SecretBytes(document), tenant: tenant, subject: id.rawValue)
        let record = ProfileCustomerRecord(id: id, tenantID: tenant, referenceMAC: mac, sealedProfile: sealed, keyVersion: version,
                                           revision: 1, createdAt: now, updatedAt: now)
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .profileCustomerCreate, subject: id.rawValue, outcome: .success)
        let log = vault.auditLog
        do {
            try await vault.write { writer in
                guard try writer.profileCustomer(referenceMAC: mac, tenant: tenant) == nil else {
                    throw CardProfileError.referenceExists
                }
                try writer.insertProfileCustomer(record)
                try log.append(event, at: now, to: writer)
            }
        } catch VaultError.storage(.uniqueViolation) {
            throw CardProfileError.referenceExists
        }
        return ProfileCustomer(id: id, document: document, createdAt: now, updatedAt: now)
    }

    public func customer(_ id: ProfileCustomerID, tenant: TenantID) async throws -> ProfileCustomer {
        try await opened(try await customerRecord(id, tenant: tenant))
    }

    /// Replaces the customer's document with `change(current)`, re-read and tried again when
    /// another update won the race; audited.
    public func updateCustomer(_ id: ProfileCustomerID, tenant: TenantID, actor: AuditActor,
                               change: @escaping @Sendable (ProfileCustomer) throws -> [UInt8]) async throws -> ProfileCustomer {
        let log = vault.auditLog
        for _ in 0..<Self.attempts {
            let record = try await customerRecord(id, tenant: tenant)
            let document = try change(try await opened(record))
            let now = vault.clock()
            let (sealed, version) = try vault.sealWithActiveKey(.profileCustomer, SecretBytes(document), tenant: tenant,
                                                                subject: id.rawValue)
            var updated = record
            (updated.sealedProfile, updated.keyVersion, updated.revision, updated.updatedAt) = (sealed, version, record.revision + 1, now)
            let event = AuditEvent(tenantID: tenant, actor: actor, action: .profileCustomerUpdate, subject: id.rawValue,
                                   outcome: .success)
            let replaced = try await vault.write { [updated] writer in
                guard try writer.replaceProfileCustomer(updated, expectedRevision: record.revision) else { return false }
                try log.append(event, at: now, to: writer)
                return true
            }
            if replaced { return ProfileCustomer(id: id, document: document, createdAt: record.createdAt, updatedAt: now) }
        }
        throw CardProfileError.conflict
    }

    private func customerRecord(_ id: ProfileCustomerID, tenant: TenantID) async throws -> ProfileCustomerRecord {
        guard let record = try await vault.read({ try $0.profileCustomer(id, tenant: tenant) }) else {
            throw CardProfileError.customerNotFound
        }
        return record
    }

    func opened(_ record: ProfileCustomerRecord) async throws -> ProfileCustomer {
        let document = try await vault.openSealed(.profileCustomer, record.sealedProfile, version: record.keyVersion,
                                                  tenant: record.tenantID, subject: record.id.rawValue)
        return ProfileCustomer(id: record.id, document: document.withUnsafeBytes { Array($0) }, createdAt: record.createdAt,
                               updatedAt: record.updatedAt)
    }
}
