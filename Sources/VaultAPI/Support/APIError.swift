import HTTPServer
import JSON
import VaultCore

/// An error as the native API answers it: `{"error": {"code": "...", "message": "..."}}` with a
/// stable snake_case code. Messages never echo request data.
struct APIError: Error, Sendable {
    var status: HTTPStatus
    var code: String
    var message: String

    static func badRequest(_ code: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: code, message: message)
    }

    static func invalidJSON(_ error: JSONParseError) -> APIError {
        .badRequest("invalid_json", "The body is not valid JSON (\(error.reason) at byte \(error.offset)).")
    }

    static func field(_ error: JSONFieldError) -> APIError {
        switch error {
        case .unknownField: .badRequest("unknown_field", error.message)
        case .missing: .badRequest("missing_field", error.message)
        default: .badRequest("invalid_field", error.message)
        }
    }

    static let forbidden = APIError(status: .forbidden, code: "forbidden", message: VaultError.forbidden.message)
    static let internalError = APIError(status: .internalServerError, code: "internal_error",
                                        message: "The request could not be completed.")
    /// A retry of a request whose response named something deleted since: neither replayed nor performed again.
    static let idempotentSubjectDeleted = APIError(
        status: .gone, code: "idempotent_subject_deleted",
        message: "What the first request with this Idempotency-Key created was deleted since.")

    var response: HTTPResponse {
        JSONResponse.make(status, .object(["error": .object(["code": .string(code), "message": .string(message)])]))
    }
}

extension APIError {
    /// How each vault failure is answered.
    init(_ error: VaultError) {
        let status: HTTPStatus = switch error {
        case .card, .bankAccount, .brandMismatch, .keyExpired, .cardTokenNotFound, .cardTokenExpired, .invalidSubClientID,
             .accountKindMismatch: .badRequest
        case .cardNotFound, .accountNotFound, .tenantNotFound, .keyNotFound, .syncClientNotFound, .outboxMessageNotFound: .notFound
        case .keyDeleted, .accountDeleted: .gone
        case .referenceLookupExpired: .misdirectedRequest
        case .tooManyActiveKeys, .duplicateCard, .subClientIDTaken, .paymentMethodIdentifierTaken, .outboxMessageNotDead: .conflict
        case .platform: .unprocessableEntity
        case .unauthenticated, .ssoTokenReused: .unauthorized
        case .tooManyFailedAuthentications: .tooManyRequests
        case .forbidden: .forbidden
        case .rateLimited: .tooManyRequests
        case .storage(.unavailable), .storage(.busy), .storage(.serializationFailure), .busy: .serviceUnavailable
        case .storage(.uniqueViolation): .conflict
        case .integrityFailure, .masterKeyMismatch, .invalidMasterKey, .storage: .internalServerError
        }
        self.init(status: status, code: error.code, message: error.message)
    }
}

/// How a family of routes writes its failures. The native API uses `APIError`'s envelope; a
/// compatibility dialect brings the envelope its clients parse. The headers HTTP asks of a
/// refusal are added here, once for every dialect.
struct ErrorStyle: Sendable {
    private let envelope: @Sendable (any Error, String) -> HTTPResponse

    init(_ envelope: @escaping @Sendable (any Error) -> HTTPResponse) {
        self.envelope = { error, _ in envelope(error) }
    }

    /// An envelope that names the request (connectFi's `requestId`).
    init(naming envelope: @escaping @Sendable (any Error, _ requestID: String) -> HTTPResponse) {
        self.envelope = envelope
    }

    /// The envelope; a 401 names the scheme to authenticate with (RFC 9110 §11.6.1), and a 429 —
    /// a source over its failure budget, a key over its limit — or a 503 of a full pool for heavy
    /// work says when to try again.
    func response(_ error: any Error, requestID: String = "") -> HTTPResponse {
        var response = envelope(error, requestID)
        if response.status == .unauthorized { response.headers.replaceOrAdd("WWW-Authenticate", "Bearer") }
        if let seconds = (error as? VaultError)?.retryAfter {
            response.headers.replaceOrAdd("Retry-After", String(seconds))
        }
        return response
    }

    static let native = ErrorStyle { error in
        switch error {
        case let error as APIError: error.response
        case let error as VaultError: APIError(error).response
        default: APIError.internalError.response
        }
    }
}

enum JSONResponse {
    static func make(_ status: HTTPStatus, _ body: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: JSONWriter.write(body))
    }

    static func make(_ stored: StoredResponse) -> HTTPResponse {
        let status = HTTPStatus(rawValue: stored.status) ?? .ok
        return stored.body.isEmpty
            ? HTTPResponse(status: status)
            : HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: stored.body)
    }
}
