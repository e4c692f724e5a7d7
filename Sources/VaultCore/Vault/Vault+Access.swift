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
        let fingerprintKey = SymmetricKey.generate()
        let (key, keyRecord) = Self.newAPIKey(tenant: id, roles: adminRoles, limits: .defaults(for: adminRoles),
                                              label: "admin", at: now)
        let events = [
            AuditEvent(tenantID: id, actor: actor, action: .tenantCreate, subject: id.rawValue, outcome: .success),
            AuditEvent(tenantID: id, actor: actor, action: .apiKeyCreate, subject: keyRecord.id.rawValue, outcome: .success),
        ]
        let recordResponse = recorder(idempotency)
        return try await wrappingKeys {
            let wrapped = keyring.wrap(fingerprintKey.secret, purpose: .fingerprintKey(id))
            let record = TenantRecord(id: id, name: name, parentID: parent, subClientID: subClientID,
                                      wrappedFingerprintKey: wrapped.bytes, createdAt: now)
            let created = CreatedTenant(record: record, adminKey: IssuedAPIKey(record: keyRecord, secret: key))
            try await write { writer in
                try wrapped.fence.verify(writer)
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
    }

    /// Disables a tenant (`disabled`) or enables it again. While it is disabled, the API keys and
    /// SSO tokens of the tenant and of its sub-tenants are refused (`tenant_disabled`); its data
    /// stays. Who may: see `Principal.mayManage`; to anyone else the tenant is `tenantNotFound`
    /// (an operator, who sees the whole deployment, and a caller naming its own tenant get
    /// `forbidden`). Disabling empties the cache of authenticated keys, as a revocation does.
    public func setTenantDisabled(_ id: TenantID, _ disabled: Bool, by principal: Principal,
                                  actor: AuditActor) async throws -> TenantRecord {
        try await setTenantDisabled(id, disabled, actor: actor) { record in
            guard principal.mayManage(record) else {
                throw id == principal.tenantID || principal.has(.operator) ? VaultError.forbidden : VaultError.tenantNotFound
            }
        }
    }

    /// Disables or enables any tenant: for whoever holds the master key, at the command line
    /// (`coffer tenants disable`). A running server stops serving the tenant's cached
    /// authentications within `VaultPolicy.apiKeyCacheLifetime`.
    public func setTenantDisabled(_ id: TenantID, _ disabled: Bool, actor: AuditActor) async throws -> TenantRecord {
        try await setTenantDisabled(id, disabled, actor: actor) { _ in }
    }

    private func setTenantDisabled(_ id: TenantID, _ disabled: Bool, actor: AuditActor,
                                   checking allowed: @escaping @Sendable (TenantRecord) throws -> Void) async throws -> TenantRecord {
        let now = clock()
        let event = AuditEvent(tenantID: id, actor: actor, action: disabled ? .tenantDisable : .tenantEnable,
                               subject: id.rawValue, outcome: .success)
        let record = try await write { writer in
            guard var record = try writer.tenant(id) else { throw VaultError.tenantNotFound }
            try allowed(record)
            record.disabledAt = disabled ? record.disabledAt ?? now : nil
            try writer.setTenantDisabled(id, at: record.disabledAt)
            try self.auditLog.append(event, at: now, to: writer)
            return record
        }
        // Committed: no request from now on may be served from a cached authentication.
        if disabled { principals.invalidate() }
        return record
    }

    /// Whether the tenant, or a tenant above it, is disabled. Parents exist before their
    /// sub-tenants and never change, so the walk up ends.
    static func isDisabled(_ tenant: TenantID, in reader: any StorageReader) throws -> Bool {
        var next: TenantID? = tenant
        while let id = next, let record = try reader.tenant(id) {
            if record.disabledAt != nil { return true }
            next = record.parentID
        }
        return false
    }

    /// Every tenant, sub-tenants included, for the master-key holder (`coffer tenants list`).
    public func tenants() async throws -> [TenantRecord] {
        try await read { try $0.tenants() }
    }

    /// The tenant's API keys, revoked ones included: never their secrets, which only their hashes
    /// stand for.
    public func apiKeys(tenant: TenantID) async throws -> [APIKeyRecord] {
        _ = try await self.tenant(tenant)
        return try await read { try $0.apiKeys(tenant: tenant) }
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
            try recordResponse?(writer, issued, naming: [record.id.rawValue])
        }
        return issued
    }

    /// A new secret — `ck_` and 43 Base64URL characters, 256 random bits — and the record of its hash.
    static func newAPIKey(tenant: TenantID, roles: Set<Role>, limits: RateLimits, label: String,
                          at date: Date) -> (String, APIKeyRecord) {
        let secret = apiKeyPrefix + Base64URL.encode(SecureRandom.bytes(count: 32))
        return (secret, APIKeyRecord(id: .generate(), tenantID: tenant, secretHash: SHA256.hash(Array(secret.utf8)),
                                     roles: roles, limits: limits, label: label, createdAt: date))
    }

    static let apiKeyPrefix = "ck_"

    /// Whether `presented` has the shape `newAPIKey` gives every secret.
    static func isAPIKeyShaped(_ presented: String) -> Bool {
        presented.utf8.count == apiKeyPrefix.utf8.count + 43 && presented.hasPrefix(apiKeyPrefix)
            && presented.utf8.dropFirst(apiKeyPrefix.utf8.count).allSatisfy(Base64URL.isAlphabetByte)
    }

    /// Revokes a key, and neutralises the idempotency record of its creation: a retry is
    /// `idempotent_subject_deleted`, never the revoked key handed out as new.
    public func revokeAPIKey(_ id: APIKeyID, tenant: TenantID, actor: AuditActor) async throws {
        let now = clock()
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .apiKeyRevoke, subject: id.rawValue,
                               outcome: .success)
        try await write { writer in
            guard try writer.revokeAPIKey(id, tenant: tenant, at: now) else { throw VaultError.keyNotFound }
            _ = try writer.neutralizeIdempotencyRecords(naming: id.rawValue)
            try self.auditLog.append(event, at: now, to: writer)
        }
        // Committed: no request from now on may be served from a cached authentication.
        principals.invalidate()
    }
}
