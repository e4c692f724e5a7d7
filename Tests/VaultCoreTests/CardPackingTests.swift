import Testing
import TestSupport
import VaultCore

@Suite("CardData packing", .ownThreads)
struct CardPackingTests {
    @Test(arguments: [
        "4111111111111111|203001|",
        "4111111111111111||",
        "4111111111111111|203001|123",
        "378282246310005|203012|1234",
        "4111111111111111||123",
        "300000000004|199901|000",
    ])
    func roundTrips(_ packed: String) throws {
        let card = try CardData(packed: packed)
        #expect(card.packed == packed)
        #expect(try CardData(packed: card.packed).packed == packed)
    }

    @Test func fields() throws {
        let full = try CardData(packed: "4111111111111111|203001|123")
        #expect(full.number.digits == "4111111111111111")
        #expect(full.expiration == (try ExpirationDate(year: 2030, month: 1)))
        #expect(full.securityCode?.digits == "123")

        let bare = try CardData(packed: "4111111111111111||")
        #expect(bare.expiration == nil)
        #expect(bare.securityCode == nil)
    }

    @Test func buildsFromParts() throws {
        let card = CardData(
            number: try PAN("4111111111111111"),
            expiration: try ExpirationDate(yyyymm: "203001"),
            securityCode: try SecurityCode("987"))
        #expect(card.packed == "4111111111111111|203001|987")
        #expect(CardData(number: try PAN("4111111111111111")).packed == "4111111111111111||")
    }

    @Test func expiredDatesParse() throws {
        // Packing is format only; expiry is checked by policy with `validated(at:)`.
        #expect(try CardData(packed: "4111111111111111|201001|").expiration?.yyyymm == "201001")
    }

    @Test(arguments: [
        "4111111111111111",
        "4111111111111111|203001",
        "4111111111111111|",
        "4111111111111111|203001|123|",
        "4111111111111111|203001||",
        "|4111111111111111|203001|",
        "4111111111111111|||",
        "4111111111111111 |203001|",
        "4111111111111111| 203001|",
        "4111111111111111|203001| 123",
        " 4111111111111111|203001|",
        "4111111111111111|203001| ",
        "4111111111111111|203001|\n",
        "4111111111111111|203001|123\n",
        "4111111111111111|203001|123\r\n",
        "4111111111111111\t|203001|",
        "4111 1111 1111 1111|203001|",
        "4111111111111111|203001|\u{0}",
        "4111111111111111|٢٠٣٠٠١|",  // non-ASCII
        "4111111111111111\u{00A0}|203001|",  // no-break space
        "",
        "|",
        "¦4111111111111111|203001|",
    ])
    func rejectsMalformedPacking(_ packed: String) {
        #expect(throws: CardError.malformedCardData) { try CardData(packed: packed) }
    }

    @Test(arguments: [
        ("|203001|", CardError.invalidCardNumber),
        ("||", .invalidCardNumber),
        ("4111-1111-1111-1111|203001|", .invalidCardNumber),
        ("411111111111|203001|", .luhnCheckFailed),
        ("41111111111|203001|", .invalidCardNumber),
        ("4111111111111112|203001|", .luhnCheckFailed),
        ("4111111111111111|203013|", .invalidExpirationDate),
        ("4111111111111111|203000|", .invalidExpirationDate),
        ("4111111111111111|20301|", .invalidExpirationDate),
        ("4111111111111111|2030-01|", .invalidExpirationDate),
        ("4111111111111111|012030|", .invalidExpirationDate),
        ("4111111111111111|203001|12", .invalidSecurityCode),
        ("4111111111111111|203001|12345", .invalidSecurityCode),
        ("4111111111111111|203001|abc", .invalidSecurityCode),
        ("4111111111111111||1", .invalidSecurityCode),
    ])
    func rejectsBadFields(_ packed: String, _ expected: CardError) {
        #expect(throws: expected) { try CardData(packed: packed) }
    }

    @Test(arguments: ["123", "0000", "999"])
    func securityCodes(_ digits: String) throws {
        #expect(try SecurityCode(digits).digits == digits)
    }

    @Test(arguments: ["", "12", "12345", "abc", "12a", " 123", "123 ", "١٢٣", "-12"])
    func rejectsSecurityCodes(_ digits: String) {
        #expect(throws: CardError.invalidSecurityCode) { try SecurityCode(digits) }
    }

    @Test func securityCodeAndCardDataNeverPrint() throws {
        let code = try SecurityCode("4321")
        let card = try CardData(packed: "4111111111111111|203001|4321")
        var dumped = ""
        dump(card, to: &dumped)
        dump(code, to: &dumped)
        for text in ["\(code)", String(reflecting: code), "\(card)", String(reflecting: card), dumped] {
            #expect(!text.contains("4321"))
            #expect(!text.contains("203001"))
            #expect(!text.contains("411111"))
        }
        #expect("\(card)" == "CardData(PAN(visa ••••1111), expiration: present, securityCode: present)")
    }
}
