import Foundation

/// What the vault stores, in the engine-neutral shape every `VaultStorage` keeps.
/// Secrets appear here only wrapped (under the master key) or encrypted (card ciphertext).

public struct TenantRecord: Sendable, Equatable {
    public var id: TenantID
    public var name: String
    /// The ISO parent for TabaPay-style sub-clients; nil for top-level tenants.
    public var parentID: TenantID?
    /// The 4, 6 or 8 digits that name a sub-client under its parent (`{ClientID}_{SubClientID}`).
    public var subClientID: String?
    /// The tenant's HMAC fingerprint key, sealed under the master key.
    public var wrappedFingerprintKey: [UInt8]
    public var createdAt: Date
    /// Set while the tenant is disabled (`Vault.setTenantDisabled`): when it was disabled.
    public var disabledAt: Date?

    public init(id: TenantID, name: String, parentID: TenantID?, subClientID: String? = nil,
                wrappedFingerprintKey: [UInt8], createdAt: Date, disabledAt: Date? = nil) {
        self.id = id
        self.name = name
        self.parentID = parentID
        self.subClientID = subClientID
        self.wrappedFingerprintKey = wrappedFingerprintKey
        self.createdAt = createdAt
        self.disabledAt = disabledAt
    }
}

/// What an API key may do. Stored as its raw value; unknown values read back are dropped.
public enum Role: String, Sendable, CaseIterable, Codable, Comparable {
    case admin, tokenize, reveal, keys, sync, staff
    /// Sees card fingerprints and duplicate answers: with BIN and last 4 they narrow a PAN to a
    /// few thousand candidates, so they go only to keys granted them, behind a rate limit.
    case fingerprint
    /// Reads `/metrics`, which covers every tenant of the deployment.
    case metrics
    /// Runs the deployment: creates top-level tenants. Held by the key `coffer init` prints.
    case `operator`

    /// What a tenant's admin holds implicitly and may grant: everything within its own tenant.
    public static let tenantRoles: Set<Role> = [.admin, .tokenize, .reveal, .keys, .sync, .staff, .fingerprint]
    /// Deployment-wide grants, beyond any tenant: an operator holds them and alone may grant them.
    public static let operatorRoles: Set<Role> = [.metrics, .operator]

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

public struct APIKeyRecord: Sendable, Equatable {
    public var id: APIKeyID
    public var tenantID: TenantID
    /// SHA-256 of the secret: API key secrets are 256-bit random, so a fast hash is enough.
    public var secretHash: [UInt8]
    public var roles: Set<Role>
    /// Set when the key is made (`RateLimits.defaults(for:)` unless its creator chose).
    public var limits: RateLimits
    public var label: String
    public var createdAt: Date
    public var revokedAt: Date?
    /// To the minute (`Vault.keyUseResolution`); nil when not used since it was recorded.
    public var lastUsedAt: Date?

    public init(id: APIKeyID, tenantID: TenantID, secretHash: [UInt8], roles: Set<Role>, limits: RateLimits,
                label: String, createdAt: Date, revokedAt: Date? = nil, lastUsedAt: Date? = nil) {
        self.id = id
        self.tenantID = tenantID
        self.secretHash = secretHash
        self.roles = roles
        self.limits = limits
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
    }
}

/// A version of the data key that encrypts card numbers; the highest version is the active one.
public struct DataKeyRecord: Sendable, Equatable {
    public var version: Int
    public var wrappedKey: [UInt8]
    public var createdAt: Date

    public init(version: Int, wrappedKey: [UInt8], createdAt: Date) {
        self.version = version
        self.wrappedKey = wrappedKey
        self.createdAt = createdAt
    }
}

/// An RSA key pair a tenant's clients encrypt card data to.
public struct CardDataKeyRecord: Sendable, Equatable {
    public var id: KeyID
    public var tenantID: TenantID
    /// PKCS#8 DER of the private key, sealed under the master key; emptied on delete.
    public var wrappedPrivateKey: [UInt8]
    public var publicKeyDER: [UInt8]
    public var createdAt: Date
    public var expiresAt: Date
    public var deletedAt: Date?

    public init(id: KeyID, tenantID: TenantID, wrappedPrivateKey: [UInt8], publicKeyDER: [UInt8],
                createdAt: Date, expiresAt: Date, deletedAt: Date? = nil) {
        self.id = id
        self.tenantID = tenantID
        self.wrappedPrivateKey = wrappedPrivateKey
        self.publicKeyDER = publicKeyDER
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.deletedAt = deletedAt
    }

    public func isActive(at date: Date) -> Bool { deletedAt == nil && expiresAt > date }
}

/// A stored card: ciphertext plus the non-secret metadata a caller may see.
public struct CardRecord: Sendable, Equatable {
    public var token: Token
    public var tenantID: TenantID
    /// AES-256-GCM nonce ‖ ciphertext ‖ tag of the packed card number and expiration.
    public var ciphertext: [UInt8]
    public var keyVersion: Int
    /// HMAC-SHA256 of the PAN digits under the tenant's fingerprint key.
    public var fingerprint: [UInt8]
    /// `PrimaryAccountNumber.leadingDigits`: at most six, fewer for a short number. Rows stored
    /// before the `short_pan_masking` migration may hold six for some short numbers
    /// (`docs/security.md`, "Masked digits").
    public var bin: String
    public var last4: String
    public var brand: CardBrand
    public var expiration: ExpirationDate?
    public var createdAt: Date
    public var updatedAt: Date

    public init(token: Token, tenantID: TenantID, ciphertext: [UInt8], keyVersion: Int, fingerprint: [UInt8],
                bin: String, last4: String, brand: CardBrand, expiration: ExpirationDate?,
                createdAt: Date, updatedAt: Date) {
        self.token = token
        self.tenantID = tenantID
        self.ciphertext = ciphertext
        self.keyVersion = keyVersion
        self.fingerprint = fingerprint
        self.bin = bin
        self.last4 = last4
        self.brand = brand
        self.expiration = expiration
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The first response to a POST with an `Idempotency-Key`, so a retry gets it back instead of
/// acting twice. Nothing the caller chose is stored: the record is named and matched by keyed MACs
/// (`IdempotencyMAC`). The body is sealed under a data key: some responses carry a secret once.
public struct IdempotencyRecord: Sendable, Equatable {
    public var tenantID: TenantID
    /// Base64URL of the MAC of the credential and its `Idempotency-Key`: the record's name.
    public var lookup: String
    /// The MAC of the request (method, route, path, body): the same key with another request is refused.
    public var requestMAC: [UInt8]
    /// Nil once something the response named was deleted: such a record is neither replayed nor performed again.
    public var response: SealedResponse?
    public var createdAt: Date

    public init(tenantID: TenantID, lookup: String, requestMAC: [UInt8], response: SealedResponse?, createdAt: Date) {
        self.tenantID = tenantID
        self.lookup = lookup
        self.requestMAC = requestMAC
        self.response = response
        self.createdAt = createdAt
    }
}

/// A recorded response: its status, and its body sealed under data-key version `keyVersion`.
public struct SealedResponse: Sendable, Equatable {
    public var status: Int
    public var sealedBody: [UInt8]
    public var keyVersion: Int

    public init(status: Int, sealedBody: [UInt8], keyVersion: Int) {
        self.status = status
        self.sealedBody = sealedBody
        self.keyVersion = keyVersion
    }
}

/// A single-use card token: card data held briefly, sealed like a card, taken (deleted) by the one
/// request that presents it. It never holds a security code.
public struct CardTokenRecord: Sendable, Equatable {
    public var token: Token
    public var tenantID: TenantID
    public var ciphertext: [UInt8]
    public var keyVersion: Int
    public var createdAt: Date
    public var expiresAt: Date

    public init(token: Token, tenantID: TenantID, ciphertext: [UInt8], keyVersion: Int, createdAt: Date, expiresAt: Date) {
        self.token = token
        self.tenantID = tenantID
        self.ciphertext = ciphertext
        self.keyVersion = keyVersion
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A stored account: a card (whose `CardRecord` shares the token) or a bank account, with its
/// holder's details. Deleted accounts stay as tombstones with their sealed columns emptied.
public struct AccountRecord: Sendable, Equatable {
    public var token: Token
    public var tenantID: TenantID
    public var referenceID: String?
    /// Whether the account was created with a duplicate-card check and so takes part in later ones.
    public var duplicateCheck: Bool
    /// The holder's details (opaque to the vault), AES-256-GCM sealed under `keyVersion`.
    public var sealedHolder: [UInt8]
    public var keyVersion: Int
    /// Present for bank accounts only.
    public var bank: StoredBankAccount?
    public var createdAt: Date
    public var deletedAt: Date?

    public init(token: Token, tenantID: TenantID, referenceID: String?, duplicateCheck: Bool, sealedHolder: [UInt8],
                keyVersion: Int, bank: StoredBankAccount?, createdAt: Date, deletedAt: Date? = nil) {
        self.token = token
        self.tenantID = tenantID
        self.referenceID = referenceID
        self.duplicateCheck = duplicateCheck
        self.sealedHolder = sealedHolder
        self.keyVersion = keyVersion
        self.bank = bank
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }
}

/// A bank account as stored: the number sealed (under the account's key version) and fingerprinted.
public struct StoredBankAccount: Sendable, Equatable {
    public var sealedNumber: [UInt8]
    /// HMAC-SHA256 under the tenant's fingerprint key, domain-separated from card fingerprints.
    public var fingerprint: [UInt8]
    public var routingNumber: String
    public var accountType: BankAccountType
    public var last4: String

    public init(sealedNumber: [UInt8], fingerprint: [UInt8], routingNumber: String, accountType: BankAccountType,
                last4: String) {
        self.sealedNumber = sealedNumber
        self.fingerprint = fingerprint
        self.routingNumber = routingNumber
        self.accountType = accountType
        self.last4 = last4
    }
}

/// A client in client sync; its personal data (`meta`, opaque to the vault) is sealed.
public struct SyncClientRecord: Sendable, Equatable {
    public var id: SyncClientID
    public var tenantID: TenantID
    /// The caller's own identifier for the client, unique within the tenant.
    public var identifier: String
    public var sealedMeta: [UInt8]
    public var keyVersion: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: SyncClientID, tenantID: TenantID, identifier: String, sealedMeta: [UInt8], keyVersion: Int,
                createdAt: Date, updatedAt: Date) {
        self.id = id
        self.tenantID = tenantID
        self.identifier = identifier
        self.sealedMeta = sealedMeta
        self.keyVersion = keyVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A sync client's payment method: a card or bank account held in the vault, by token.
public struct PaymentMethodRecord: Sendable, Equatable {
    public enum Kind: String, Sendable { case card, bank }

    public var id: PaymentMethodID
    public var tenantID: TenantID
    public var clientID: SyncClientID
    public var identifier: String?
    public var kind: Kind
    public var token: Token
    /// False when the method refers to a card stored independently of it, which it must not delete.
    public var ownsInstrument: Bool
    /// Name, zip code, label and hints (opaque to the vault), sealed.
    public var sealedDetails: [UInt8]
    public var keyVersion: Int
    public var isDefault: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: PaymentMethodID, tenantID: TenantID, clientID: SyncClientID, identifier: String?, kind: Kind,
                token: Token, ownsInstrument: Bool, sealedDetails: [UInt8], keyVersion: Int, isDefault: Bool,
                createdAt: Date, updatedAt: Date) {
        self.id = id
        self.tenantID = tenantID
        self.clientID = clientID
        self.identifier = identifier
        self.kind = kind
        self.token = token
        self.ownsInstrument = ownsInstrument
        self.sealedDetails = sealedDetails
        self.keyVersion = keyVersion
        self.isDefault = isDefault
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
