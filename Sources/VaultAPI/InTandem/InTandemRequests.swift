import JSON
import VaultCore
import VaultCrypto

/// Reads the platform dialect's request bodies. Unknown fields are refused, so a caller that
/// sends more than the platform takes (a card number, say) learns it at once; parameters are
/// read in the order the platform documents them, so the first missing one is the one named.
enum InTandemRequests {
    /// `{payment_settings: {stripe_user_id?, stripe_access_token?, payments_gateway_type?,
    /// payments_enabled?, allow_credit_card?}}`: absent or null fields are left unchanged.
    static func settings(_ body: JSONReader) throws -> PaymentSettingsUpdate {
        try body.rejectUnknownKeys(allowed: ["payment_settings"])
        let given = try body.object("payment_settings")
        try given.rejectUnknownKeys(allowed: [
            "stripe_user_id", "stripe_access_token", "payments_gateway_type", "payments_enabled", "allow_credit_card",
        ])
        let settings = given.droppingNullMembers()
        var update = PaymentSettingsUpdate()
        if settings.has("stripe_user_id") { update.stripeUserID = try gatewayID(settings, "stripe_user_id") }
        if let token = try settings.optionalString("stripe_access_token") {
            guard (1...255).contains(token.utf8.count), token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw settings.invalid("stripe_access_token", reason: "must be 1 to 255 visible ASCII characters")
            }
            update.stripeAccessToken = SecretBytes(token.utf8)
        }
        if let type = try settings.optionalString("payments_gateway_type") {
            guard let gateway = PaymentGateway(rawValue: type) else {
                throw settings.invalid("payments_gateway_type", reason: "must be one of "
                    + PaymentGateway.allCases.map(\.rawValue).joined(separator: ", "))
            }
            update.gateway = gateway
        }
        update.paymentsEnabled = try settings.optionalBool("payments_enabled")
        update.allowCreditCard = try settings.optionalBool("allow_credit_card")
        return update
    }

    /// `{first_name, last_name?, email?}` → the profile the vault seals, as JSON.
    static func clientProfile(_ body: JSONReader) throws -> [(String, JSONValue)] {
        try body.rejectUnknownKeys(allowed: ["first_name", "last_name", "email"])
        var profile: [(String, JSONValue)] = [("first_name", .string(try body.text("first_name")))]
        if try body.optionalString("last_name") != nil { profile.append(("last_name", .string(try body.text("last_name")))) }
        if try body.optionalString("email") != nil {
            let email = try body.text("email", maximumLength: 254)
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !email.contains(" ") else {
                throw body.invalid("email", reason: "must be an email address")
            }
            profile.append(("email", .string(email)))
        }
        return profile
    }

    /// `{client_id, customer_id, external_card_id, default?, details: {exp_month, exp_year,
    /// last_4, cardholder_name, card_brand}, vault_token?}`.
    static func syncCard(_ body: JSONReader) throws -> NewGatewayCard {
        try body.rejectUnknownKeys(allowed: ["client_id", "customer_id", "external_card_id", "default", "details", "vault_token"])
        // An id that cannot exist is an unknown client, as is another tenant's.
        guard let clientID = PlatformClientID(validating: try body.string("client_id")) else {
            throw VaultError.platform(.clientNotFound)
        }
        let customerID = try gatewayID(body, "customer_id")
        let externalCardID = try gatewayID(body, "external_card_id")
        let makeDefault = try body.optionalBool("default") ?? false
        let details = try body.object("details")
        try details.rejectUnknownKeys(allowed: ["exp_month", "exp_year", "last_4", "cardholder_name", "card_brand"])
        let card = try GatewayCardDetails(
            expMonth: try details.int("exp_month"), expYear: try details.int("exp_year"),
            last4: try details.string("last_4"), cardholderName: try details.text("cardholder_name"),
            brand: try details.string("card_brand"))
        var vaultToken: Token?
        if let token = try body.optionalString("vault_token") {
            guard let valid = Token(validating: token) else { throw VaultError.platform(.vaultCardNotFound) }
            vaultToken = valid
        }
        return NewGatewayCard(clientID: clientID, customerID: customerID, externalCardID: externalCardID,
                              makeDefault: makeDefault, details: card, vaultToken: vaultToken)
    }

    /// `?page=3&per_page=50` (both optional: page 1, 25 per page), as every platform list takes them.
    static func page(number: String?, size: String?) throws(InTandemError) -> ListPage {
        var page = ListPage()
        if let number {
            guard let value = positiveInteger(number), value <= ListPage.maximumNumber else {
                throw .invalidQuery("page must be an integer between 1 and \(ListPage.maximumNumber)")
            }
            page.number = value
        }
        if let size {
            guard let value = positiveInteger(size), value <= ListPage.maximumSize else {
                throw .invalidQuery("per_page must be an integer between 1 and \(ListPage.maximumSize)")
            }
            page.size = value
        }
        return page
    }

    /// 1–7 ASCII digits, not zero.
    private static func positiveInteger(_ text: String) -> Int? {
        guard (1...7).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let value = Int(text), value > 0 else { return nil }
        return value
    }

    /// A gateway's own identifier (`acct_…`, `cus_…`, `card_…`, `pm_…`): 1–255 of `[A-Za-z0-9_-]`.
    private static func gatewayID(_ object: JSONReader, _ key: String) throws(JSONFieldError) -> String {
        let value = try object.string(key)
        guard (1...255).contains(value.utf8.count), value.utf8.allSatisfy(Base64URL.isAlphabetByte) else {
            throw object.invalid(key, reason: "must be 1 to 255 letters, digits, _ or -")
        }
        return value
    }
}
