import Foundation
import HTTPClient
import HTTPServer
import JSON
import Logging
import VaultCore

/// Where the card gateway is and how Coffer signs in to it. From configuration; the private key
/// is a secret (read from a file or the environment, never a command-line argument).
public struct GatewayConfiguration: Sendable {
    /// The API's base URL, `https://…` (plain `http://` only to loopback, for tests).
    public var baseURL: String
    public var merchantID: String
    /// Basic authentication: the public key is the user name, the private key the password
    /// (Braintree's API keys work this way).
    public var publicKey: String
    public var privateKey: String
    /// Trust anchors, timeouts and size bounds of the HTTPS calls.
    public var client = HTTPClientConfiguration()

    public init(baseURL: String, merchantID: String, publicKey: String, privateKey: String) {
        self.baseURL = baseURL
        self.merchantID = merchantID
        self.publicKey = publicKey
        self.privateKey = privateKey
    }
}

/// Mode `gateway`: verification through a Braintree-style card gateway over HTTPS — authorize
/// (`POST /merchants/{merchant}/authorizations`), then void (`POST …/authorizations/{id}/void`).
/// The JSON shapes are written down in docs/card-verification.md.
///
/// The card number and security code travel only in the request body; nothing here logs a
/// request, and every text taken from the gateway's answer passes `Redactor` before it reaches
/// a reason, so a gateway that echoes the card number cannot put it into Coffer's errors.
public final class GatewayCardVerifier: CardVerifier {
    private let configuration: GatewayConfiguration
    private let client: HTTPClient
    private let authorization: String

    public init(configuration: GatewayConfiguration) throws(HTTPClientError) {
        self.configuration = configuration
        client = try HTTPClient(configuration: configuration.client)
        let credentials = Data("\(configuration.publicKey):\(configuration.privateKey)".utf8).base64EncodedString()
        authorization = "Basic \(credentials)"
    }

    public func authorize(
        _ card: CardToVerify, securityCode: SecurityCode?, address: BillingAddress?, amount: VerificationAmount
    ) async -> CardAuthorization {
        let body = Self.authorizationBody(card, securityCode: securityCode, address: address, amount: amount)
        let transaction: JSONReader
        do throws(CardVerifierFailure) {
            transaction = try await call(path: "authorizations", body: body)
        } catch {
            return .failed(error)
        }
        do throws(JSONFieldError) {
            let status = try transaction.string("status")
            switch status {
            case "AUTHORIZED":
                return .approved(CardAuthorizationID(rawValue: try Self.identifier(transaction)))
            case "PROCESSOR_DECLINED":
                let response = try transaction.optionalObject("processorResponse")
                let code = try response?.optionalString("code")
                let message = try response?.optionalString("message") ?? "Processor declined"
                return .declined(CardDecline(
                    code: "processor_declined", message: Self.clean([code, message].compactMap { $0 }.joined(separator: " "))))
            case "GATEWAY_REJECTED":
                let reason = try transaction.optionalString("gatewayRejectionReason") ?? "rejected"
                return .declined(CardDecline(code: "gateway_rejected", message: Self.clean("Gateway rejected: \(reason)")))
            case "FAILED":
                return .failed(.unavailable("the processor failed"))
            default:
                return .failed(.invalidResponse("unknown transaction status '\(Self.clean(status))'"))
            }
        } catch {
            return .failed(.invalidResponse(Self.clean(error.message)))
        }
    }

    public func void(_ authorization: CardAuthorizationID) async throws(CardVerifierFailure) {
        let transaction = try await call(path: "authorizations/\(Self.pathSegment(authorization.rawValue))/void", body: [])
        let status: String
        do throws(JSONFieldError) {
            status = try transaction.string("status")
        } catch {
            throw .invalidResponse(Self.clean(error.message))
        }
        guard status == "VOIDED" else { throw .invalidResponse("void answered '\(Self.clean(status))'") }
    }

    /// POSTs `body` and returns the `transaction` object of a 2xx answer.
    private func call(path: String, body: [UInt8]) async throws(CardVerifierFailure) -> JSONReader {
        let base = configuration.baseURL.hasSuffix("/") ? String(configuration.baseURL.dropLast()) : configuration.baseURL
        let merchant = Self.pathSegment(configuration.merchantID)
        let request = HTTPClientRequest(
            method: "POST", url: "\(base)/merchants/\(merchant)/\(path)",
            headers: ["Authorization": authorization, "Content-Type": "application/json", "Accept": "application/json"],
            body: body)
        let response: HTTPClientResponse
        do throws(HTTPClientError) {
            response = try await client.send(request)
        } catch {
            throw .unavailable(error.code)
        }
        guard (200...299).contains(response.status.rawValue) else {
            throw .gatewayError(status: response.status.rawValue)
        }
        do {
            return try JSONReader.object(JSONParser.parse(response.body)).object("transaction")
        } catch let error as JSONFieldError {
            throw .invalidResponse(Self.clean(error.message))
        } catch {
            throw .invalidResponse("the body is not JSON")
        }
    }

    private static func identifier(_ transaction: JSONReader) throws(JSONFieldError) -> String {
        let id = try transaction.string("id")
        guard !id.isEmpty, id.utf8.count <= 64 else { throw transaction.invalid("id", reason: "must be 1 to 64 characters") }
        return id
    }

    /// The request body. Field names follow Braintree's (`creditCard`, `cvv`, `streetAddress`, …).
    static func authorizationBody(
        _ card: CardToVerify, securityCode: SecurityCode?, address: BillingAddress?, amount: VerificationAmount
    ) -> [UInt8] {
        var creditCard: [(String, JSONValue)] = [
            ("number", .string(card.number.digits)),
            ("expirationMonth", .string(card.expiration.month < 10 ? "0\(card.expiration.month)" : "\(card.expiration.month)")),
            ("expirationYear", .string("\(card.expiration.year)")),
        ]
        if let securityCode { creditCard.append(("cvv", .string(securityCode.digits))) }
        if let name = card.cardholderName { creditCard.append(("cardholderName", .string(name))) }
        var members: [(String, JSONValue)] = [
            ("amount", .string(amount.decimal)), ("currencyCode", .string(amount.currency)),
            ("creditCard", .object(JSONObject(creditCard))),
        ]
        if let address {
            let fields: [(String, String?)] = [
                ("streetAddress", address.line1), ("extendedAddress", address.line2), ("locality", address.city),
                ("region", address.region), ("postalCode", address.postalCode), ("countryCode", address.countryCode),
            ]
            members.append(("billingAddress", .object(JSONObject(fields.compactMap { name, value in value.map { (name, .string($0)) } }))))
        }
        return JSONWriter.write(.object(JSONObject(members)))
    }

    /// `text` as one path segment: RFC 3986 unreserved bytes as they are, every other byte
    /// percent-encoded.
    private static func pathSegment(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Text from the gateway, fit for a reason: card-number-like digit runs replaced, and at
    /// most 200 characters.
    private static func clean(_ text: String) -> String {
        String(Redactor.redact(text).prefix(200))
    }
}
