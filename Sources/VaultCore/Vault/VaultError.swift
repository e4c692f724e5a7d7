/// Every failure the vault reports, each with a stable code that the HTTP layers map to a status.
/// Messages are written for humans and never contain card data or secrets.
public enum VaultError: Error, Equatable, Sendable {
    case card(CardError)
    case bankAccount(BankAccountError)
    /// A payment-settings, platform-client or gateway-card rule of the platform dialect.
    case platform(PlatformError)
    case cardNotFound
    case accountNotFound
    /// The account existed and was deleted.
    case accountDeleted
    /// A lookup by reference ID came after the window in which it is allowed.
    case referenceLookupExpired
    /// An update that would turn a card account into a bank account or back.
    case accountKindMismatch
    case syncClientNotFound
    /// The client holds a payment method of another type or number under this identifier.
    case paymentMethodIdentifierTaken
    /// A brand hint that contradicts the card number.
    case brandMismatch
    /// A single-use SSO token presented a second time.
    case ssoTokenReused
    /// The single-use token is unknown, already used, or belongs to another tenant.
    case cardTokenNotFound
    case cardTokenExpired
    case tenantNotFound
    /// A sub-client ID must be 4, 6 or 8 digits, on a sub-tenant.
    case invalidSubClientID
    case subClientIDTaken
    case keyNotFound
    case outboxMessageNotFound
    /// Only a dead message is retried by hand; a pending one is already being retried.
    case outboxMessageNotDead
    case keyDeleted
    case keyExpired
    case tooManyActiveKeys(limit: Int)
    /// The card is already stored and the caller asked to refuse duplicates; the earlier tokens,
    /// in the order the operation documents.
    case duplicateCard(existing: [Token])
    /// A stored ciphertext did not authenticate: tampered, swapped between rows, or under a lost key.
    case integrityFailure
    case unauthenticated
    /// A failed authentication from a source that has spent its failure budget; the seconds until
    /// its failures are answered `unauthenticated` again.
    case tooManyFailedAuthentications(retryAfter: Int)
    case forbidden
    /// The caller's API key is over its limit for this operation; nothing was done.
    case rateLimited(RateLimits.Operation, retryAfter: Int)
    /// The pool for heavy work (RSA key generation) is full; nothing was done.
    case busy(retryAfter: Int)
    case masterKeyMismatch
    case invalidMasterKey(String)
    case storage(StorageError)

    public var code: String {
        switch self {
        case .card(let error): error.code
        case .bankAccount(let error): error.code
        case .platform(let error): error.code
        case .cardNotFound: "card_not_found"
        case .accountNotFound: "account_not_found"
        case .accountDeleted: "account_deleted"
        case .referenceLookupExpired: "reference_lookup_expired"
        case .accountKindMismatch: "account_kind_mismatch"
        case .syncClientNotFound: "client_not_found"
        case .paymentMethodIdentifierTaken: "payment_method_identifier_taken"
        case .brandMismatch: "card_brand_mismatch"
        case .ssoTokenReused: "sso_token_reused"
        case .cardTokenNotFound: "card_token_not_found"
        case .cardTokenExpired: "card_token_expired"
        case .tenantNotFound: "tenant_not_found"
        case .invalidSubClientID: "invalid_sub_client_id"
        case .subClientIDTaken: "sub_client_id_taken"
        case .keyNotFound: "key_not_found"
        case .outboxMessageNotFound: "outbox_message_not_found"
        case .outboxMessageNotDead: "outbox_message_not_dead"
        case .keyDeleted: "key_deleted"
        case .keyExpired: "key_expired"
        case .tooManyActiveKeys: "too_many_active_keys"
        case .duplicateCard: "duplicate_card"
        case .integrityFailure: "integrity_failure"
        case .unauthenticated: "unauthenticated"
        case .tooManyFailedAuthentications: "too_many_failed_authentications"
        case .forbidden: "forbidden"
        case .rateLimited: "rate_limited"
        case .busy: "busy"
        case .masterKeyMismatch: "master_key_mismatch"
        case .invalidMasterKey: "invalid_master_key"
        case .storage(let error): error.code
        }
    }

    public var message: String {
        switch self {
        case .card(let error): error.message
        case .bankAccount(let error): error.message
        case .platform(let error): error.message
        case .cardNotFound: "No card with this token."
        case .accountNotFound: "No account with this ID."
        case .accountDeleted: "This account was deleted."
        case .referenceLookupExpired: "Lookups by reference ID are only possible shortly after creation."
        case .accountKindMismatch: "A card account stays a card account and a bank account a bank account."
        case .syncClientNotFound: "No client with this ID."
        case .paymentMethodIdentifierTaken:
            "This client already has a payment method of another type or number with this identifier; nothing was changed."
        case .brandMismatch: "The card brand given does not match the card number."
        case .ssoTokenReused: "This single-use token was already used."
        case .cardTokenNotFound: "No unused card token with this value."
        case .cardTokenExpired: "This card token has expired."
        case .tenantNotFound: "No such tenant."
        case .invalidSubClientID: "A sub-client ID is 4, 6 or 8 digits and only names a sub-tenant."
        case .subClientIDTaken: "This sub-client ID is already used under this tenant."
        case .keyNotFound: "No key with this keyID."
        case .outboxMessageNotFound: "No outbox message with this ID."
        case .outboxMessageNotDead: "Only a dead outbox message can be retried; this one is pending or delivered."
        case .keyDeleted: "This key was deleted."
        case .keyExpired: "This key has expired."
        case .tooManyActiveKeys(let limit): "A tenant may have at most \(limit) active keys; delete one first."
        case .duplicateCard: "This card is already stored."
        case .integrityFailure: "The stored card failed its integrity check."
        case .unauthenticated: "Missing or invalid API key."
        case .tooManyFailedAuthentications: "Too many failed authentications from this address; retry later."
        case .forbidden: "This API key may not do that."
        case .rateLimited(let operation, _): "This API key is over its \(operation.rawValue) limit; retry later."
        case .busy: "The server is busy with other key generations; retry later."
        case .masterKeyMismatch: "The master key does not match the one this store was created with."
        case .invalidMasterKey(let reason): "Invalid master key: \(reason)."
        case .storage: "The store could not complete the operation."
        }
    }
}

extension VaultError {
    /// Whole seconds until a refused caller may try again, for the failures that have one.
    public var retryAfter: Int? {
        switch self {
        case .tooManyFailedAuthentications(let seconds), .rateLimited(_, let seconds), .busy(let seconds): seconds
        // Contention that outlasted the engine's retries passes within a moment.
        case .storage(let error) where error.isTransient: 1
        default: nil
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
