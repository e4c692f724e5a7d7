// Shared by the dialect targets (`cardinput`, `tabapay`, `clientsync`, `intandem`): a request body
// is read as its route reads it, and every refusal is answered as its route family answers it.
@testable import VaultAPI
import JSON
import VaultCore
import VaultCrypto

/// A route family: how it answers failures, and what its routes throw for a body that is not a
/// JSON object.
struct Dialect: Sendable {
    enum Envelope { case native, tabaPay, inTandem }

    var style: ErrorStyle
    var envelope: Envelope
    var malformed: @Sendable (JSONParseError?) -> any Error

    static let native = Dialect(style: .native, envelope: .native) { error in
        error.map(APIError.invalidJSON) ?? APIError.field(.wrongType("", expected: "object"))
    }
    static let tabaPay = Dialect(style: TabaPayError.style, envelope: .tabaPay) { _ in TabaPayError.malformedJSON }
    static let inTandem = Dialect(style: InTandemError.style, envelope: .inTandem) { _ in InTandemError.malformedJSON }

    /// The body as a JSON object, or nil after checking the refusal a route gives for it.
    func body(_ bytes: [UInt8]) -> JSONReader? {
        do {
            guard case .object(let object) = try JSONParser.parse(bytes) else {
                checkRefusal(malformed(nil))
                return nil
            }
            return JSONReader(object)
        } catch {
            checkRefusal(malformed(error))
            return nil
        }
    }

    /// Bad input is a 4xx in the family's envelope, and no answer echoes a card number.
    func checkRefusal(_ error: any Error) {
        let response = style.response(error)
        fuzzCheck((400..<500).contains(response.status.rawValue), "bad input is answered with a 4xx, never a 5xx")
        fuzzCheck(longestDigitRun(response.body) < 12, "a refusal never carries a card number")
        guard case .object(let body)? = try? JSONParser.parse(response.body) else {
            return fuzzCheck(false, "a refusal's body is a JSON object")
        }
        switch envelope {
        case .native:
            guard case .object(let inner)? = body["error"], case .string(let code)? = inner["code"],
                  case .string? = inner["message"], !code.isEmpty
            else { return fuzzCheck(false, "a native refusal is {error: {code, message}}") }
        case .tabaPay:
            guard body["SC"]?.intValue == response.status.rawValue, case .string(let code)? = body["EC"],
                  code.utf8.count == 8, code.hasPrefix(String(response.status.rawValue)), case .string? = body["EM"]
            else { return fuzzCheck(false, "a TabaPay refusal is {SC, EC, EM}") }
        case .inTandem:
            guard body["status"] == .string("Error"), case .string? = body["error"] else {
                return fuzzCheck(false, "an inTandem refusal is {status: Error, error}")
            }
        }
    }

    /// Runs one parse; a refusal is checked, a success handed to `accepted`.
    func read<T>(_ parse: () throws -> T, accepted: (T) -> Void = { _ in }) {
        do {
            accepted(try parse())
        } catch {
            checkRefusal(error)
        }
    }
}

/// Checks a card read from `card`'s fields `numberKey`/`dateKey`/`codeKey`, or its encrypted or
/// token form, against the JSON it came from.
func checkCardInput(_ input: CardInput, from card: JSONReader, numberKey: String, dateKey: String, codeKey: String?,
                    tokenKey: String) {
    switch input {
    case .plain(let data):
        fuzzCheck(card.value(numberKey) == .string(data.number.digits), "the card number is the one sent")
        fuzzCheck(card.value(dateKey).flatMap(\.stringValue) == data.expiration?.yyyymm, "the expiration is the one sent")
        if let codeKey {
            fuzzCheck(card.value(codeKey).flatMap(\.stringValue) == data.securityCode?.digits, "the security code is the one sent")
        } else {
            fuzzCheck(data.securityCode == nil, "no security code where the dialect takes none")
        }
    case .encrypted(let envelope):
        fuzzCheck(card.value("keyID") == .string(envelope.keyID.rawValue), "the key ID is the one sent")
        fuzzCheck(card.value("data").flatMap(\.stringValue).flatMap(Base64URL.decode) == envelope.ciphertext,
                  "the ciphertext is the one sent")
        fuzzCheck((card.value("mode")?.intValue ?? 2) == envelope.mode.rawValue, "the mode is the one sent")
    case .singleUseToken(let token):
        fuzzCheck(card.value(tokenKey) == .string(token.rawValue), "the card token is the one sent")
    }
}
