import HTTPServer
import JSON
import VaultCore
import VaultCrypto

/// A failure as connectFi clients read it: `{"requestId", "code", "subCode"?, "context"?,
/// "message"}`. Like connectFi, a refused request — an unknown card or customer included — is a
/// 400 with a code naming the cause (`cardNotFound`, `customerNotFound`, `referenceExists`,
/// `validationError`); bad credentials are 401 `unauthorized` "Authentication error". Messages
/// name fields and rules, never values. The codes are listed in docs/api/connectfi.md.
struct ConnectFiError: Error, Sendable {
    var status: HTTPStatus
    var code: String
    var subCode: String?
    /// The field the error is about, as `{"field": path}`.
    var field: String?
    var message: String

    static let unauthorized = ConnectFiError(status: .unauthorized, code: "unauthorized", message: "Authentication error")
    static let malformedJSON = ConnectFiError(status: .badRequest, code: "validationError", subCode: "invalidJSON",
                                              message: "The request body must be a JSON object")
    static let internalError = ConnectFiError(status: .internalServerError, code: "internalError", message: "Internal error")

    init(status: HTTPStatus, code: String, subCode: String? = nil, field: String? = nil, message: String) {
        (self.status, self.code, self.subCode, self.field, self.message) = (status, code, subCode, field, message)
    }

    static func validation(_ error: JSONFieldError) -> ConnectFiError {
        let subCode = switch error {
        case .missing: "missingField"
        case .unknownField: "unknownField"
        default: "invalidField"
        }
        return ConnectFiError(status: .badRequest, code: "validationError", subCode: subCode, field: error.path,
                              message: error.message)
    }

    init(_ error: any Error) {
        switch error {
        case let error as ConnectFiError: self = error
        case let error as JSONFieldError: self = .validation(error)
        case let error as CardProfileError:
            self.init(status: error == .conflict ? .conflict : .badRequest, code: error.code, message: error.message)
        case VaultError.unauthenticated: self = .unauthorized
        case let error as VaultError: self.init(vault: error)
        case let error as APIError where error.status == .badRequest:
            // A native reader's refusal (card input): connectFi's one validation code, the native one as `subCode`.
            self.init(status: .badRequest, code: "validationError", subCode: error.code, message: error.message)
        case let error as APIError: self.init(status: error.status, code: error.code, message: error.message)
        default: self = .internalError
        }
    }

    /// Other vault failures keep the native code as `subCode`; a not-found is a 400, as connectFi answers it.
    private init(vault error: VaultError) {
        let native = APIError(error)
        switch native.status {
        case .internalServerError: self = .internalError
        case .notFound: self.init(status: .badRequest, code: "notFound", subCode: native.code, message: native.message)
        case .tooManyRequests: self.init(status: .tooManyRequests, code: "tooManyRequests", subCode: native.code, message: native.message)
        case .serviceUnavailable: self.init(status: .serviceUnavailable, code: "unavailable", message: native.message)
        default: self.init(status: .badRequest, code: "validationError", subCode: native.code, message: native.message)
        }
    }

    func response(requestID: String) -> HTTPResponse {
        var fields: [(String, JSONValue)] = [("requestId", .string(ConnectFiEnvelope.requestID(requestID))), ("code", .string(code))]
        if let subCode { fields.append(("subCode", .string(subCode))) }
        if let field { fields.append(("context", .object(["field": .string(field)]))) }
        fields.append(("message", .string(message)))
        return JSONResponse.make(status, .object(JSONObject(fields)))
    }

    static let style = ErrorStyle(naming: { error, requestID in ConnectFiError(error).response(requestID: requestID) })
}

/// connectFi's success envelope, `{"code": "0", "data": …, "requestId": <32 hex>}`.
enum ConnectFiEnvelope {
    static func success(_ data: JSONValue, requestID: String) -> HTTPResponse {
        JSONResponse.make(.ok, .object(JSONObject([("code", "0"), ("data", data), ("requestId", .string(self.requestID(requestID)))])))
    }

    /// connectFi's 32 lowercase hex characters for Coffer's request id (`X-Request-Id`): the id
    /// itself when it already has that shape, else the first 16 bytes of its SHA-256 in hex, so
    /// a body's `requestId` always leads to the request's log line. An unkeyed hash is enough: the
    /// request id is logged in the clear anyway and never holds 12 digits in a row (`VaultAPI.requestID`).
    static func requestID(_ id: String) -> String {
        if id.utf8.count == 32, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) { return id }
        return SHA256.hash(id.utf8).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
