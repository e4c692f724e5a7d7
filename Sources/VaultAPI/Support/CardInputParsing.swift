import JSON
import VaultCore

/// Reads the card a request carries, in exactly one of its three forms:
/// `{"number", "expirationDate"?, "securityCode"?}`, `{"keyID", "data", "mode"?}` (encrypted
/// card data) or `{"cardToken"}` (a single-use token).
enum CardInputParsing {
    static let plainFields: Set<String> = ["number", "expirationDate", "securityCode"]
    static let encryptedFields: Set<String> = ["keyID", "data", "mode"]
    static let tokenFields: Set<String> = ["cardToken"]

    /// `extraFields` are the route's own fields, allowed beside the card's.
    static func cardInput(from body: JSONReader, extraFields: Set<String> = [], allowsCardToken: Bool = true) throws -> CardInput {
        let forms = [body.has("number"), body.has("keyID") || body.has("data"), body.has("cardToken")]
        guard forms.filter({ $0 }).count == 1 else {
            throw APIError.badRequest("invalid_card_input",
                                      "Give exactly one of: number (and expirationDate), keyID and data, or cardToken.")
        }
        do {
            if forms[0] {
                try body.rejectUnknownKeys(allowed: plainFields.union(extraFields))
                let number = try PrimaryAccountNumber(try body.string("number"))
                let expiration = try body.optionalString("expirationDate").map { string throws(CardError) in
                    try ExpirationDate(yyyymm: string)
                }
                let securityCode = try body.optionalString("securityCode").map { string throws(CardError) in
                    try SecurityCode(string)
                }
                return .plain(CardData(number: number, expiration: expiration, securityCode: securityCode))
            }
            if forms[1] {
                try body.rejectUnknownKeys(allowed: encryptedFields.union(extraFields))
                return .encrypted(try EncryptedCardData(keyID: try body.string("keyID"), data: try body.string("data"),
                                                        mode: try body.optionalInt("mode")))
            }
            guard allowsCardToken else {
                throw APIError.badRequest("invalid_card_input", "A single-use card token cannot be exchanged for another.")
            }
            try body.rejectUnknownKeys(allowed: tokenFields.union(extraFields))
            guard let token = Token(validating: try body.string("cardToken")) else {
                throw VaultError.cardTokenNotFound
            }
            return .singleUseToken(token)
        } catch let error as JSONFieldError {
            throw APIError.field(error)
        } catch let error as CardError {
            throw VaultError.card(error)
        }
    }
}
