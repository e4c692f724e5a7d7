import Foundation
import JSON
import JSONWebToken
import VaultCore
import VaultCrypto

/// SSO tokens for sync clients: HS256 JWTs signed with the tenant's own secret (wrapped under the
/// master key), naming the tenant in `kid` and the client in `sub`. A token stands in for an API
/// key on its own client's routes only. With `nonce`, it works once.
struct SSOTokens: Sendable {
    let vault: Vault
    /// The longest a token lives, and how long one lives unless asked for less.
    var maximumLifetime: TimeInterval = VaultAPI.defaultSSOTokenLifetime

    static let issuer = "coffer"

    /// A bearer credential with a JWT's shape (three dot-separated parts) is verified here;
    /// API keys (`ck_…`) never contain a dot. Counts over the contiguous bytes: stepping through
    /// a `Substring.UTF8View` costs several nanoseconds a byte, on every authenticated request.
    static func looksLikeToken(_ credential: Substring) -> Bool {
        var credential = credential
        return credential.withUTF8 { $0.count(where: { $0 == UInt8(ascii: ".") }) } == 2
    }

    /// What a caller may ask of a new token.
    struct Options: Sendable {
        /// Defaults to the maximum lifetime from now; a later one is capped at it.
        var expiration: Date?
        /// Seconds; caps the lifetime further (`accessTokenExpiresIn`).
        var lifetime: Int?
        var singleUse = false
    }

    /// Checks the requested lifetime and fetches the tenant's key, so tokens can then be signed
    /// synchronously — inside the transaction that decides the client, for an idempotent replay.
    func issuer(for tenant: TenantID, _ options: Options) async throws -> Issuer {
        let now = vault.now
        if let expiration = options.expiration, expiration <= now {
            throw APIError.badRequest("invalid_field", "The token must expire in the future.")
        }
        var expiresAt = min(options.expiration ?? .distantFuture, now.addingTimeInterval(maximumLifetime))
        if let lifetime = options.lifetime { expiresAt = min(expiresAt, now.addingTimeInterval(TimeInterval(lifetime))) }
        return Issuer(signer: HS256(key: try await vault.ssoSigningKey(tenant: tenant, creating: true)), tenant: tenant,
                      id: IdentifierFormat.random(), issuedAt: Int(now.timeIntervalSince1970),
                      expiresAt: Int(expiresAt.timeIntervalSince1970), singleUse: options.singleUse)
    }

    /// Signs one token (one `jti`, one set of times) for a tenant: asked again for the same
    /// client it gives the same token, so a response rendered twice is one response.
    struct Issuer: Sendable {
        let signer: HS256
        let tenant: TenantID
        let id: String
        let issuedAt: Int
        let expiresAt: Int
        let singleUse: Bool

        func token(for client: SyncClientID) -> String {
            let claims = JWTClaims(issuer: SSOTokens.issuer, subject: client.rawValue, expiresAt: expiresAt, issuedAt: issuedAt,
                                   id: id, additional: singleUse ? ["nonce": true] : [:])
            return signer.sign(claims, keyID: tenant.rawValue)
        }
    }

    /// The session a token opens. Every refusal — unknown tenant, bad signature or algorithm,
    /// expiry, a reused single-use token — is `invalid_sso_token`; a valid token of a disabled
    /// tenant is `tenant_disabled` (and its nonce stays unused).
    func authenticate(_ token: String, actor: AuditActor) async throws -> Principal {
        let tenant = HS256.unverifiedKeyID(of: token).flatMap(TenantID.init(validating:))
        guard let tenant, let valid = try await verified(token, tenant: tenant) else {
            try await vault.refuseAuthentication(.invalidSSOToken, actor: actor)
        }
        let session = try await vault.clientSession(valid.client, tokenID: valid.id, tenant: tenant, actor: actor)
        if valid.singleUse {
            do {
                try await vault.consumeSSONonce(valid.id, tenant: tenant, expiresAt: valid.expiresAt)
            } catch VaultError.ssoTokenReused {
                try await vault.refuseAuthentication(.invalidSSOToken, actor: actor)
            }
        }
        return session
    }

    /// What a verified token says.
    private struct Verified {
        var client: SyncClientID
        var id: String
        var expiresAt: Date
        var singleUse: Bool
    }

    /// The token's claims once its signature and claims verified; nil when it is refused.
    /// Storage failures still throw.
    private func verified(_ token: String, tenant: TenantID) async throws -> Verified? {
        do {
            let key = try await vault.ssoSigningKey(tenant: tenant, creating: false)
            let claims = try HS256(key: key).verify(token, now: vault.now)
            guard claims.issuer == Self.issuer, let subject = claims.subject, let client = SyncClientID(validating: subject),
                  let expiresAt = claims.expiresAt, let id = claims.id
            else { return nil }
            return Verified(client: client, id: id, expiresAt: Date(timeIntervalSince1970: TimeInterval(expiresAt)),
                            singleUse: claims.additional["nonce"] == .bool(true))
        } catch is JWTError {
            return nil
        } catch VaultError.unauthenticated {
            return nil
        }
    }
}
