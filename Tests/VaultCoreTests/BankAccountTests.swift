import Testing
import TestSupport
import VaultCore

@Suite("Bank accounts: ABA routing check digit, account numbers that never print", .ownThreads)
struct BankAccountTests {
    /// Routing numbers published by the Federal Reserve's E-Payments directory.
    @Test("Real routing numbers pass", arguments: ["021000021", "011000015", "026009593", "121000248", "111000025", "322271627"])
    func realRoutingNumbers(_ digits: String) throws {
        #expect(try RoutingNumber(digits).digits == digits)
    }

    @Test("Every single-digit change to a routing number fails its check")
    func singleDigitErrorsAreCaught() throws {
        let valid = Array("021000021")
        for position in valid.indices {
            for digit in "0123456789" where digit != valid[position] {
                var changed = valid
                changed[position] = digit
                #expect(throws: BankAccountError.routingCheckFailed) { try RoutingNumber(String(changed)) }
            }
        }
    }

    @Test("Routing numbers are exactly nine ASCII digits", arguments: ["02100002", "0210000210", "02100002a", "", "０２１００００２１", " 21000021"])
    func malformedRoutingNumbers(_ text: String) {
        #expect(throws: BankAccountError.invalidRoutingNumber) { try RoutingNumber(text) }
    }

    @Test("Account numbers are 4–17 digits and print only their last four")
    func accountNumbers() throws {
        #expect(try BankAccountNumber("1234").last4 == "1234")
        let number = try BankAccountNumber("12345678901234567")
        #expect(number.last4 == "4567")
        #expect("\(number)" == "BankAccountNumber(••••4567)")
        #expect(String(reflecting: number) == "BankAccountNumber(••••4567)")
        var dumped = ""
        dump(number, to: &dumped)
        #expect(!dumped.contains("1234567890"))
        for bad in ["123", "123456789012345678", "12a4", "", "12 34"] {
            #expect(throws: BankAccountError.invalidAccountNumber) { try BankAccountNumber(bad) }
        }
    }

    @Test("Account types are the one-letter ACH codes")
    func accountTypes() {
        #expect(BankAccountType.allCases.map(\.rawValue) == ["C", "S", "A", "B", "L"])
        #expect(BankAccountType(rawValue: "c") == nil)
    }
}
