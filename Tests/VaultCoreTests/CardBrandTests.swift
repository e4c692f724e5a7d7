import Testing
import TestSupport
import VaultCore

@Suite("CardBrand IIN table", .ownThreads)
struct CardBrandTests {
    /// Luhn-valid numbers chosen at the edges of each range.
    @Test(arguments: [
        ("2221000000000009", CardBrand.mastercard),
        ("2720999999999996", .mastercard),
        ("2721000000000004", .unknown),  // just above the 2-series
        ("2220999999999991", .unknown),  // just below the 2-series
        ("2200000000000004", .unknown),  // Mir
        ("5130000000000002", .mastercard),
        ("5000000000000009", .maestro),
        ("5600000000000003", .maestro),
        ("5800000000000001", .maestro),
        ("5893000000000009", .maestro),
        ("5900000000000000", .unknown),
        ("3400000000000000", .amex),
        ("3000000000007", .diners),
        ("3050000000000003", .diners),
        ("3060000000000001", .unknown),
        ("3095000000000000", .diners),
        ("3600000000000008", .diners),
        ("3527000000000008", .unknown),
        ("3528000000000007", .jcb),
        ("3589000000000003", .jcb),
        ("3590000000000000", .unknown),
        ("6011000000000004", .discover),
        ("6400000000000003", .maestro),
        ("6440000000000005", .discover),
        ("6499000000000005", .discover),
        ("6500000000000002", .discover),
        ("6221260000000000", .unionpay),  // co-badged Discover range: reported as UnionPay
        ("6229250000000003", .unionpay),
        ("6761000000000006", .maestro),
        ("8100000000000002", .unionpay),
        ("8200000000000001", .unknown),
        ("7000000000000005", .unknown),
        ("9000000000000001", .unknown),
        ("0000000000000000", .unknown),
    ])
    func brand(_ digits: String, _ expected: CardBrand) throws {
        #expect(try PAN(digits).brand == expected)
    }

    @Test func codableAsRawValue() throws {
        #expect(CardBrand(rawValue: "mastercard") == .mastercard)
        #expect(CardBrand.allCases.count == 10)
    }
}
