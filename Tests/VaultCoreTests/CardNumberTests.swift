import Foundation
import Testing
import TestSupport
import VaultCore

@Suite("PrimaryAccountNumber", .ownThreads)
struct CardNumberTests {
    // Published network test numbers; each passes Luhn (checked independently).
    static let visaNumbers = ["4111111111111111", "4012888888881881"]
    static let mastercardNumbers = ["5555555555554444", "2221000000000009", "2720999999999996"]
    static let amexNumbers = ["378282246310005", "371449635398431"]
    static let discoverNumbers = ["6011111111111117", "6011000990139424"]
    static let dinersNumbers = ["30569309025904", "38520000023237"]
    static let jcbNumbers = ["3530111333300000", "3566002020360505"]
    static let unionpayNumbers = ["6200000000000005", "6250941006528599"]
    static let maestroNumbers = ["6759649826438453", "6304000000000000"]
    static let uatpNumbers = ["135410014004955"]

    @Test(arguments: visaNumbers) func visa(_ digits: String) throws {
        #expect(try PAN(digits).brand == .visa)
    }

    @Test(arguments: mastercardNumbers) func mastercard(_ digits: String) throws {
        #expect(try PAN(digits).brand == .mastercard)
    }

    @Test(arguments: amexNumbers) func amex(_ digits: String) throws {
        #expect(try PAN(digits).brand == .amex)
    }

    @Test(arguments: discoverNumbers) func discover(_ digits: String) throws {
        #expect(try PAN(digits).brand == .discover)
    }

    @Test(arguments: dinersNumbers) func diners(_ digits: String) throws {
        #expect(try PAN(digits).brand == .diners)
    }

    @Test(arguments: jcbNumbers) func jcb(_ digits: String) throws {
        #expect(try PAN(digits).brand == .jcb)
    }

    @Test(arguments: unionpayNumbers) func unionpay(_ digits: String) throws {
        #expect(try PAN(digits).brand == .unionpay)
    }

    @Test(arguments: maestroNumbers) func maestro(_ digits: String) throws {
        #expect(try PAN(digits).brand == .maestro)
    }

    @Test(arguments: uatpNumbers) func uatp(_ digits: String) throws {
        #expect(try PAN(digits).brand == .uatp)
    }

    @Test func digitsRoundTrip() throws {
        let pan = try PrimaryAccountNumber("4111111111111111")
        #expect(pan.digits == "4111111111111111")
        #expect(pan.utf8Digits == Array("4111111111111111".utf8))
        #expect(pan == (try PAN("4111111111111111")))
        #expect(pan != (try PAN("4012888888881881")))
    }

    /// At least six digits stay hidden whatever the length: min(6, length − 10) leading digits.
    /// Numbers and expectations computed with Python; the brand still comes from the full number.
    @Test(arguments: [
        ("501812345673", "50", "5673", CardBrand.maestro),  // 12 digits
        ("3421234567894", "342", "7894", .amex),  // 13
        ("36123456789013", "3612", "9013", .diners),  // 14
        ("222134567890123", "22213", "0123", .mastercard),  // 15: 2221 needs four digits to see
        ("378282246310005", "37828", "0005", .amex),  // 15
        ("4012888888881881", "401288", "1881", .visa),  // 16
        ("60111234567890129", "601112", "0129", .discover),  // 17
        ("622123456789012348", "622123", "2348", .unionpay),  // 18
        ("6304123456789012347", "630412", "2347", .maestro),  // 19
    ])
    func leadingDigitsAndLast4(_ digits: String, _ leading: String, _ last4: String, _ brand: CardBrand) throws {
        let pan = try PAN(digits)
        #expect(pan.leadingDigits == leading)
        #expect(pan.last4 == last4)
        #expect(pan.brand == brand)
        #expect(digits.count - leading.count - last4.count >= PAN.minimumHiddenDigits)
    }

    @Test(arguments: ["4111111111111112", "4111111111111121", "5555555555554440", "378282246310006"])
    func luhnFailure(_ digits: String) {
        #expect(throws: CardError.luhnCheckFailed) { try PAN(digits) }
    }

    @Test func lengthLimits() throws {
        // 12 and 19 digits are accepted; 11 and 20 are not, even with a valid check digit.
        #expect(try PAN("300000000004").digits.count == 12)
        #expect(try PAN("1234567890123456785").digits.count == 19)
        #expect(throws: CardError.invalidCardNumber) { try PAN("30000000004") }  // 11
        #expect(throws: CardError.invalidCardNumber) { try PAN("12345678901234567894") }  // 20
    }

    @Test(arguments: [
        "",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        " 4111111111111111",
        "4111111111111111 ",
        "4111111111111111\n",
        "411111111111111a",
        "+4111111111111111",
        "４１１１１１１１１１１１１１１１",  // full-width digits
        "٤١١١١١١١١١١١١١١١",  // Arabic-Indic digits
        "4111111111111111\u{0}",
    ])
    func rejectsNonDigits(_ input: String) {
        #expect(throws: CardError.invalidCardNumber) { try PAN(input) }
    }

    @Test(arguments: visaNumbers + mastercardNumbers + amexNumbers + discoverNumbers + dinersNumbers
        + jcbNumbers + unionpayNumbers + maestroNumbers + uatpNumbers)
    func neverPrintsTheNumber(_ digits: String) throws {
        let pan = try PAN(digits)
        let middle = String(digits.dropFirst(6).dropLast(4))
        var dumped = ""
        dump(pan, to: &dumped)
        let wrapped = CardData(number: pan)
        var dumpedCard = ""
        dump(wrapped, to: &dumpedCard)
        let renderings = [
            pan.description, pan.debugDescription, "\(pan)", String(describing: pan),
            String(reflecting: pan), dumped, "\(wrapped)", String(reflecting: wrapped), dumpedCard,
            "\([pan])", "\(Optional(pan) as Any)",
        ]
        for text in renderings {
            #expect(!text.contains(digits))
            #expect(!text.contains(digits.prefix(6)))
            #expect(!text.contains(middle) || middle.isEmpty)
            // No digit appears except as the last four.
            let rest = text.replacingOccurrences(of: pan.last4, with: "")
            #expect(!rest.contains { $0.isNumber }, "\(text)")
        }
        #expect(pan.description == "PAN(\(pan.brand.rawValue) ••••\(pan.last4))")
    }

    @Test func reflectionHasNoDigits() throws {
        let pan = try PAN("4111111111111111")
        let mirror = Mirror(reflecting: pan)
        #expect(mirror.children.map(\.label) == ["brand"])
        for child in mirror.children {
            let text = String(describing: child.value)
            #expect(!text.contains { $0.isNumber })
        }
    }
}
