import Testing
import TestSupport
import VaultCore

@Suite("CardError", .ownThreads)
struct CardErrorTests {
    @Test func stableCodes() {
        let codes: [CardError: String] = [
            .invalidCardNumber: "invalid_card_number",
            .luhnCheckFailed: "luhn_check_failed",
            .invalidExpirationDate: "invalid_expiration_date",
            .expiredCard: "expired_card",
            .invalidSecurityCode: "invalid_security_code",
            .malformedCardData: "malformed_card_data",
            .invalidKeyID: "invalid_key_id",
            .invalidEncryptedData: "invalid_encrypted_data",
            .unsupportedEncryptionMode: "unsupported_encryption_mode",
        ]
        #expect(codes.count == CardError.allCases.count)
        for (error, code) in codes {
            #expect(error.code == code)
            #expect(!error.message.isEmpty)
            #expect("\(error)".contains(code))
        }
    }

    @Test func errorsCarryNoCardData() {
        do {
            _ = try CardData(packed: "4111111111111112|203001|123")
            Issue.record("expected a Luhn failure")
        } catch {
            let text = "\(error) \(String(reflecting: error)) \(error.localizedDescription)"
            #expect(!text.contains("4111"))
            #expect(!text.contains("1112"))
            #expect(!text.contains("123"))
        }
    }
}
