import VaultCrypto

/// How a card is encrypted at rest: AES-256-GCM under a data-key version, with the tenant, the
/// token and the version as associated data, so a ciphertext copied onto another row fails to open.
/// The plaintext is the packed `CardNumber|YYYYMM|` form; a security code is never part of it.
enum CardSealing {
    /// Which table the ciphertext belongs to: a single-use token's ciphertext must not open as a card.
    enum Kind: String {
        case card = "coffer-card-v1|"
        case singleUseToken = "coffer-card-token-v1|"
    }

    static func associatedData(_ kind: Kind, tenant: TenantID, token: Token, keyVersion: Int) -> [UInt8] {
        var aad = Array(kind.rawValue.utf8)
        aad += tenant.rawValue.utf8
        aad.append(UInt8(ascii: "|"))
        aad += token.rawValue.utf8
        aad.append(UInt8(ascii: "|"))
        aad += String(keyVersion).utf8
        return aad
    }

    static func seal(_ kind: Kind = .card, number: PrimaryAccountNumber, expiration: ExpirationDate?,
                     key: SymmetricKey, tenant: TenantID, token: Token, keyVersion: Int) -> [UInt8] {
        let stored = CardData(number: number, expiration: expiration, securityCode: nil)
        let plaintext = SecretBytes(stored.packed.utf8)
        let aad = associatedData(kind, tenant: tenant, token: token, keyVersion: keyVersion)
        // A valid 32-byte key and a fresh random nonce: sealing cannot fail.
        return try! AESGCM.seal(plaintext, using: key, authenticating: aad).combined
    }

    static func open(_ ciphertext: [UInt8], as kind: Kind = .card, key: SymmetricKey, tenant: TenantID, token: Token,
                     keyVersion: Int) throws(VaultError) -> CardData {
        let aad = associatedData(kind, tenant: tenant, token: token, keyVersion: keyVersion)
        do {
            let plaintext = try AESGCM.open(AESGCMSealedBox(combined: ciphertext), using: key, authenticating: aad)
            let packed = plaintext.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            return try CardData(packed: packed)
        } catch {
            throw .integrityFailure
        }
    }
}
