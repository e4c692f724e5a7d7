import HTTPServer
import JSON
import VaultCore

/// A failure as Ticket Evolution clients read it: `{"error": "<sentence>"}`, plus Coffer's stable
/// `code`. A bad or missing signature is 401, an id in the path that names nothing of the caller's
/// tenant 404, a refused body or a declined card 422, no answer from the card verifier 503. The
/// sentence names a field or a rule, never a value (docs/api/ticketevolution.md, "Errors").
struct TEvoError: Error, Sendable, Equatable {
    var status: HTTPStatus
    var code: String
    var message: String

    static let unauthorized = TEvoError(status: .unauthorized, code: "unauthorized", message: "Unauthorized")
    static let tooManyFailures = TEvoError(status: .tooManyRequests, code: "too_many_failed_authentications",
                                           message: "Too many failed authentications")
    static let rateLimited = TEvoError(status: .tooManyRequests, code: "rate_limited", message: "Too many requests")
    static let malformedJSON = TEvoError(status: .unprocessableEntity, code: "invalid_json",
                                         message: "The request body must be a JSON object")
    static let internalError = TEvoError(status: .internalServerError, code: "internal_error", message: "Internal error")
    static let unavailable = TEvoError(status: .serviceUnavailable, code: "unavailable", message: "Service unavailable")

    /// 404 for an id in the path: "Client not found", "Address not found", ….
    static func notFound(_ error: PatronError) -> TEvoError {
        let thing = switch error {
        case .addressNotFound: "Address"
        case .phoneNumberNotFound: "Phone number"
        case .cardNotFound: "Credit card"
        default: "Client"
        }
        return TEvoError(status: .notFound, code: error.code, message: "\(thing) not found")
    }

    static func invalidQuery(_ message: String) -> TEvoError {
        TEvoError(status: .unprocessableEntity, code: "invalid_query", message: message)
    }

    var response: HTTPResponse {
        JSONResponse.make(status, .object(JSONObject([("error", .string(message)), ("code", .string(code))])))
    }

    static let style = ErrorStyle { error in TEvoError(error).response }

    init(status: HTTPStatus, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    init(_ error: any Error) {
        switch error {
        case let error as TEvoError: self = error
        case let error as JSONFieldError:
            let code = if case .missing = error { "missing_field" } else { "invalid_field" }
            self.init(status: .unprocessableEntity, code: code, message: error.message)
        case let error as PatronError: self.init(patron: error)
        case let error as VaultError: self.init(vault: error)
        case let error as APIError:
            self = error.status == .unauthorized ? .unauthorized
                : error.status.rawValue >= 500 ? .internalError
                : TEvoError(status: error.status, code: error.code, message: error.message)
        default: self = .internalError
        }
    }

    /// Ids named in a body that are not the client's are 422 (the request cannot be done); a
    /// handler turns ids named in the path into 404 (`notFound`).
    private init(patron error: PatronError) {
        switch error {
        case .patronNotFound, .cardNotFound, .credentialNotFound: self = .notFound(error)
        case .addressNotFound:
            self.init(status: .unprocessableEntity, code: error.code, message: "address_id is not an address of this client")
        case .phoneNumberNotFound:
            self.init(status: .unprocessableEntity, code: error.code,
                      message: "phone_number_id is not a phone number of this client")
        case .cardDeclined(let index, let decline):
            self.init(status: .unprocessableEntity, code: error.code,
                      message: "Credit card \(index + 1) could not be verified: \(decline.message)")
        case .verificationUnavailable(let index, _):
            self.init(status: .serviceUnavailable, code: error.code,
                      message: "Credit card \(index + 1) could not be verified now; nothing was stored, try again later")
        }
    }

    private init(vault error: VaultError) {
        switch error {
        case .unauthenticated: self = .unauthorized
        case .tooManyFailedAuthentications: self = .tooManyFailures
        case .rateLimited: self = .rateLimited
        case .card(let card): self.init(status: .unprocessableEntity, code: card.code, message: card.message)
        case .storage(.unavailable), .storage(.busy), .storage(.serializationFailure), .busy: self = .unavailable
        default: self = .internalError
        }
    }
}
