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

    static let unauthenticated = APIError(status: .unauthorized, code: "unauthenticated",
                                          message: VaultError.unauthenticated.message)
    static let forbidden = APIError(status: .forbidden, code: "forbidden", message: VaultError.forbidden.message)
    static let internalError = APIError(status: .internalServerError, code: "internal_error",
                                        message: "The request could not be completed.")

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
        case .cardNotFound, .accountNotFound, .tenantNotFound, .keyNotFound, .syncClientNotFound: .notFound
        case .keyDeleted, .accountDeleted: .gone
        case .referenceLookupExpired: .misdirectedRequest
        case .tooManyActiveKeys, .duplicateCard, .subClientIDTaken: .conflict
        case .platform: .unprocessableEntity
        case .unauthenticated, .ssoTokenReused: .unauthorized
        case .forbidden: .forbidden
        case .rateLimited: .tooManyRequests
        case .storage(.unavailable): .serviceUnavailable
        case .storage(.constraintViolation): .conflict
        case .integrityFailure, .masterKeyMismatch, .invalidMasterKey, .storage: .internalServerError
        }
        self.init(status: status, code: error.code, message: error.message)
    }
}

/// How a family of routes writes its failures. The native API uses `APIError`'s envelope; a
/// compatibility dialect brings the envelope its clients parse.
struct ErrorStyle: Sendable {
    let response: @Sendable (any Error) -> HTTPResponse

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
