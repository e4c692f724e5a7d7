import HTTPServer
import JSON
import VaultCore

/// A failure as TabaPay's clients read it: `{"SC": status, "EC": "8-character code", "EM": "terse
/// cause"}`. `EM` names the offending field or the cause in a few words and never carries request
/// data. The codes are Coffer's own, stable, and listed in docs/api/tabapay.md.
struct TabaPayError: Error, Sendable, Equatable {
    var status: HTTPStatus
    /// Eight characters: the status, then a three-digit reason (`40000102`).
    var code: String
    var message: String
    /// Set only on a refused duplicate: the matching accounts, most recent first.
    var duplicateAccountIDs: [Token] = []

    private init(_ status: HTTPStatus, _ reason: Int, _ message: String) {
        precondition((1...99_999).contains(reason))
        self.status = status
        let digits = String(reason)
        code = String(status.rawValue) + String(repeating: "0", count: 5 - digits.count) + digits
        self.message = message
    }

    static let malformedJSON = TabaPayError(.badRequest, 1, "JSON")
    static func invalidField(_ path: String) -> TabaPayError { TabaPayError(.badRequest, 2, path) }
    static func unknownField(_ path: String) -> TabaPayError { TabaPayError(.badRequest, 3, path) }
    static let queryString = TabaPayError(.badRequest, 4, "Query String")
    /// Every failure to decrypt or read encrypted card data: one answer, so nothing leaks which step failed.
    static let encryptedCardData = TabaPayError(.badRequest, 5, "card.data")
    static let keyExpired = TabaPayError(.badRequest, 6, "Key Expired")
    static let cardToken = TabaPayError(.badRequest, 7, "card.token")
    static let idempotencyKey = TabaPayError(.badRequest, 8, "Idempotency-Key")
    static let format = TabaPayError(.badRequest, 9, "Format")
    /// An update giving a bank account to a card account, or card data to a bank account.
    static let accountType = TabaPayError(.badRequest, 10, "Account Type")
    static let unauthenticated = TabaPayError(.unauthorized, 1, "Authorization")
    static let clientID = TabaPayError(.unauthorized, 2, "ClientID")
    static let forbidden = TabaPayError(.forbidden, 1, "Forbidden")
    static let deviceNotEnabled = TabaPayError(.forbidden, 2, "card.device Not Enabled")
    static let accountID = TabaPayError(.notFound, 1, "AccountID")
    static let keyID = TabaPayError(.notFound, 2, "KeyID")
    static let subClientID = TabaPayError(.notFound, 3, "SubClientID")
    static let referenceID = TabaPayError(.notFound, 4, "referenceID")
    static func duplicate(_ accounts: [Token]) -> TabaPayError {
        var error = TabaPayError(.conflict, 1, "Duplicate")
        error.duplicateAccountIDs = accounts
        return error
    }
    static let accountDeleted = TabaPayError(.gone, 1, "Account Deleted")
    static let keyDeleted = TabaPayError(.gone, 2, "Key Deleted")
    /// A retry of a Create Account whose account was deleted since.
    static let idempotentSubjectDeleted = TabaPayError(.gone, 3, "Idempotency-Key")
    static let referenceExpired = TabaPayError(.misdirectedRequest, 1, "referenceID")
    static let idempotencyMismatch = TabaPayError(.unprocessableEntity, 1, "Idempotency-Key")
    static let keysCreated = TabaPayError(.tooManyRequests, 1, "Keys Created")
    /// Too many failed authentications from the caller's address (`Retry-After` says for how long).
    static let tooManyFailures = TabaPayError(.tooManyRequests, 2, "Authorization")
    /// The API key is over its limit; `Retry-After` says when to come back.
    static let rateLimited = TabaPayError(.tooManyRequests, 3, "Rate Limited")
    static let internalError = TabaPayError(.internalServerError, 1, "Internal")
    static let unavailable = TabaPayError(.serviceUnavailable, 1, "Unavailable")
    /// Too many key generations under way; `Retry-After` says when to come back. Nothing was done.
    static let busy = TabaPayError(.serviceUnavailable, 2, "Busy")

    /// Refusals by the HTTP layer (bad framing, 413, 431, …): the server's status, a code per status.
    static func refusedByServer(_ error: HTTPParseError) -> TabaPayError {
        TabaPayError(error.status, 900, "Request")
    }

    var response: HTTPResponse {
        var fields: [(String, JSONValue)] = [
            ("SC", .number(JSONNumber(status.rawValue))), ("EC", .string(code)), ("EM", .string(message)),
        ]
        if !duplicateAccountIDs.isEmpty {
            fields.append(("duplicateAccountIDs", .array(duplicateAccountIDs.map { .string($0.rawValue) })))
        }
        return JSONResponse.make(status, .object(JSONObject(fields)))
    }

    /// Routes of the dialect answer every failure in TabaPay's envelope.
    static let style = ErrorStyle { error in TabaPayError(error).response }

    /// How each failure of the layers below reads in TabaPay's vocabulary.
    init(_ error: any Error) {
        switch error {
        case let error as TabaPayError: self = error
        case let error as VaultError: self.init(vault: error)
        case let error as APIError: self.init(api: error)
        default: self = .internalError
        }
    }

    private init(vault error: VaultError) {
        switch error {
        case .card(.invalidCardNumber), .card(.luhnCheckFailed): self = .invalidField("card.accountNumber")
        case .card(.invalidExpirationDate), .card(.expiredCard): self = .invalidField("card.expirationDate")
        case .card(.invalidSecurityCode), .card(.malformedCardData), .card(.invalidEncryptedData): self = .encryptedCardData
        case .card(.invalidKeyID): self = .invalidField("card.keyID")
        case .card(.unsupportedEncryptionMode): self = .invalidField("card.mode")
        case .bankAccount(.invalidRoutingNumber), .bankAccount(.routingCheckFailed): self = .invalidField("bank.routingNumber")
        case .bankAccount(.invalidAccountNumber): self = .invalidField("bank.accountNumber")
        case .bankAccount(.invalidAccountType): self = .invalidField("bank.accountType")
        case .cardTokenNotFound, .cardTokenExpired: self = .cardToken
        case .accountNotFound, .cardNotFound: self = .accountID
        case .accountDeleted: self = .accountDeleted
        case .accountKindMismatch: self = .accountType
        case .referenceLookupExpired: self = .referenceExpired
        case .keyNotFound: self = .keyID
        case .keyDeleted: self = .keyDeleted
        case .keyExpired: self = .keyExpired
        case .tooManyActiveKeys: self = .keysCreated
        case .duplicateCard(let existing): self = .duplicate(existing)
        case .tenantNotFound, .invalidSubClientID: self = .subClientID
        case .unauthenticated: self = .unauthenticated
        case .tooManyFailedAuthentications: self = .tooManyFailures
        case .forbidden: self = .forbidden
        case .rateLimited: self = .rateLimited
        case .storage(.unavailable), .storage(.busy), .storage(.serializationFailure): self = .unavailable
        case .busy: self = .busy
        case .syncClientNotFound, .brandMismatch, .ssoTokenReused, .platform,
             .subClientIDTaken, .integrityFailure, .masterKeyMismatch, .invalidMasterKey, .storage,
             .paymentMethodIdentifierTaken, .outboxMessageNotFound, .outboxMessageNotDead: self = .internalError
        }
    }

    private init(api error: APIError) {
        switch error.code {
        case "invalid_json": self = .malformedJSON
        case "forbidden": self = .forbidden
        case "invalid_idempotency_key": self = .idempotencyKey
        case "idempotency_key_reused": self = .idempotencyMismatch
        case "idempotent_subject_deleted": self = .idempotentSubjectDeleted
        default: self = error.status.rawValue >= 500 ? .internalError : .invalidField("Request")
        }
    }
}
