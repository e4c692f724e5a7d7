/// Every failure the vault reports, each with a stable code that the HTTP layers map to a status.
/// Messages are written for humans and never contain card data or secrets.
public enum VaultError: Error, Equatable, Sendable {
    case card(CardError)
    case cardNotFound
    /// The single-use token is unknown, already used, or belongs to another tenant.
    case cardTokenNotFound
    case cardTokenExpired
    case tenantNotFound
    case keyNotFound
    case keyDeleted
    case keyExpired
    case tooManyActiveKeys(limit: Int)
    /// The card is already stored and the caller asked to refuse duplicates; the earlier tokens, oldest first.
    case duplicateCard(existing: [Token])
    /// A stored ciphertext did not authenticate: tampered, swapped between rows, or under a lost key.
    case integrityFailure
    case unauthenticated
    case forbidden
    case masterKeyMismatch
    case invalidMasterKey(String)
    case storage(StorageError)

    public var code: String {
        switch self {
        case .card(let error): error.code
        case .cardNotFound: "card_not_found"
        case .cardTokenNotFound: "card_token_not_found"
        case .cardTokenExpired: "card_token_expired"
        case .tenantNotFound: "tenant_not_found"
        case .keyNotFound: "key_not_found"
        case .keyDeleted: "key_deleted"
        case .keyExpired: "key_expired"
        case .tooManyActiveKeys: "too_many_active_keys"
        case .duplicateCard: "duplicate_card"
        case .integrityFailure: "integrity_failure"
        case .unauthenticated: "unauthenticated"
        case .forbidden: "forbidden"
        case .masterKeyMismatch: "master_key_mismatch"
        case .invalidMasterKey: "invalid_master_key"
        case .storage(let error): error.code
        }
    }

    public var message: String {
        switch self {
        case .card(let error): error.message
        case .cardNotFound: "No card with this token."
        case .cardTokenNotFound: "No unused card token with this value."
        case .cardTokenExpired: "This card token has expired."
        case .tenantNotFound: "No such tenant."
        case .keyNotFound: "No key with this keyID."
        case .keyDeleted: "This key was deleted."
        case .keyExpired: "This key has expired."
        case .tooManyActiveKeys(let limit): "A tenant may have at most \(limit) active keys; delete one first."
        case .duplicateCard: "This card is already stored."
        case .integrityFailure: "The stored card failed its integrity check."
        case .unauthenticated: "Missing or invalid API key."
        case .forbidden: "This API key may not do that."
        case .masterKeyMismatch: "The master key does not match the one this store was created with."
        case .invalidMasterKey(let reason): "Invalid master key: \(reason)."
        case .storage: "The store could not complete the operation."
        }
    }
}

extension VaultError {
    /// Runs storage work, mapping engine errors into the vault's vocabulary.
    static func mappingStorage<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StorageError {
            throw VaultError.storage(error)
        }
    }
}
