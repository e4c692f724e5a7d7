import HTTPServer
import JSON
import VaultCore

/// A failure as inTandem (vcita) platform clients read it: `{"status": "Error", "error": "…"}`.
/// Like the platform, every refusal of a request's content or of a business rule is a 422; a bad
/// key is 401/403, an unknown id in the path 404, a server failure 5xx. The sentence names a
/// field or a rule, never a value. The messages are listed in docs/api/intandem.md.
struct InTandemError: Error, Sendable, Equatable {
    var status: HTTPStatus
    var message: String

    static let malformedJSON = InTandemError(status: .unprocessableEntity, message: "The request body must be a JSON object")
    static let unauthenticated = InTandemError(status: .unauthorized, message: "Unauthorized")
    static let forbidden = InTandemError(status: .forbidden, message: "Forbidden")
    static let tooManyFailures = InTandemError(status: .tooManyRequests, message: "Too many failed authentications")
    /// The API key is over one of its limits; `Retry-After` says when to come back.
    static let rateLimited = InTandemError(status: .tooManyRequests, message: "Too many requests")
    static let internalError = InTandemError(status: .internalServerError, message: "Internal error")
    static let unavailable = InTandemError(status: .serviceUnavailable, message: "Service unavailable")

    /// A query parameter the route takes, out of its range.
    static func invalidQuery(_ message: String) -> InTandemError {
        InTandemError(status: .unprocessableEntity, message: message)
    }

    /// An id in the path that names nothing of the caller's tenant.
    static func notFound(_ error: PlatformError) -> InTandemError {
        InTandemError(status: .notFound, message: error.message)
    }

    var response: HTTPResponse {
        JSONResponse.make(status, ["status": "Error", "error": .string(message)])
    }

    /// Routes of the dialect answer every failure in this envelope.
    static let style = ErrorStyle { error in InTandemError(error).response }

    init(status: HTTPStatus, message: String) {
        self.status = status
        self.message = message
    }

    init(_ error: any Error) {
        switch error {
        case let error as InTandemError: self = error
        case let error as JSONFieldError: self.init(field: error)
        case let error as PlatformError: self.init(vault: .platform(error))
        case let error as VaultError: self.init(vault: error)
        case let error as APIError: self.init(api: error)
        default: self = .internalError
        }
    }

    /// `"Mandatory parameter customer_id is missing"`, as the platform words it; other field
    /// errors say what the named field must be.
    private init(field error: JSONFieldError) {
        let message = if case .missing(let path) = error { "Mandatory parameter \(path) is missing" } else { error.message }
        self.init(status: .unprocessableEntity, message: message)
    }

    private init(vault error: VaultError) {
        switch error {
        case .platform(.cardNotFound): self = .notFound(.cardNotFound)
        case .platform(let error) where error == .actingForBusinessNotAllowed || error == .businessNotInDirectory:
            self.init(status: .forbidden, message: error.message)
        case .platform(let error): self.init(status: .unprocessableEntity, message: error.message)
        case .unauthenticated: self = .unauthenticated
        case .tooManyFailedAuthentications: self = .tooManyFailures
        case .forbidden: self = .forbidden
        case .rateLimited: self = .rateLimited
        case .storage(.unavailable), .storage(.busy), .storage(.serializationFailure), .busy: self = .unavailable
        // Failures of other parts of the vault, which no route of this dialect reaches.
        case .card, .bankAccount, .cardNotFound, .accountNotFound, .accountDeleted, .referenceLookupExpired,
             .accountKindMismatch, .cardTokenNotFound, .cardTokenExpired, .tenantNotFound, .invalidSubClientID, .subClientIDTaken, .keyNotFound,
             .keyDeleted, .keyExpired, .tooManyActiveKeys, .duplicateCard, .integrityFailure, .masterKeyMismatch,
             .invalidMasterKey, .syncClientNotFound, .brandMismatch, .ssoTokenReused, .storage,
             .paymentMethodIdentifierTaken, .outboxMessageNotFound, .outboxMessageNotDead:
            self = .internalError
        }
    }

    private init(api error: APIError) {
        switch error.status {
        case .unauthorized: self = .unauthenticated
        case .forbidden: self = .forbidden
        case let status where status.rawValue >= 500: self = .internalError
        default: self.init(status: .unprocessableEntity, message: error.message)
        }
    }
}
