import Foundation
import JSON
import VaultCore

/// Reads Ticket Evolution's request bodies and writes its resources. Each body is an array under
/// the resource's plural name (`{"clients": [...]}`), as TEvo takes it even for one item. What a
/// resource holds is kept — sealed by the vault — as the JSON object of its fields, normalised:
/// absent optional fields are written as null, so every answer has every field.
enum TEvoBodies {
    // MARK: Clients

    /// `{name, notes?}`; TEvo: a name "must include a space".
    static func clientProfiles(_ body: JSONReader) throws -> [[UInt8]] {
        try items(body, "clients").map { client in
            try client.rejectUnknownKeys(allowed: ["name", "notes"])
            let name = try client.text("name", maximumLength: 100)
            guard name.contains(" ") else { throw client.invalid("name", reason: "must include a space") }
            return encode([("name", .string(name)), ("notes", try optionalText(client, "notes", maximumLength: 1000))])
        }
    }

    static func client(_ patron: Patron) -> JSONValue {
        let profile = decode(patron.profile)
        return .object(JSONObject([
            ("id", id(patron.id)), ("name", profile["name"] ?? .null), ("notes", profile["notes"] ?? .null),
            ("url", .string("/v9/clients/\(patron.id)")), ("created_at", timestamp(patron.createdAt)),
            ("updated_at", timestamp(patron.createdAt)),
        ]))
    }

    // MARK: Addresses and phone numbers

    /// `{label?, name?, street_address, extended_address?, locality, region?, postal_code,
    /// country_code, po_box?, primary?}`.
    static func addresses(_ body: JSONReader) throws -> [[UInt8]] {
        try items(body, "addresses").map { address in
            try address.rejectUnknownKeys(allowed: [
                "label", "name", "street_address", "extended_address", "locality", "region", "postal_code", "country_code",
                "po_box", "primary",
            ])
            let country = try address.string("country_code")
            guard country.utf8.count == 2, country.utf8.allSatisfy({ (0x41...0x5A).contains($0) }) else {
                throw address.invalid("country_code", reason: "must be an ISO 3166-1 alpha-2 code such as US")
            }
            return encode([
                ("label", try optionalText(address, "label")), ("name", try optionalText(address, "name")),
                ("street_address", .string(try address.text("street_address", maximumLength: 200))),
                ("extended_address", try optionalText(address, "extended_address", maximumLength: 200)),
                ("locality", .string(try address.text("locality"))), ("region", try optionalText(address, "region")),
                ("postal_code", .string(try address.text("postal_code", maximumLength: 20))),
                ("country_code", .string(country)), ("po_box", .bool(try address.optionalBool("po_box") ?? false)),
                ("primary", .bool(try address.optionalBool("primary") ?? false)),
            ])
        }
    }

    /// `{label?, country_code?, number, extension?, is_primary?}`; the country code defaults to 1.
    static func phoneNumbers(_ body: JSONReader) throws -> [[UInt8]] {
        try items(body, "phone_numbers").map { phone in
            try phone.rejectUnknownKeys(allowed: ["label", "country_code", "number", "extension", "is_primary"])
            return encode([
                ("label", try optionalText(phone, "label")),
                ("country_code", .string(try digits(phone, "country_code", 1...4, optional: true) ?? "1")),
                ("number", .string(try phoneText(phone, "number"))),
                ("extension", try phone.optionalString("extension") == nil ? .null : .string(try phoneText(phone, "extension"))),
                ("is_primary", .bool(try phone.optionalBool("is_primary") ?? false)),
            ])
        }
    }

    static func address(_ contact: PatronContact) -> JSONValue {
        .object(JSONObject([("id", id(contact.id))] + decode(contact.details).map { ($0.key, $0.value) }
            + [("url", .string("/v9/clients/\(contact.patronID)/addresses/\(contact.id)"))]))
    }

    /// The fields of TEvo's phone number, as its credit-card answer nests them.
    static func phoneNumber(_ contact: PatronContact) -> JSONValue {
        let details = decode(contact.details)
        return .object(JSONObject([
            ("id", id(contact.id)), ("callable_id", id(contact.patronID)), ("callable_type", "Client"),
            ("country_code", details["country_code"] ?? .null), ("number", details["number"] ?? .null),
            ("extension", details["extension"] ?? .null), ("label", details["label"] ?? .null),
            ("created_at", timestamp(contact.createdAt)), ("updated_at", timestamp(contact.createdAt)),
            ("is_primary", details["is_primary"] ?? false),
        ]))
    }

    /// The address's street, city, region, postal and country code, for the processor's address check.
    static func billingAddress(_ details: [UInt8]) -> BillingAddress? {
        let address = decode(details)
        guard let line1 = address["street_address"]?.stringValue else { return nil }
        return BillingAddress(line1: line1, line2: address["extended_address"]?.stringValue,
                              city: address["locality"]?.stringValue, region: address["region"]?.stringValue,
                              postalCode: address["postal_code"]?.stringValue,
                              countryCode: address["country_code"]?.stringValue)
    }

    // MARK: Credit cards

    /// `{label?, name, number, expiration_month "MM", expiration_year "YYYY", verification_code?,
    /// address_id, phone_number_id, ip_address?}` for each card, as TEvo's "Clients / Credit Cards
    /// / Create" lists them. TEvo says a label has 20 characters at most, yet its own example
    /// sends and answers a 22-character one: labels up to 100 are taken. The IP address is
    /// checked, not kept.
    static func creditCards(_ body: JSONReader) throws -> [NewPatronCard] {
        try items(body, "credit_cards").map { card in
            try card.rejectUnknownKeys(allowed: [
                "label", "name", "number", "expiration_month", "expiration_year", "verification_code", "address_id",
                "phone_number_id", "ip_address",
            ])
            let label = try optionalText(card, "label")
            let name = try card.text("name")
            let number: PrimaryAccountNumber
            do { number = try PrimaryAccountNumber(try card.string("number")) } catch let error as CardError {
                throw card.invalid("number", reason: error == .luhnCheckFailed ? "is not a valid card number" : "must be 12 to 19 digits")
            }
            let month = try digits(card, "expiration_month", 2...2)!
            let year = try digits(card, "expiration_year", 4...4)!
            let expiration: ExpirationDate
            do { expiration = try ExpirationDate(year: Int(year)!, month: Int(month)!) } catch {
                throw card.invalid("expiration_month", reason: "must be a month from 01 to 12")
            }
            var securityCode: SecurityCode?
            if let code = try digits(card, "verification_code", 3...4, optional: true) {
                securityCode = try SecurityCode(code)
            }
            if let ip = try card.optionalString("ip_address"), !isIPv4(ip) {
                throw card.invalid("ip_address", reason: "must be an IPv4 address")
            }
            return NewPatronCard(
                card: CardData(number: number, expiration: expiration, securityCode: securityCode), cardholderName: name,
                addressID: try rowID(card, "address_id"), phoneNumberID: try rowID(card, "phone_number_id"),
                details: encode([("label", label), ("name", .string(name))]))
        }
    }

    /// TEvo's credit card: last digits, company, the expiration with a 2-digit year, the nested
    /// address and phone number (`{"phone_number": {...}}`, as TEvo nests it), never the number.
    static func creditCard(_ card: PatronCard) -> JSONValue {
        let details = decode(card.details)
        let expiration = card.card.expiration
        return .object(JSONObject([
            ("id", id(card.id)), ("label", details["label"] ?? .null), ("name", details["name"] ?? .null),
            ("last_digits", .string(card.card.last4)), ("card_company", .string(company(card.card.brand))),
            ("expiration_month", expiration.map { .string(twoDigits($0.month)) } ?? .null),
            ("expiration_year", expiration.map { .string(twoDigits($0.year % 100)) } ?? .null),
            ("primary", false), ("address", address(card.address)),
            ("phone_number", .object(JSONObject([("phone_number", phoneNumber(card.phoneNumber))]))),
            ("url", .string("/clients/\(card.patronID)/credit_cards/\(card.id)")),
        ]))
    }

    /// TEvo's spellings: "Visa", "MasterCard", "AMEX", "Discover", ….
    static func company(_ brand: CardBrand) -> String {
        switch brand {
        case .visa: "Visa"
        case .mastercard: "MasterCard"
        case .amex: "AMEX"
        case .discover: "Discover"
        case .diners: "Diners Club"
        case .jcb: "JCB"
        case .unionpay: "UnionPay"
        case .maestro: "Maestro"
        case .uatp: "UATP"
        case .unknown: "Unknown"
        }
    }

    // MARK: Lists

    /// `?page=2&per_page=50` (page 1, 100 per page by default, as TEvo), and TEvo's list envelope.
    static func list(_ name: String, _ all: [JSONValue], page: String?, perPage: String?) throws(TEvoError) -> JSONValue {
        let number = try pageParameter("page", page, default: 1, maximum: 1_000_000)
        let size = try pageParameter("per_page", perPage, default: 100, maximum: 100)
        return .object(JSONObject([
            ("current_page", .number(JSONNumber(number))), ("per_page", .number(JSONNumber(size))),
            ("total_entries", .number(JSONNumber(all.count))), (name, .array(Array(all.dropFirst((number - 1) * size).prefix(size)))),
        ]))
    }

    private static func pageParameter(_ name: String, _ text: String?, default value: Int,
                                      maximum: Int) throws(TEvoError) -> Int {
        guard let text else { return value }
        guard (1...7).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let number = Int(text), (1...maximum).contains(number) else {
            throw .invalidQuery("\(name) must be an integer from 1 to \(maximum)")
        }
        return number
    }

    // MARK: Fields

    /// An id in the path; anything that is not one names nothing (404).
    static func pathID(_ call: APICall, _ name: String, notFound: PatronError) throws(TEvoError) -> PatronRowID {
        guard let text = call.parameters[name], let id = PatronRowID(text: text) else { throw .notFound(notFound) }
        return id
    }

    static func id(_ id: PatronRowID) -> JSONValue { .number(JSONNumber(id.value)) }

    /// The body's array of objects under `key`: 1 to 100 of them.
    private static func items(_ body: JSONReader, _ key: String) throws -> [JSONReader] {
        try body.rejectUnknownKeys(allowed: [key])
        let items = try body.objectArray(key)
        guard (1...100).contains(items.count) else { throw body.invalid(key, reason: "must hold 1 to 100 items") }
        return items
    }

    private static func rowID(_ object: JSONReader, _ key: String) throws(JSONFieldError) -> PatronRowID {
        guard let id = PatronRowID(Int64(try object.int(key))) else { throw object.invalid(key, reason: "must be a positive integer id") }
        return id
    }

    private static func optionalText(_ object: JSONReader, _ key: String, maximumLength: Int = 100) throws -> JSONValue {
        try object.optionalString(key) == nil ? .null : .string(try object.text(key, maximumLength: maximumLength))
    }

    /// A string of `count` ASCII digits; nil when optional and absent.
    private static func digits(_ object: JSONReader, _ key: String, _ count: ClosedRange<Int>,
                               optional: Bool = false) throws(JSONFieldError) -> String? {
        if optional, try object.optionalString(key) == nil { return nil }
        let value = try object.string(key)
        guard count.contains(value.utf8.count), value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw object.invalid(key, reason: count.count == 1 ? "must be \(count.lowerBound) digits" : "must be \(count.lowerBound) to \(count.upperBound) digits")
        }
        return value
    }

    /// 1–20 of digits, spaces, `-`, `.`, `(`, `)`, as phone numbers are written (`555-0573`).
    private static func phoneText(_ object: JSONReader, _ key: String) throws(JSONFieldError) -> String {
        let value = try object.string(key)
        guard (1...20).contains(value.utf8.count),
              value.utf8.allSatisfy({ (0x30...0x39).contains($0) || " -.()".utf8.contains($0) }) else {
            throw object.invalid(key, reason: "must be 1 to 20 digits, spaces, -, ., ( or )")
        }
        return value
    }

    private static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                && Int(part).map { $0 <= 255 } == true
        }
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    private static func encode(_ fields: [(String, JSONValue)]) -> [UInt8] {
        JSONWriter.write(.object(JSONObject(fields)))
    }

    /// What `encode` wrote; the vault opened it, so it parses (an empty object otherwise).
    private static func decode(_ bytes: [UInt8]) -> JSONObject {
        (try? JSONParser.parse(bytes))?.objectValue ?? JSONObject()
    }
}
