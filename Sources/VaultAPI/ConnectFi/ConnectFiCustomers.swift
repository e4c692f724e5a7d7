import JSON
import VaultCore

/// Reads connectFi's customer bodies into the document Coffer seals —
/// `{"reference", "customerType", "customer": {…}}`, rebuilt from the validated fields only — and
/// derives a card's cardholder profile from it. Unknown fields are refused (identity documents
/// such as an SSN included: Coffer runs no KYC and keeps no such number).
enum ConnectFiCustomers {
    static let phoneTypes: Set<String> = ["MOBILE", "LANDLINE", "PRIMARY"]
    static let addressTypes: Set<String> = ["PRIMARY", "SECONDARY"]
    static let maximumEntries = 10

    /// `POST /customer/init`: `{customerReference, customerType, customer}` → (type, reference, document).
    static func initBody(_ body: JSONReader) throws -> (CustomerType, String, JSONObject) {
        try body.rejectUnknownKeys(besideRequestID: ["customerReference", "customerType", "customer"])
        let reference = try commonID(body, "customerReference", maximumLength: 50)
        let typeName = try body.string("customerType")
        guard let type = CustomerType(rawValue: typeName) else {
            throw body.invalid("customerType", reason: "must be individual or business")
        }
        let given = try body.object("customer")
        let customer = type == .individual ? try individual(given) : try business(given)
        return (type, reference, JSONObject([("reference", .string(reference)), ("customerType", .string(type.rawValue)),
                                             ("customer", .object(customer))]))
    }

    /// `POST /customer/update`: `{customerId, customer}`; the id is read by the route.
    /// Each array given replaces the stored one; `email` replaces the email. For a business,
    /// `businessRepresentative` updates the representative's email, phones and addresses.
    static func update(_ document: JSONObject, with change: JSONReader, type: CustomerType) throws -> JSONObject {
        guard var customer = document["customer"]?.objectValue else { throw VaultError.integrityFailure }
        switch type {
        case .individual:
            try change.rejectUnknownKeys(allowed: ["email", "phones", "addresses"])
            try replace(in: &customer, from: change, arrays: ["phones": phone, "addresses": address])
        case .business:
            try change.rejectUnknownKeys(allowed: ["businessPhones", "businessAddresses", "businessRepresentative"])
            try replace(in: &customer, from: change, arrays: ["businessPhones": phone, "businessAddresses": address])
            if let given = try change.optionalObject("businessRepresentative") {
                try given.rejectUnknownKeys(allowed: ["id", "email", "phones", "addresses"])
                guard var representative = customer["businessRepresentative"]?.objectValue else { throw VaultError.integrityFailure }
                if let id = try given.optionalString("id"), .string(id) != representative["id"] {
                    throw CardProfileError.cardHolderNotFound
                }
                try replace(in: &representative, from: given, arrays: ["phones": phone, "addresses": address])
                customer["businessRepresentative"] = .object(representative)
            }
        }
        var updated = document
        updated["customer"] = .object(customer)
        return updated
    }

    /// The cardholder profile of a card: the cardholder's PRIMARY address, MOBILE phone, LANDLINE
    /// (else PRIMARY) phone if any, and email. For an individual the cardholder is the customer
    /// and its PRIMARY address is also the billing address; for a business the cardholder is its
    /// representative, the billing address the business's PRIMARY address and the work phone
    /// the business's PRIMARY phone.
    static func cardholderProfile(_ document: JSONObject, customerID: ProfileCustomerID,
                                  holder: (id: String?, type: String?)) throws -> JSONObject {
        guard let customer = document["customer"]?.objectValue else { throw VaultError.integrityFailure }
        switch customerID.type {
        case .individual:
            guard holder.id == nil || holder.id == customerID.rawValue, holder.type == nil || holder.type == "individual" else {
                throw CardProfileError.cardHolderNotFound
            }
            var profile = try contact(customer, holderID: customerID.rawValue, holderType: "individual")
            profile["billingAddress"] = profile["address"]
            return profile
        case .business:
            guard let id = holder.id, let type = holder.type else { throw CardProfileError.cardHolderRequired }
            guard type == "representative", let representative = customer["businessRepresentative"]?.objectValue,
                  representative["id"] == .string(id) else { throw CardProfileError.cardHolderNotFound }
            var profile = try contact(representative, holderID: id, holderType: type)
            profile["billingAddress"] = try primary(customer["businessAddresses"], "PRIMARY business address")
            if let work = entry(customer["businessPhones"], "PRIMARY") { profile["workPhone"] = work }
            return profile
        }
    }

    private static func contact(_ person: JSONObject, holderID: String, holderType: String) throws -> JSONObject {
        guard let email = person["email"] else { throw CardProfileError.profileIncomplete("email") }
        var profile = JSONObject([("cardHolderId", .string(holderID)), ("cardHolderType", .string(holderType)),
                                  ("address", try primary(person["addresses"], "PRIMARY address")),
                                  ("mobilePhone", try primary(person["phones"], "MOBILE phone", type: "MOBILE")),
                                  ("email", email)])
        if let phone = entry(person["phones"], "LANDLINE") ?? entry(person["phones"], "PRIMARY") { profile["phone"] = phone }
        return profile
    }

    private static func primary(_ list: JSONValue?, _ name: String, type: String = "PRIMARY") throws -> JSONValue {
        guard let found = entry(list, type) else { throw CardProfileError.profileIncomplete(name) }
        return found
    }

    /// The first entry of `list` whose `type` is `type`.
    private static func entry(_ list: JSONValue?, _ type: String) -> JSONValue? {
        list?.arrayValue?.first { $0.objectValue?["type"] == .string(type) }
    }

    // MARK: Fields

    private static func individual(_ given: JSONReader) throws -> JSONObject {
        try given.rejectUnknownKeys(allowed: ["firstName", "middleName", "lastName", "gender", "dateOfBirth", "email",
                                              "citizenshipCountryCodeA3", "phones", "addresses"])
        var customer = JSONObject([("firstName", .string(try given.text("firstName", maximumLength: 50)))])
        if given.has("middleName") { customer["middleName"] = .string(try given.text("middleName", maximumLength: 50)) }
        customer["lastName"] = .string(try given.text("lastName", maximumLength: 50))
        if let gender = try given.optionalString("gender") {
            guard gender == "M" || gender == "F" else { throw given.invalid("gender", reason: "must be M or F") }
            customer["gender"] = .string(gender)
        }
        customer["dateOfBirth"] = .string(try date(given, "dateOfBirth"))
        customer["email"] = .string(try email(given))
        if given.has("citizenshipCountryCodeA3") { customer["citizenshipCountryCodeA3"] = .string(try countryCode(given, "citizenshipCountryCodeA3")) }
        customer["phones"] = try list(given, "phones", phone)
        customer["addresses"] = try list(given, "addresses", address)
        return customer
    }

    private static func business(_ given: JSONReader) throws -> JSONObject {
        try given.rejectUnknownKeys(allowed: ["businessName", "dba", "email", "businessPhones", "businessAddresses",
                                              "businessRepresentative"])
        var customer = JSONObject([("businessName", .string(try given.text("businessName", maximumLength: 100)))])
        if given.has("dba") { customer["dba"] = .string(try given.text("dba", maximumLength: 100)) }
        if given.has("email") { customer["email"] = .string(try email(given)) }
        customer["businessPhones"] = try list(given, "businessPhones", phone)
        customer["businessAddresses"] = try list(given, "businessAddresses", address)
        let person = try given.object("businessRepresentative")
        try person.rejectUnknownKeys(allowed: ["id", "firstName", "lastName", "dateOfBirth", "email", "phones", "addresses"])
        let id = try person.optionalString("id").map { id throws(JSONFieldError) in
            guard ProfileCustomerID(validating: id)?.type == .business else {
                throw person.invalid("id", reason: "must be cstab_ and 22 letters or digits")
            }
            return id
        } ?? ProfileCustomerID.generate(.business).rawValue
        var representative = JSONObject([("id", .string(id)), ("firstName", .string(try person.text("firstName", maximumLength: 50))),
                                         ("lastName", .string(try person.text("lastName", maximumLength: 50)))])
        if person.has("dateOfBirth") { representative["dateOfBirth"] = .string(try date(person, "dateOfBirth")) }
        representative["email"] = .string(try email(person))
        representative["phones"] = try list(person, "phones", phone)
        representative["addresses"] = try list(person, "addresses", address)
        customer["businessRepresentative"] = .object(representative)
        return customer
    }

    private static func replace(in object: inout JSONObject, from change: JSONReader,
                                arrays: [String: (JSONReader) throws -> JSONValue]) throws {
        if change.has("email") { object["email"] = .string(try email(change)) }
        for key in change.object.keys where key != "email" {
            guard let read = arrays[key] else { continue }
            object[key] = try list(change, key, read)
        }
    }

    private static func list(_ object: JSONReader, _ key: String, _ read: (JSONReader) throws -> JSONValue) throws -> JSONValue {
        let entries = try object.objectArray(key)
        guard (1...maximumEntries).contains(entries.count) else {
            throw object.invalid(key, reason: "must hold 1 to \(maximumEntries) entries")
        }
        return .array(try entries.map(read))
    }

    static func phone(_ given: JSONReader) throws -> JSONValue {
        try given.rejectUnknownKeys(allowed: ["type", "countryDialingCode", "phoneNumber"])
        return .object(JSONObject([("type", .string(try oneOf(given, "type", phoneTypes))),
                                   ("countryDialingCode", .string(try digits(given, "countryDialingCode", 1...4))),
                                   ("phoneNumber", .string(try digits(given, "phoneNumber", 4...15)))]))
    }

    static func address(_ given: JSONReader) throws -> JSONValue {
        try given.rejectUnknownKeys(allowed: ["type", "addressLine1", "addressLine2", "city", "stateCode", "postalCode",
                                              "countryCodeA3"])
        var address = JSONObject([("type", .string(try oneOf(given, "type", addressTypes))),
                                  ("addressLine1", .string(try given.text("addressLine1", maximumLength: 100)))])
        if given.has("addressLine2") { address["addressLine2"] = .string(try given.text("addressLine2", maximumLength: 100)) }
        address["city"] = .string(try given.text("city", maximumLength: 50))
        address["stateCode"] = .string(try given.text("stateCode", maximumLength: 3))
        address["postalCode"] = .string(try given.text("postalCode", maximumLength: 10))
        address["countryCodeA3"] = .string(try countryCode(given, "countryCodeA3"))
        return .object(address)
    }

    /// connectFi's `common-id`: `^[0-9a-zA-Z_]+$`, here of 1 to `maximumLength` characters.
    static func commonID(_ object: JSONReader, _ key: String, maximumLength: Int = 36) throws(JSONFieldError) -> String {
        let value = try object.string(key)
        guard (1...maximumLength).contains(value.utf8.count), value.utf8.allSatisfy(isCommonIDByte) else {
            throw object.invalid(key, reason: "must be 1 to \(maximumLength) letters, digits or _")
        }
        return value
    }

    static func isCommonIDByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == UInt8(ascii: "_")
    }

    private static func oneOf(_ object: JSONReader, _ key: String, _ allowed: Set<String>) throws(JSONFieldError) -> String {
        let value = try object.string(key)
        guard allowed.contains(value) else { throw object.invalid(key, reason: "must be one of \(allowed.sorted().joined(separator: ", "))") }
        return value
    }

    private static func digits(_ object: JSONReader, _ key: String, _ lengths: ClosedRange<Int>) throws(JSONFieldError) -> String {
        let value = try object.string(key)
        guard lengths.contains(value.utf8.count), value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw object.invalid(key, reason: "must be \(lengths.lowerBound) to \(lengths.upperBound) digits")
        }
        return value
    }

    private static func countryCode(_ object: JSONReader, _ key: String) throws(JSONFieldError) -> String {
        let value = try object.string(key)
        guard value.utf8.count == 3, value.utf8.allSatisfy({ (0x41...0x5A).contains($0) }) else {
            throw object.invalid(key, reason: "must be 3 uppercase letters (ISO 3166-1 alpha-3)")
        }
        return value
    }

    /// `YYYY-MM-DD` with a month and day in range.
    private static func date(_ object: JSONReader, _ key: String) throws(JSONFieldError) -> String {
        let value = try object.string(key)
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
              let month = Int(parts[1]), (1...12).contains(month), let day = Int(parts[2]), (1...31).contains(day)
        else { throw object.invalid(key, reason: "must be a date YYYY-MM-DD") }
        return value
    }

    /// connectFi's `^(.+)@(.+)$`, at most 254 characters, without spaces.
    private static func email(_ object: JSONReader) throws(JSONFieldError) -> String {
        let value = try object.text("email", maximumLength: 254)
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, !parts.last!.isEmpty, !value.contains(" ") else {
            throw object.invalid("email", reason: "must be an email address")
        }
        return value
    }
}

extension JSONReader {
    /// A connectFi request body's fields: `allowed`, and the optional `requestId` every request may
    /// carry, which must be a string (Coffer answers with its own request id, docs/api/connectfi.md).
    func rejectUnknownKeys(besideRequestID allowed: Set<String>) throws(JSONFieldError) {
        try rejectUnknownKeys(allowed: allowed.union(["requestId"]))
        _ = try optionalString("requestId")
    }
}
