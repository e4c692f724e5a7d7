import JSON
import VaultCore
import VaultCrypto

/// Reads TabaPay's Create Account and Update Account requests: `{referenceID, card | bank, owner}`,
/// the same without `referenceID` (Update v1), or some of the owner and the expiration (Update v2),
/// and the duplicate-check query string. Every refusal names the field (`card.accountNumber`,
/// `owner.address.zipcode`) and nothing else.
enum TabaPayAccountRequest {
    static func parse(_ body: JSONReader) throws(TabaPayError) -> (referenceID: String, instrument: AccountInstrument,
                                                                    owner: JSONValue) {
        try fields {
            try body.rejectUnknownKeys(allowed: ["referenceID", "card", "bank", "owner"])
            let referenceID = try body.string("referenceID")
            guard isReferenceID(referenceID) else { throw body.invalid("referenceID", reason: "") }
            let (instrument, owner) = try instrumentAndOwner(body)
            return (referenceID, instrument, owner)
        }
    }

    /// Update Account v1: `{card | bank, owner}`, read as Create Account reads them; the
    /// reference ID is the account's and does not change.
    static func parseReplacement(_ body: JSONReader) throws(TabaPayError) -> (instrument: AccountInstrument,
                                                                               owner: JSONValue) {
        try fields {
            try body.rejectUnknownKeys(allowed: ["card", "bank", "owner"])
            return try instrumentAndOwner(body)
        }
    }

    /// Update Account v2: `card.expirationDate` and any of `owner.name`, `owner.address`,
    /// `owner.phone`, at least one of them. A card number (or any other card field) is refused:
    /// v2 never changes it.
    static func parseAmendment(_ body: JSONReader) throws(TabaPayError) -> (expiration: ExpirationDate?,
                                                                             owner: [(String, JSONValue)]) {
        try fields {
            try body.rejectUnknownKeys(allowed: ["card", "owner"])
            var expiration: ExpirationDate?
            if let card = try body.optionalObject("card") {
                try card.rejectUnknownKeys(allowed: ["expirationDate"])
                do {
                    expiration = try ExpirationDate(yyyymm: try card.string("expirationDate"))
                } catch let error as CardError {
                    throw TabaPayError(VaultError.card(error))
                }
            }
            let owner = try body.optionalObject("owner").map { try TabaPayOwner.parts(of: $0, requiringName: false) }
            if owner?.isEmpty == true { throw TabaPayError.invalidField("owner") }
            guard expiration != nil || owner != nil else { throw TabaPayError.invalidField("card or owner") }
            return (expiration, owner ?? [])
        }
    }

    private static func instrumentAndOwner(_ body: JSONReader) throws -> (AccountInstrument, JSONValue) {
        let instrument: AccountInstrument
        switch (try body.optionalObject("card"), try body.optionalObject("bank")) {
        case (let card?, nil): instrument = .card(try cardInput(card))
        case (nil, let bank?): instrument = .bank(try bankAccount(bank))
        default: throw TabaPayError.invalidField("card or bank")
        }
        return (instrument, try TabaPayOwner.parse(try body.object("owner")))
    }

    /// 1–15 printable ASCII characters, space included: TabaPay sets only the length. Control
    /// characters and non-ASCII are refused so a reference reads the same in logs and lookups.
    static func isReferenceID(_ string: String) -> Bool {
        (1...15).contains(string.utf8.count) && string.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// The duplicate-check flags of a Create Account (`RejectDuplicateCard`, `OKToAddDuplicateCard`)
    /// or an Update Account v1 (`RejectDuplicateCard`, `OKToUpdateDuplicateCard`, and
    /// `OKToAddDuplicateCard` as before). The OK flag overrides a rejection given with it.
    static func duplicateCheck(query: String?, updating: Bool = false) throws(TabaPayError) -> DuplicateCardCheck {
        let okFlags: Set = updating ? ["OKToUpdateDuplicateCard", "OKToAddDuplicateCard"] : ["OKToAddDuplicateCard"]
        let flags = try TabaPayQuery.flags(in: query, allowed: okFlags.union(["RejectDuplicateCard"]))
        return !flags.isDisjoint(with: okFlags) ? .report : flags.contains("RejectDuplicateCard") ? .reject : .none
    }

    /// Exactly one of: `accountNumber` + `expirationDate`; `keyID` + `data` (+ `mode`); `token`; `device`.
    private static func cardInput(_ card: JSONReader) throws -> CardInput {
        let variants: [Set<String>] = [["accountNumber", "expirationDate"], ["keyID", "data", "mode"], ["token"], ["device"]]
        try card.rejectUnknownKeys(allowed: variants.reduce([], { $0.union($1) }))
        let present = variants.indices.filter { variants[$0].contains(where: card.has) }
        guard present.count == 1 else { throw TabaPayError.invalidField("card") }
        do {
            switch present[0] {
            case 0:
                let digits = try card.string("accountNumber")
                guard (13...19).contains(digits.utf8.count) else { throw card.invalid("accountNumber", reason: "") }
                return .plain(CardData(number: try PrimaryAccountNumber(digits),
                                       expiration: try ExpirationDate(yyyymm: try card.string("expirationDate")),
                                       securityCode: nil))
            case 1:
                return .encrypted(try EncryptedCardData(keyID: try card.string("keyID"), data: try card.string("data"),
                                                        mode: try card.optionalInt("mode")))
            case 2:
                guard let token = Token(validating: try card.string("token")) else { throw TabaPayError.cardToken }
                return .singleUseToken(token)
            default:
                let device = try card.object("device")
                try device.rejectUnknownKeys(allowed: ["id", "blob"])
                _ = try device.string("id")
                guard try device.string("blob").utf8.allSatisfy(\.isHexDigit) else {
                    throw device.invalid("blob", reason: "")
                }
                throw TabaPayError.deviceNotEnabled
            }
        } catch let error as CardError {
            throw TabaPayError(VaultError.card(error))
        }
    }

    private static func bankAccount(_ bank: JSONReader) throws -> BankAccount {
        try bank.rejectUnknownKeys(allowed: ["routingNumber", "accountNumber", "accountType"])
        do {
            let routing = try RoutingNumber(try bank.string("routingNumber"))
            let number = try BankAccountNumber(try bank.string("accountNumber"))
            guard let type = BankAccountType(rawValue: try bank.string("accountType")) else {
                throw BankAccountError.invalidAccountType
            }
            return BankAccount(routingNumber: routing, accountNumber: number, accountType: type)
        } catch let error as BankAccountError {
            throw TabaPayError(VaultError.bankAccount(error))
        }
    }

    /// Runs `body`, turning JSON field errors into TabaPay's field-naming errors.
    static func fields<T>(_ body: () throws -> T) throws(TabaPayError) -> T {
        do {
            return try body()
        } catch let error as JSONFieldError {
            if case .unknownField(let path) = error { throw .unknownField(path) }
            throw .invalidField(error.path.isEmpty ? "JSON" : error.path)
        } catch {
            throw TabaPayError(error)
        }
    }
}

private extension UInt8 {
    var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
