import Foundation
import VaultCrypto

extension Vault {
    /// Creates a tenant with its own fingerprint key and an admin API key for it, in one
    /// transaction, so no tenant is ever left without a way in. A `parent` makes it an ISO
    /// sub-tenant; a `subClientID` (4, 6 or 8 digits, unique under the parent) names it in
    /// `{ClientID}_{SubClientID}` paths.
    /// `adminRoles` are the roles of the new tenant's admin key: its tenant's roles, plus the
    /// operator's for the first tenant `coffer init` makes.
    public func createTenant(name: String, parent: TenantID? = nil, subClientID: String? = nil, actor: AuditActor,
                             adminRoles: Set<Role> = Role.tenantRoles,
                             idempotency: IdempotencyRecording<CreatedTenant>? = nil) async throws -> CreatedTenant {
        if let subClientID {
            guard parent != nil, Self.isSubClientID(subClientID) else { throw VaultError.invalidSubClientID }
        }
        let id = TenantID.generate()
        let now = clock()
        let record = TenantRecord(
            id: id, name: name, parentID: parent, subClientID: subClientID,
            wrappedFingerprintKey: keyring.masterKey.wrap(SymmetricKey.generate().secret, purpose: .fingerprintKey(id)),
            createdAt: now)
        let (key, keyRecord) = Self.newAPIKey(tenant: id, roles: adminRoles, limits: .defaults(for: adminRoles),
                                              label: "admin", at: now)
        let created = CreatedTenant(record: record, adminKey: IssuedAPIKey(record: keyRecord, secret: key))
        let events = [
            AuditEvent(tenantID: id, actor: actor, action: .tenantCreate, subject: id.rawValue, outcome: .success),
            AuditEvent(tenantID: id, actor: actor, action: .apiKeyCreate, subject: keyRecord.id.rawValue, outcome: .success),
        ]
        let recordResponse = recorder(idempotency)
        try await write { writer in
            if let parent, try writer.tenant(parent) == nil { throw VaultError.tenantNotFound }
            if let parent, let subClientID, try writer.subTenant(parent: parent, subClientID: subClientID) != nil {
                throw VaultError.subClientIDTaken
            }
            try writer.insertTenant(record)
            try writer.insertAPIKey(keyRecord)
            for event in events { try self.auditLog.append(event, at: now, to: writer) }
            try recordResponse?(writer, created)
        }
        return created
    }

    public func tenant(_ id: TenantID) async throws -> TenantRecord {
        guard let record = try await read({ try $0.tenant(id) }) else { throw VaultError.tenantNotFound }
        return record
    }

    /// The ISO sub-tenant `parent` created under this sub-client ID.
    public func subTenant(of parent: TenantID, subClientID: String) async throws -> TenantRecord {
        guard let record = try await read({ try $0.subTenant(parent: parent, subClientID: subClientID) }) else {
            throw VaultError.tenantNotFound
        }
        return record
    }

    /// 4, 6 or 8 ASCII digits.
    public static func isSubClientID(_ string: String) -> Bool {
        [4, 6, 8].contains(string.utf8.count) && string.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }

    /// Issues an API key; its secret is returned once and the store keeps only its SHA-256.
    /// Its limits are `RateLimits.defaults(for: roles)` with `limits` laid over them: a rate for
    /// an operation, or nil to leave it unlimited.
    public func createAPIKey(tenant: TenantID, roles: Set<Role>,
                             limits: [RateLimits.Operation: TokenBucket.Rate?] = [:], label: String, actor: AuditActor,
                             idempotency: IdempotencyRecording<IssuedAPIKey>? = nil) async throws -> IssuedAPIKey {
        _ = try await self.tenant(tenant)
        let now = clock()
        var keyLimits = RateLimits.defaults(for: roles)
        for (operation, rate) in limits { keyLimits[operation] = rate }
        let (secret, record) = Self.newAPIKey(tenant: tenant, roles: roles, limits: keyLimits, label: label, at: now)
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .apiKeyCreate, subject: record.id.rawValue,
                               outcome: .success)
        let issued = IssuedAPIKey(record: record, secret: secret)
        let recordResponse = recorder(idempotency)
        try await write { writer in
            try writer.insertAPIKey(record)
            try self.auditLog.append(event, at: now, to: writer)
            try recordResponse?(writer, issued)
        }
        return issued
    }

    /// A new secret — `ck_` and 43 Base64URL characters, 256 random bits — and the record of its hash.
    static func newAPIKey(tenant: TenantID, roles: Set<Role>, limits: RateLimits, label: String,
                          at date: Date) -> (String, APIKeyRecord) {
        let secret = "ck_" + Base64URL.encode(SecureRandom.bytes(count: 32))
        return (secret, APIKeyRecord(id: .generate(), tenantID: tenant, secretHash: SHA256.hash(Array(secret.utf8)),
                                     roles: roles, limits: limits, label: label, createdAt: date))
    }

    public func revokeAPIKey(_ id: APIKeyID, tenant: TenantID, actor: AuditActor) async throws {
        let now = clock()
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .apiKeyRevoke, subject: id.rawValue,
                               outcome: .success)
        try await write { writer in
            guard try writer.revokeAPIKey(id, tenant: tenant, at: now) else { throw VaultError.keyNotFound }
            try self.auditLog.append(event, at: now, to: writer)
        }
        // Committed: no request from now on may be served from a cached authentication.
        principals.invalidate()
    }

    /// Audits a credential refused by another layer (an SSO token that failed verification).
    public func recordFailedAuthentication(tenant: TenantID?, subject: String?) async throws {
        try await audit(.authenticationFailure, tenant: tenant, actor: "anonymous", subject: subject, outcome: .failure)
    }

    /// Checks a presented API key. The lookup is by hash, so timing reveals nothing about the
    /// secret; a failure is audited and answered `unauthenticated` whatever its cause.
    /// A success is remembered for `VaultPolicy.apiKeyCacheLifetime` (see `PrincipalCache`).
    public func authenticate(apiKey presented: String) async throws -> Principal {
        let hash = SHA256.hash(presented.utf8)
        let key = PrincipalCache.Key(digest: hash)
        if let principal = principals.principal(for: key) { return principal }
        let generation = principals.generation
        let record = try await read { try $0.apiKey(secretHash: hash) }
        guard let record, record.revokedAt == nil else {
            try await audit(.authenticationFailure, tenant: record?.tenantID, actor: "anonymous",
                            subject: record?.id.rawValue, outcome: .failure)
            throw VaultError.unauthenticated
        }
        let principal = Principal(tenantID: record.tenantID, credential: .apiKey(record.id), roles: record.roles,
                                  limits: record.limits)
        principals.insert(principal, for: key, generation: generation)
        return principal
    }
}
