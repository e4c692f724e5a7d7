import VaultCrypto

/// How secrets are encrypted at rest: AES-256-GCM under a data-key version, with the kind of
/// record, the tenant, the token and the version as associated data, so a ciphertext copied onto
/// another row — or into another column — fails to open. Cards are sealed in their packed
/// `CardNumber|YYYYMM|` form; a security code is never part of it.
enum RecordSealing {
    /// What the ciphertext is: a single-use token's card must not open as a stored card, nor a
    /// holder's details as a bank account number.
    enum Kind: String {
        case card = "coffer-card-v1|"
        case singleUseToken = "coffer-card-token-v1|"
        case bankAccountNumber = "coffer-bank-account-v1|"
        case accountHolder = "coffer-account-holder-v1|"
        case syncClientMeta = "coffer-sync-client-v1|"
        case paymentMethodDetails = "coffer-payment-method-v1|"
        case stripeAccessToken = "coffer-stripe-access-token-v1|"
        case platformClientProfile = "coffer-platform-client-v1|"
        case cardholderName = "coffer-cardholder-name-v1|"
        case outboxPayload = "coffer-outbox-payload-v1|"
        case profileCustomer = "coffer-profile-customer-v1|"
        case profileCardReference = "coffer-profile-card-reference-v1|"
        case profileCard = "coffer-profile-card-v1|"
        case signingSecret = "coffer-signing-secret-v1|"
        case patronProfile = "coffer-patron-v1|"
        case patronContact = "coffer-patron-contact-v1|"
        case patronCardDetails = "coffer-patron-card-v1|"
        /// A recorded idempotent response; its subject is the record's lookup MAC.
        case idempotentResponse = "coffer-idempotent-response-v2|"
    }

    /// `subject` is the row's identifier: a token, a client, payment-method or gateway-card id, an
    /// idempotency record's lookup MAC, or for a one-row-per-tenant record the tenant id.
    static func associatedData(_ kind: Kind, tenant: TenantID, subject: String, keyVersion: Int) -> [UInt8] {
        var aad = Array(kind.rawValue.utf8)
        aad += tenant.rawValue.utf8
        aad.append(UInt8(ascii: "|"))
        aad += subject.utf8
        aad.append(UInt8(ascii: "|"))
        aad += String(keyVersion).utf8
        return aad
    }

    static func seal(_ kind: Kind, _ plaintext: SecretBytes, key: SymmetricKey, tenant: TenantID, subject: String,
                     keyVersion: Int) -> [UInt8] {
        seal(plaintext, key: key, associatedData: associatedData(kind, tenant: tenant, subject: subject, keyVersion: keyVersion))
    }

    static func open(_ kind: Kind, _ ciphertext: [UInt8], key: SymmetricKey, tenant: TenantID, subject: String,
                     keyVersion: Int) throws(VaultError) -> SecretBytes {
        try open(ciphertext, key: key,
                 associatedData: associatedData(kind, tenant: tenant, subject: subject, keyVersion: keyVersion))
    }

    static func seal(_ plaintext: SecretBytes, key: SymmetricKey, associatedData aad: [UInt8]) -> [UInt8] {
        // A valid 32-byte key and a fresh random nonce: sealing cannot fail.
        try! AESGCM.seal(plaintext, using: key, authenticating: aad).combined
    }

    /// Any failure — tampering, a swapped row, the wrong key — is `integrityFailure`.
    static func open(_ ciphertext: [UInt8], key: SymmetricKey, associatedData aad: [UInt8]) throws(VaultError) -> SecretBytes {
        do {
            return try AESGCM.open(AESGCMSealedBox(combined: ciphertext), using: key, authenticating: aad)
        } catch {
            throw .integrityFailure
        }
    }

    static func seal(_ kind: Kind = .card, number: PrimaryAccountNumber, expiration: ExpirationDate?,
                     key: SymmetricKey, tenant: TenantID, token: Token, keyVersion: Int) -> [UInt8] {
        let stored = CardData(number: number, expiration: expiration, securityCode: nil)
        return seal(kind, SecretBytes(stored.packed.utf8), key: key, tenant: tenant, subject: token.rawValue,
                    keyVersion: keyVersion)
    }

    static func open(_ ciphertext: [UInt8], as kind: Kind = .card, key: SymmetricKey, tenant: TenantID, token: Token,
                     keyVersion: Int) throws(VaultError) -> CardData {
        let plaintext = try open(kind, ciphertext, key: key, tenant: tenant, subject: token.rawValue, keyVersion: keyVersion)
        let packed = plaintext.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        do { return try CardData(packed: packed) } catch { throw .integrityFailure }
    }
}
