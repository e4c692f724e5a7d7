import Foundation
import VaultCrypto

/// A single-use card token as handed to the caller: what a hosted card form or client SDK
/// gives a backend in place of card data.
public struct IssuedCardToken: Sendable {
    public var token: Token
    public var expiresAt: Date
    public var brand: CardBrand
    public var last4: String
    public var expiration: ExpirationDate?
}

extension Vault {
    public static let defaultCardTokenLifetime: TimeInterval = 600

    /// Holds card data briefly under a new single-use token. The security code is dropped. It
    /// stores card data, so it counts as a tokenize and is audited (`card.tokenize`, naming the
    /// single-use token) in the transaction that stores it.
    public func createCardToken(_ input: CardInput, tenant: TenantID, caller: Principal, actor: AuditActor,
                                lifetime: TimeInterval = Vault.defaultCardTokenLifetime,
                                idempotency: IdempotencyRecording<IssuedCardToken>? = nil) async throws -> IssuedCardToken {
        try admit([.tokenize], for: caller)
        let card = try await resolve(input, tenant: tenant)
        let now = clock()
        try validateExpiration(card, at: now)
        _ = try await keyring.fingerprintKey(for: tenant, storage: storage)  // the tenant exists
        let (version, key) = try activeDataKey()
        let token = Token.generate()
        let record = CardTokenRecord(
            token: token, tenantID: tenant,
            ciphertext: RecordSealing.seal(.singleUseToken, number: card.number, expiration: card.expiration, key: key,
                                         tenant: tenant, token: token, keyVersion: version),
            keyVersion: version, createdAt: now, expiresAt: now.addingTimeInterval(lifetime))
        let issued = IssuedCardToken(token: token, expiresAt: record.expiresAt, brand: card.number.brand,
                                     last4: card.number.last4, expiration: card.expiration)
        let event = Self.tokenizeEvent(token, tenant: tenant, actor: actor)
        let recordResponse = recorder(idempotency)
        try await write { writer in
            try writer.insertCardToken(record)
            try self.auditLog.append(event, at: now, to: writer)
            try recordResponse?(writer, issued)
        }
        return issued
    }

    /// Takes a single-use token: the first request to present it gets the card data, even if that
    /// request later fails for another reason; every later one gets `cardTokenNotFound`.
    func takeCardToken(_ token: Token, tenant: TenantID) async throws -> CardData {
        guard let record = try await write({ try $0.takeCardToken(token, tenant: tenant) }) else {
            throw VaultError.cardTokenNotFound
        }
        guard record.expiresAt > clock() else { throw VaultError.cardTokenExpired }
        let key = try await keyring.dataKey(version: record.keyVersion, storage: storage)
        return try RecordSealing.open(record.ciphertext, as: .singleUseToken, key: key, tenant: tenant, token: token,
                                    keyVersion: record.keyVersion)
    }
}
