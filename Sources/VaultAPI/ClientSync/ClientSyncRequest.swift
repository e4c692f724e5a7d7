import Foundation
import JSON
import VaultCore

/// Reads the Q2-style client-sync bodies: a client `{identifier, meta}`, a token request and
/// payment methods (`paymentType` card or bank). Field errors name the field; numbers never
/// appear in an error. Q2 documents string fields (`"expMonth": "02"`, `"setAsDefault": "true"`)
/// that integrators send as JSON numbers and booleans too: both spellings are read.
enum ClientSyncRequest {
    static let paymentFields: Set<String> = [
        "paymentType", "identifier", "cardNumber", "cardCode", "expMonth", "expYear", "zipcode", "name", "setAsDefault",
        "customLabel", "cardType", "cardBrand", "token", "routingNumber", "accountNumber", "accountType",
    ]

    /// Brand hints by the names the sync API documents.
    static let brandHints: [String: CardBrand] = [
        "american express": .amex, "discover": .discover, "maestro": .maestro, "mastercard": .mastercard,
        "uatp": .uatp, "visa": .visa,
    ]

    static func brandName(_ brand: CardBrand) -> String {
        brandHints.first { $0.value == brand }?.key ?? brand.rawValue
    }

    static func client(_ body: JSONReader) throws -> SyncClientInput {
        try body.rejectUnknownKeys(allowed: ["identifier", "meta"])
        let meta = try body.optionalObject("meta").map { JSONWriter.write(.object($0.object)) }
        return SyncClientInput(identifier: try clientIdentifier(body), meta: meta)
    }

    /// The caller's identifier of a client: 1–128 characters.
    static func clientIdentifier(_ body: JSONReader) throws -> String {
        let identifier = try body.string("identifier")
        guard (1...128).contains(identifier.count) else { throw body.invalid("identifier", reason: "must be 1–128 characters") }
        return identifier
    }

    /// `expiration` (ISO 8601) and `accessTokenExpiresIn` (seconds), both optional; `nonce: true` = single use.
    static func tokenOptions(_ body: JSONReader) throws -> SSOTokens.Options {
        let expiration = try body.optionalString("expiration").map { text in
            let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
            guard let date = (try? Date(text, strategy: fractional)) ?? (try? Date(text, strategy: .iso8601)) else {
                throw body.invalid("expiration", reason: "must be an ISO 8601 date and time")
            }
            return date
        }
        let lifetime = try digits(body, "accessTokenExpiresIn", length: 1...9).map { Int($0)! }
        if lifetime == 0 { throw body.invalid("accessTokenExpiresIn", reason: "must be a positive number of seconds") }
        return SSOTokens.Options(expiration: expiration, accessTokenLifetime: lifetime, singleUse: try flag(body, "nonce"))
    }

    static func paymentMethod(_ body: JSONReader, extraFields: Set<String> = []) throws -> PaymentMethodInput {
        try body.rejectUnknownKeys(allowed: paymentFields.union(extraFields))
        let type = try body.optionalString("paymentType") ?? "card"
        let identifier = try body.optionalString("identifier")
        var details: [(String, JSONValue)] = []
        for key in ["name", "zipcode", "customLabel"] {
            if let value = try body.optionalString(key) {
                guard value.count <= 200 else { throw body.invalid(key, reason: "must be at most 200 characters") }
                details.append((key, .string(value)))
            }
        }
        let instrument: PaymentInstrumentInput
        var brandHint: CardBrand?
        switch type {
        case "card":
            if let cardType = try body.optionalString("cardType") {
                guard ["credit", "debit"].contains(cardType) else { throw body.invalid("cardType", reason: "must be credit or debit") }
                details.append(("cardType", .string(cardType)))
            }
            if let hint = try body.optionalString("cardBrand") {
                guard let brand = brandHints[hint.lowercased()] else {
                    throw body.invalid("cardBrand", reason: "must be one of: \(brandHints.keys.sorted().joined(separator: ", "))")
                }
                brandHint = brand
            }
            instrument = try card(body)
        case "bank":
            instrument = .bank(try bankAccount(body))
        default:
            throw body.invalid("paymentType", reason: "must be card or bank")
        }
        return PaymentMethodInput(identifier: identifier, instrument: instrument, brandHint: brandHint,
                                  details: JSONWriter.write(.object(JSONObject(details))),
                                  setAsDefault: try flag(body, "setAsDefault"))
    }

    /// `cardNumber` + `cardCode`? + `expMonth` + `expYear`, or a Coffer `token` in their place:
    /// a single-use token is taken, a reusable card token is referred to.
    private static func card(_ body: JSONReader) throws -> PaymentInstrumentInput {
        if let token = try body.optionalString("token") {
            guard !body.has("cardNumber"), !body.has("cardCode") else {
                throw APIError.badRequest("invalid_card_input", "Give either token or cardNumber, not both.")
            }
            guard let token = Token(validating: token) else { throw VaultError.cardNotFound }
            return .token(token)
        }
        do {
            let month = try requiredDigits(body, "expMonth", length: 1...2), year = try requiredDigits(body, "expYear", length: 4...4)
            let expiration = try ExpirationDate(yyyymm: year + String(repeating: "0", count: 2 - month.utf8.count) + month)
            return .card(.plain(CardData(number: try PrimaryAccountNumber(try body.string("cardNumber")), expiration: expiration,
                                         securityCode: try body.optionalString("cardCode").map { code throws(CardError) in
                                             try SecurityCode(code)
                                         })))
        } catch let error as CardError {
            throw VaultError.card(error)
        }
    }

    private static func bankAccount(_ body: JSONReader) throws -> BankAccount {
        let types: [String: BankAccountType] = ["checking": .checking, "savings": .savings]
        do {
            guard let type = types[try body.string("accountType")] else { throw BankAccountError.invalidAccountType }
            return BankAccount(routingNumber: try RoutingNumber(try body.string("routingNumber")),
                               accountNumber: try BankAccountNumber(try body.string("accountNumber")), accountType: type)
        } catch let error as BankAccountError {
            throw VaultError.bankAccount(error)
        }
    }

    /// A number of `length` decimal digits, written as a string (`"02"`) or a JSON integer (`2`);
    /// nil when absent. Anything else — signs, spaces, fractions, other lengths — is invalid.
    private static func digits(_ body: JSONReader, _ key: String, length: ClosedRange<Int>) throws -> String? {
        let text: String
        switch body.value(key) {
        case nil: return nil
        case .string(let string)?: text = string
        case .number(let number)? where number.isIntegerSyntax: text = number.description
        default: throw body.invalid(key, reason: "must be a number of \(length.lowerBound)–\(length.upperBound) digits")
        }
        guard length.contains(text.utf8.count), text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw body.invalid(key, reason: "must be a number of \(length.lowerBound)–\(length.upperBound) digits")
        }
        return text
    }

    private static func requiredDigits(_ body: JSONReader, _ key: String, length: ClosedRange<Int>) throws -> String {
        guard let text = try digits(body, key, length: length) else { throw JSONFieldError.missing(body.path(key)) }
        return text
    }

    /// A boolean, or the strings "true"/"false" (the seed sends `"setAsDefault": "true"`).
    private static func flag(_ body: JSONReader, _ key: String) throws -> Bool {
        switch body.value(key) {
        case nil, .null?: false
        case .bool(let value)?: value
        case .string("true")?: true
        case .string("false")?: false
        default: throw body.invalid(key, reason: "must be true or false")
        }
    }
}
