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

    static let issuer = "coffer"
    static let defaultLifetime: TimeInterval = 24 * 3600
    static let maximumLifetime: TimeInterval = 30 * 24 * 3600

    /// A bearer credential with a JWT's shape (three dot-separated parts) is verified here;
    /// API keys (`ck_…`) never contain a dot. Counts over the contiguous bytes: stepping through
    /// a `Substring.UTF8View` costs several nanoseconds a byte, on every authenticated request.
    static func looksLikeToken(_ credential: Substring) -> Bool {
        var credential = credential
        return credential.withUTF8 { $0.count(where: { $0 == UInt8(ascii: ".") }) } == 2
    }

    /// What a caller may ask of a new token.
    struct Options: Sendable {
        /// Defaults to 24 hours from now.
        var expiration: Date?
        /// Seconds; caps the lifetime further (`accessTokenExpiresIn`).
        var lifetime: Int?
        var singleUse = false
    }

    /// Checks the requested lifetime and fetches the tenant's key, so tokens can then be signed
    /// synchronously — inside the transaction that decides the client, for an idempotent replay.
    func issuer(for tenant: TenantID, _ options: Options) async throws -> Issuer {
        let now = vault.now
        var expiresAt = options.expiration ?? now.addingTimeInterval(Self.defaultLifetime)
        if let lifetime = options.lifetime { expiresAt = min(expiresAt, now.addingTimeInterval(TimeInterval(lifetime))) }
        guard expiresAt > now, expiresAt.timeIntervalSince(now) <= Self.maximumLifetime else {
            throw APIError.badRequest("invalid_field", "The token must expire in the future, within 30 days.")
        }
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

    /// The session a token opens; every refusal — unknown tenant, bad signature or algorithm,
    /// expiry, a reused single-use token — is the same 401, and is audited.
    func authenticate(_ token: String) async throws -> Principal {
        let tenant = HS256.unverifiedKeyID(of: token).flatMap(TenantID.init(validating:))
        if let tenant, let principal = try await session(token, tenant: tenant) { return principal }
        try await vault.recordFailedAuthentication(tenant: tenant, subject: "sso-token")
        throw APIError.unauthenticated
    }

    /// Nil when the token is refused; storage failures still throw.
    private func session(_ token: String, tenant: TenantID) async throws -> Principal? {
        do {
            let key = try await vault.ssoSigningKey(tenant: tenant, creating: false)
            let claims = try HS256(key: key).verify(token, now: vault.now)
            guard claims.issuer == Self.issuer, let subject = claims.subject, let client = SyncClientID(validating: subject),
                  let expiresAt = claims.expiresAt, let id = claims.id
            else { return nil }
            if claims.additional["nonce"] == .bool(true) {
                try await vault.consumeSSONonce(id, tenant: tenant, expiresAt: Date(timeIntervalSince1970: TimeInterval(expiresAt)))
            }
            return Principal(tenantID: tenant, credential: .clientSession(client), roles: [], limits: .unlimited)
        } catch is JWTError {
            return nil
        } catch VaultError.unauthenticated, VaultError.ssoTokenReused {
            return nil
        }
    }
}
