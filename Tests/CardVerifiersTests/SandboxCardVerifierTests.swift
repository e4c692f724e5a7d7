import CardVerifiers
import TestSupport
import Testing
import VaultCore

func card(_ digits: String) throws -> CardToVerify {
    CardToVerify(number: try PrimaryAccountNumber(digits), expiration: try ExpirationDate(year: 2030, month: 12))
}

@Suite("Card verifiers: none and sandbox", .ownThreads)
struct SandboxCardVerifierTests {
    /// Braintree, "Testing and Go Live": card numbers for unsuccessful verification.
    @Test(arguments: ["4000111111111115", "5105105105105100", "378734493671000", "6011000990139424"])
    func braintreeUnsuccessfulVerificationNumbersAreDeclined(number: String) async throws {
        let verifier = SandboxCardVerifier()
        let outcome = await verifier.authorize(
            try card(number), securityCode: try SecurityCode("123"), address: nil, amount: .oneDollar)
        guard case .declined(let decline) = outcome else { Issue.record("\(outcome)"); return }
        #expect(decline.code == "processor_declined")
        #expect(!decline.message.contains(number))
        #expect(verifier.openAuthorizations.isEmpty)
    }

    /// Braintree, "Testing and Go Live": valid card numbers.
    @Test(arguments: [
        "378282246310005", "371449635398431", "36259600000004", "6011000991300009", "3530111333300000",
        "6304000000000000", "5555555555554444", "2223000048400011", "4111111111111111", "4005519200000004",
        "4009348888881881", "4012000033330026", "4012000077777777", "4012888888881881", "4217651111111119",
        "4500600000000061", "6243030000000001", "6221261111117766", "6223164991230014",
    ])
    func braintreeValidNumbersAreApprovedAndVoided(number: String) async throws {
        let verifier = SandboxCardVerifier()
        let outcome = await verifier.authorize(try card(number), securityCode: nil, address: nil, amount: .oneDollar)
        guard case .approved(let id) = outcome else { Issue.record("\(outcome)"); return }
        #expect(verifier.openAuthorizations == [id])
        try await verifier.void(id)
        #expect(verifier.openAuthorizations.isEmpty)
        // A second void is an error, as a gateway's would be.
        await #expect(throws: CardVerifierFailure.self) { try await verifier.void(id) }
    }

    @Test func otherNumbersAreNotTestCards() async throws {
        let verifier = SandboxCardVerifier()
        for number in ["4242424242424242", "5200828282828210"] {
            let outcome = await verifier.authorize(try card(number), securityCode: nil, address: nil, amount: .oneDollar)
            #expect(outcome == .declined(CardDecline(code: "not_a_test_card", message: "The sandbox accepts only test card numbers.")))
        }
    }

    @Test func sameCardSameAnswer() async throws {
        let verifier = SandboxCardVerifier()
        for _ in 0..<3 {
            let declined = await verifier.authorize(try card("4000111111111115"), securityCode: nil, address: nil, amount: .oneDollar)
            guard case .declined = declined else { Issue.record("\(declined)"); return }
            let approved = await verifier.authorize(try card("4111111111111111"), securityCode: nil, address: nil, amount: .oneDollar)
            guard case .approved = approved else { Issue.record("\(approved)"); return }
        }
    }

    @Test func noneApprovesEverythingWithoutACall() async throws {
        let verifier = try CardVerifierMode.none.makeVerifier(gateway: nil)
        for number in ["4000111111111115", "4242424242424242"] {
            let outcome = await verifier.authorize(try card(number), securityCode: nil, address: nil, amount: .oneDollar)
            #expect(outcome == .approved(NoCardVerifier.authorizationID))
        }
        try await verifier.void(NoCardVerifier.authorizationID)
    }

    @Test func modesByName() throws {
        #expect(CardVerifierMode.allCases.map(\.rawValue) == ["none", "sandbox", "gateway"])
        #expect(try CardVerifierMode.sandbox.makeVerifier(gateway: nil) is SandboxCardVerifier)
        #expect(throws: CardVerifierSetupError.missingGatewayConfiguration) {
            _ = try CardVerifierMode.gateway.makeVerifier(gateway: nil)
        }
    }
}
