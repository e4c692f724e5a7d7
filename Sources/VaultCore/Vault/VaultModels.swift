import Executors
import Foundation
import VaultCrypto

/// Card data as a caller hands it to the vault: in the clear, or encrypted to one of the tenant's keys.
public enum CardInput: Sendable {
    case plain(CardData)
    case encrypted(EncryptedCardData)
    /// A single-use card token from `createCardToken`, taken by this request.
    case singleUseToken(Token)
}

/// What to do when the tenant already holds a card with the same number.
public enum DuplicatePolicy: Sendable {
    /// Store it again under a new token and report the earlier tokens.
    case allow
    /// Store nothing and fail with `VaultError.duplicateCard`.
    case reject
}

/// What anyone with access to a token may see: never the number.
public struct CardMetadata: Sendable, Equatable {
    public var token: Token
    public var brand: CardBrand
    /// The leading digits that may be shown: six, fewer for numbers under 16 digits.
    public var bin: String
    public var last4: String
    public var expiration: ExpirationDate?
    /// Base64URL of the keyed fingerprint: equal for equal numbers within one tenant only. With
    /// BIN and last 4 it lets a caller test candidate numbers, so it is nil unless the caller
    /// holds the `fingerprint` grant (`Vault.metadata(of:tenant:caller:)`).
    public var fingerprint: String?
    public var createdAt: Date

    /// The record's metadata without its fingerprint.
    init(_ record: CardRecord) {
        token = record.token
        brand = record.brand
        bin = record.bin
        last4 = record.last4
        expiration = record.expiration
        createdAt = record.createdAt
    }

    /// The record's metadata, with the fingerprint when `showingFingerprint`.
    init(_ record: CardRecord, showingFingerprint: Bool) {
        self.init(record)
        if showingFingerprint { fingerprint = Base64URL.encode(record.fingerprint) }
    }
}

public struct TokenizedCard: Sendable {
    public var metadata: CardMetadata
    /// Tokens of cards this tenant stored earlier with the same number, oldest first; nil when
    /// the caller lacks the `fingerprint` grant (the lookup is then not even made).
    public var duplicates: [Token]?
    /// The security code that came with the card, for a verification call; it is never stored.
    public var securityCode: SecurityCode?
}

/// A public key clients encrypt card data to.
public struct CardDataPublicKey: Sendable {
    public var id: KeyID
    public var publicKey: RSAPublicKey
    public var createdAt: Date
    public var expiresAt: Date
}

/// Who is calling, once a credential has been checked.
public struct Principal: Sendable, Equatable {
    public var tenantID: TenantID
    public var credential: Credential
    public var roles: Set<Role>
    /// The API key's limits. A client session has none: it never gets duplicate answers, and it
    /// stores cards for its own client only.
    public var limits: RateLimits

    public enum Credential: Sendable, Equatable {
        case apiKey(APIKeyID)
        /// An SSO token: good only for its own client's routes, with no roles. `tokenID` is the
        /// token's `jti`: each token is a session of its own (an idempotent replay goes to it alone).
        case clientSession(SyncClientID, tokenID: String)
        /// A connectFi session opened by a card-profile login: good only for that dialect's routes, with no roles.
        case profileSession(ProfileLoginID)
        /// A signed request's credential (Ticket Evolution's `X-Token`): the patron routes only, with no roles.
        case signingCredential(SigningCredentialID)
    }

    public init(tenantID: TenantID, credential: Credential, roles: Set<Role>, limits: RateLimits) {
        self.tenantID = tenantID
        self.credential = credential
        self.roles = roles
        self.limits = limits
    }

    /// Whether the principal holds `role`: granted it, or holding `admin` for a role within the
    /// tenant, or `operator` for a deployment-wide one.
    public func has(_ role: Role) -> Bool {
        roles.contains(role)
            || (Role.tenantRoles.contains(role) && roles.contains(.admin))
            || (Role.operatorRoles.contains(role) && roles.contains(.operator))
    }

    /// Whether the principal may give `role` to a new key: an admin any role within its tenant,
    /// an operator the deployment-wide ones too.
    public func mayGrant(_ role: Role) -> Bool {
        Role.operatorRoles.contains(role) ? has(.operator) : has(.admin)
    }

    /// Whether the principal may disable or enable `tenant`: an operator any top-level tenant, an
    /// admin its own tenant's sub-tenants; no one its own tenant, which would lock it out.
    public func mayManage(_ tenant: TenantRecord) -> Bool {
        guard tenant.id != tenantID else { return false }
        guard let parent = tenant.parentID else { return has(.operator) }
        return parent == tenantID && has(.admin)
    }

    public var apiKeyID: APIKeyID? {
        if case .apiKey(let id) = credential { id } else { nil }
    }

    /// How the audit log names this principal.
    public var actorName: String {
        switch credential {
        case .apiKey(let id): "apikey:\(id.rawValue)"
        case .clientSession(let client, _): "client:\(client.rawValue)"
        case .profileSession(let login): "profile-login:\(login.rawValue)"
        case .signingCredential(let id): "signing:\(id.rawValue)"
        }
    }
}

/// A newly created API key; the secret is shown once and only its hash is kept.
public struct IssuedAPIKey: Sendable {
    public var record: APIKeyRecord
    public var secret: String
}

/// A new tenant and the admin API key that opens it.
public struct CreatedTenant: Sendable {
    public var record: TenantRecord
    public var adminKey: IssuedAPIKey
    public var id: TenantID { record.id }
}

public struct DataKeyStatus: Sendable, Equatable {
    public var version: Int
    public var createdAt: Date
    public var isActive: Bool
    /// How many records of each kind this version seals; kinds it seals none of are absent, so a
    /// retired version with no entries holds nothing any more.
    public var records: [SealedRecordKind: Int]
}

public struct RotationReport: Sendable, Equatable {
    public var activeVersion: Int
    /// True when an interrupted rotation was finished instead of a new version being added.
    public var resumed: Bool
    /// How many records of each kind moved to the active version; kinds with none are absent.
    public var reencrypted: [SealedRecordKind: Int]
}

/// Knobs a deployment may turn; the defaults are the safe ones.
public struct VaultPolicy: Sendable {
    public var maximumActiveCardDataKeys = 2
    public var cardDataKeyValidity: TimeInterval = 365 * 24 * 3600
    public var cardDataKeyBits = 2048
    /// Threads of the pool that runs CPU-heavy work (RSA key generation) at low priority, so that
    /// it never takes the CPU from requests: half the cores, at least one.
    public var heavyWorkThreads = max(1, ThreadPoolExecutor.processorCount / 2)
    /// Heavy works admitted at once, running or waiting; one more is refused `busy` (503 with
    /// `Retry-After`) before anything is done.
    public var heavyWorkQueueLimit = 32
    /// PKCS#1 v1.5 invites padding-oracle attacks: refused unless a deployment opts in.
    public var allowsPKCS1v15 = false
    /// How many gateway cards one platform client may hold.
    public var maximumGatewayCardsPerClient = 10
    /// How long a successful API-key authentication is remembered in memory (keyed by the key's
    /// SHA-256). A revocation through this vault takes effect at once regardless; this bounds
    /// only how long a revocation written by another process goes unnoticed. `.zero` turns the
    /// cache off (every request reads the key from the store).
    public var apiKeyCacheLifetime: Duration = .seconds(2)
    /// Failed authentication, per source (an IPv4 address or an IPv6 /64): a source may fail
    /// `burst` times at once and earns failures back at `perSecond`; beyond, its failing requests
    /// are answered 429 (valid credentials from it are still served).
    public var failedAuthenticationRate = TokenBucket.Rate(perSecond: 1.0 / 3, burst: 20)!
    /// Seconds one audit entry counts a source's failures of one cause for: the first failure is
    /// written at once, the rest of the interval as one entry.
    public var failedAuthenticationAuditInterval: TimeInterval = 60
    /// How many sources have a failure budget, and how many source-cause pairs are counted, at
    /// once; the rest share the source `other`. Bounds memory, and the audit entries failures can
    /// add: at most 2 × (this + 7 causes) per interval, from any number of sources.
    public var failedAuthenticationSources = 256
    /// How long after a newer data-key version was added the older one may be destroyed: twice
    /// the minute after which every running server has reloaded its data keys and stopped sealing
    /// under the old version.
    public var dataKeyRetirementDelay: TimeInterval = 120

    public init() {}
}
