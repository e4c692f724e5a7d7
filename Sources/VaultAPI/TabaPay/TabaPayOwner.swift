import JSON

/// The account owner of a TabaPay account: `name` (a `company`, or `first` + `last` with optional
/// `middle` and `suffix`), an optional `address` and an optional `phone`. Validated as TabaPay
/// documents it for US (country 840) owners, then kept with its defaults filled in (country
/// 840, country calling code 1) as the JSON the vault seals and a retrieve returns.
enum TabaPayOwner {
    static func parse(_ owner: JSONReader) throws -> JSONValue {
        .object(JSONObject(try parts(of: owner, requiringName: true)))
    }

    /// The parts an owner object gives, validated, in stored order (`name`, `address`, `phone`).
    /// Update Account v2 may give any of them alone.
    static func parts(of owner: JSONReader, requiringName: Bool) throws -> [(String, JSONValue)] {
        try owner.rejectUnknownKeys(allowed: ["name", "address", "phone"])
        var fields: [(String, JSONValue)] = []
        if requiringName || owner.has("name") { fields.append(("name", try name(try owner.object("name")))) }
        if let address = try owner.optionalObject("address") { fields.append(("address", try self.address(address))) }
        if let phone = try owner.optionalObject("phone") { fields.append(("phone", try self.phone(phone))) }
        return fields
    }

    /// A stored owner (as `parse` wrote it) with `parts` replacing the parts of the same name.
    static func merging(_ parts: [(String, JSONValue)], into stored: [UInt8]) throws -> [UInt8] {
        guard case .object(let owner) = try JSONParser.parse(stored) else { throw TabaPayError.internalError }
        let changed = Dictionary(parts, uniquingKeysWith: { $1 })
        let merged = ["name", "address", "phone"].compactMap { key in (changed[key] ?? owner[key]).map { (key, $0) } }
        return JSONWriter.write(.object(JSONObject(merged)))
    }

    /// A `company`, `first` + `last` (with optional `middle` and `suffix`), or both: TabaPay's
    /// reference says "either", its own token guide sends a company with the person's names.
    private static func name(_ name: JSONReader) throws -> JSONValue {
        try name.rejectUnknownKeys(allowed: ["company", "first", "middle", "last", "suffix"])
        var fields: [(String, JSONValue)] = []
        if name.has("company") { fields.append(("company", .string(try name.text("company")))) }
        let personal = ["first", "middle", "last", "suffix"]
        if fields.isEmpty || personal.contains(where: name.has) {
            for key in personal where key == "first" || key == "last" || name.has(key) {
                fields.append((key, .string(try name.text(key))))
            }
        }
        return .object(JSONObject(fields))
    }

    private static func address(_ address: JSONReader) throws -> JSONValue {
        try address.rejectUnknownKeys(allowed: ["line1", "line2", "city", "state", "zipcode", "country"])
        let country = try address.optionalString("country") ?? "840"
        guard isDigits(country, count: 3...3) else { throw address.invalid("country", reason: "") }
        var fields: [(String, JSONValue)] = [("line1", .string(try address.text("line1")))]
        if address.has("line2") { fields.append(("line2", .string(try address.text("line2")))) }
        fields.append(("city", .string(try address.text("city"))))
        if country == "840" {
            let state = try address.string("state")
            // Postal (`CA`) or numeric FIPS (`06`) codes: TabaPay's token guide sends the latter.
            guard isDigits(state, count: 2...2) || state.utf8.count == 2 && state.utf8.allSatisfy({ (0x41...0x5A).contains($0) }) else {
                throw address.invalid("state", reason: "")
            }
            let zipcode = try address.string("zipcode")
            guard isDigits(zipcode, count: 5...5) || isDigits(zipcode, count: 9...9) || isZIPPlus4(zipcode) else {
                throw address.invalid("zipcode", reason: "")
            }
            fields += [("state", .string(state)), ("zipcode", .string(zipcode))]
        } else {
            for key in ["state", "zipcode"] where address.has(key) {
                fields.append((key, .string(try address.text(key, maximumLength: 10))))
            }
        }
        fields.append(("country", .string(country)))
        return .object(JSONObject(fields))
    }

    private static func phone(_ phone: JSONReader) throws -> JSONValue {
        try phone.rejectUnknownKeys(allowed: ["countryCode", "number"])
        let countryCode = try phone.optionalString("countryCode") ?? "1"
        guard isDigits(countryCode, count: 1...3) else { throw phone.invalid("countryCode", reason: "") }
        let number = try phone.string("number")
        guard isDigits(number, count: countryCode == "1" ? 10...10 : 4...14) else {
            throw phone.invalid("number", reason: "")
        }
        return .object(JSONObject([("countryCode", .string(countryCode)), ("number", .string(number))]))
    }

    /// `94043-1234`: ZIP+4 as the Postal Service writes it.
    private static func isZIPPlus4(_ zipcode: String) -> Bool {
        let parts = zipcode.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && isDigits(String(parts[0]), count: 5...5) && isDigits(String(parts[1]), count: 4...4)
    }

    private static func isDigits(_ string: String, count: ClosedRange<Int>) -> Bool {
        count.contains(string.utf8.count) && string.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}
