import Foundation
import JSON
import JSONWebToken
import VaultCore
import VaultCrypto

/// SSO tokens for sync clients, and the access tokens they are exchanged for: HS256 JWTs signed
/// with the tenant's own secret (wrapped under the master key), naming the tenant in `kid` and
/// the client in `sub`. An SSO token travels in a URL to a white-label front end, so it opens
/// nothing itself: it is exchanged once (with `nonce`) or until it expires for an access token,
/// which stands in for an API key on its own client's routes for `accessTokenExpiresIn` seconds.
/// The two kinds name different audiences, so neither passes for the other.
struct SSOTokens: Sendable {
    let vault: Vault
    let clients: ClientSyncService
    /// The longest either kind of token lives; an SSO token lives this long unless asked for less.
    var maximumLifetime: TimeInterval = VaultAPI.defaultSSOTokenLifetime

    static let issuer = "coffer"
    /// Q2's default `accessTokenExpiresIn`.
    static let defaultAccessTokenLifetime = 3600

    /// What a token is for: its `aud` claim.
    enum Use: String, Sendable {
        case sso = "coffer:sso"
        case access = "coffer:client-session"
    }

    /// A bearer credential with a JWT's shape (three dot-separated parts) is verified here;
    /// API keys (`ck_…`) never contain a dot. Counts over the contiguous bytes: stepping through
    /// a `Substring.UTF8View` costs several nanoseconds a byte, on every authenticated request.
    static func looksLikeToken(_ credential: Substring) -> Bool {
        var credential = credential
        return credential.withUTF8 { $0.count(where: { $0 == UInt8(ascii: ".") }) } == 2
    }

    /// What a caller may ask of a new SSO token.
    struct Options: Sendable {
        /// Defaults to the maximum lifetime from now; a later one is capped at it.
        var expiration: Date?
        /// Seconds that each access token issued for it lives (`accessTokenExpiresIn`), capped at
        /// the maximum lifetime; `defaultAccessTokenLifetime` when nil.
        var accessTokenLifetime: Int?
        var singleUse = false
    }

    /// Checks the requested lifetime and fetches the tenant's key, so tokens can then be signed
    /// synchronously — inside the transaction that decides the client, for an idempotent replay.
    func issuer(for tenant: TenantID, _ options: Options) async throws -> Issuer {
        let now = vault.now
        if let expiration = options.expiration, expiration <= now {
            throw APIError.badRequest("invalid_field", "The token must expire in the future.")
        }
        let expiresAt = min(options.expiration ?? .distantFuture, now.addingTimeInterval(maximumLifetime))
        let accessTokenLifetime = min(options.accessTokenLifetime ?? Self.defaultAccessTokenLifetime, Int(maximumLifetime))
        var additional: JSONObject = ["ate": .number(JSONNumber(accessTokenLifetime))]
        if options.singleUse { additional["nonce"] = .bool(true) }
        return Issuer(signer: HS256(key: try await clients.ssoSigningKey(tenant: tenant, creating: true)), tenant: tenant,
                      use: .sso, id: IdentifierFormat.random(), issuedAt: Int(now.timeIntervalSince1970),
                      expiresAt: Int(expiresAt.timeIntervalSince1970), additional: additional)
    }

    /// Signs one token (one `jti`, one set of times) for a tenant: asked again for the same
    /// client it gives the same token, so a response rendered twice is one response.
    struct Issuer: Sendable {
        let signer: HS256
        let tenant: TenantID
        let use: Use
        let id: String
        let issuedAt: Int
        let expiresAt: Int
        let additional: JSONObject

        func token(for client: SyncClientID) -> String {
            let claims = JWTClaims(issuer: SSOTokens.issuer, subject: client.rawValue, audience: [use.rawValue],
                                   expiresAt: expiresAt, issuedAt: issuedAt, id: id, additional: additional)
            return signer.sign(claims, keyID: tenant.rawValue)
        }
    }

    /// An access token, as the exchange answers it.
    struct AccessToken: Sendable {
        var token: String
        var client: SyncClientID
        var lifetime: Int
    }

    /// Exchanges an SSO token for an access token of the lifetime the SSO token was issued with;
    /// a single-use SSO token is spent by it.
    func exchange(_ ssoToken: String, actor: AuditActor) async throws -> AccessToken {
        let valid = try await open(ssoToken, as: .sso, actor: actor).valid
        let key = try await clients.ssoSigningKey(tenant: valid.tenant, creating: false)
        let now = Int(vault.now.timeIntervalSince1970)
        let issuer = Issuer(signer: HS256(key: key), tenant: valid.tenant, use: .access, id: IdentifierFormat.random(),
                            issuedAt: now, expiresAt: now + valid.accessTokenLifetime, additional: JSONObject())
        return AccessToken(token: issuer.token(for: valid.client), client: valid.client, lifetime: valid.accessTokenLifetime)
    }

    /// The session an access token opens.
    func authenticate(_ accessToken: String, actor: AuditActor) async throws -> Principal {
        try await open(accessToken, as: .access, actor: actor).session
    }

    /// Every refusal — unknown tenant, bad signature or algorithm, the other kind of token,
    /// expiry, a reused single-use token — is `invalid_sso_token`; a valid token of a disabled
    /// tenant is `tenant_disabled` (and its nonce stays unused).
    private func open(_ token: String, as use: Use, actor: AuditActor) async throws -> (session: Principal, valid: Verified) {
        let tenant = HS256.unverifiedKeyID(of: token).flatMap(TenantID.init(validating:))
        guard let tenant, let valid = try await verified(token, as: use, tenant: tenant) else {
            try await vault.refuseAuthentication(.invalidSSOToken, actor: actor)
        }
        let session = try await clients.clientSession(valid.client, tokenID: valid.id, tenant: tenant, actor: actor)
        if valid.singleUse {
            do {
                try await clients.consumeSSONonce(valid.id, tenant: tenant, expiresAt: valid.expiresAt)
            } catch VaultError.ssoTokenReused {
                try await vault.refuseAuthentication(.invalidSSOToken, actor: actor)
            }
        }
        return (session, valid)
    }

    /// What a verified token says.
    private struct Verified {
        var tenant: TenantID
        var client: SyncClientID
        var id: String
        var expiresAt: Date
        var singleUse: Bool
        /// Only SSO tokens carry it.
        var accessTokenLifetime: Int
    }

    /// The token's claims once its signature and claims verified for `use`; nil when it is
    /// refused. Storage failures still throw.
    private func verified(_ token: String, as use: Use, tenant: TenantID) async throws -> Verified? {
        do {
            let key = try await clients.ssoSigningKey(tenant: tenant, creating: false)
            let claims = try HS256(key: key).verify(token, now: vault.now, audience: use.rawValue)
            guard claims.issuer == Self.issuer, claims.audience == [use.rawValue], let subject = claims.subject,
                  let client = SyncClientID(validating: subject), let expiresAt = claims.expiresAt, let id = claims.id
            else { return nil }
            let accessTokenLifetime = claims.additional["ate"]?.intValue ?? 0
            guard use == .access || (1...Int(maximumLifetime)).contains(accessTokenLifetime) else { return nil }
            return Verified(tenant: tenant, client: client, id: id, expiresAt: Date(timeIntervalSince1970: TimeInterval(expiresAt)),
                            singleUse: claims.additional["nonce"] == .bool(true), accessTokenLifetime: accessTokenLifetime)
        } catch is JWTError {
            return nil
        } catch VaultError.unauthenticated {
            return nil
        }
    }
}
